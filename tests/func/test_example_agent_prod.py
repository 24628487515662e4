"""examples/agent-prod end to end (docs/agents-in-production.md): the instrumented agent serves a canary,
its spans and litellm payloads import, show per-run stats, feed a canary verdict and propose a case."""

from __future__ import annotations

import importlib.util
import json
import shutil
import time
from pathlib import Path
from types import ModuleType

import pytest

from promptops.formats import parse_yaml
from support import litellm_callbacks
from support.fixtures import CLI, GitRepo

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agent-prod"
FILES = ("promptops.yaml", "environments.yaml", "evals/support-agent.yaml", "evals/data/support-agent.jsonl")
RUN_APP = ("python", "app.py", "--bundle", "prompts.lock.json", "--requests", "120", "--offline")
DOC = EXAMPLE.parents[1] / "docs" / "agents-in-production.md"
# the commands docs/agents-in-production.md shows, each run below on the example
COMMANDS = (
    " ".join(RUN_APP),
    "promptops traces import spans.jsonl",
    "promptops traces stats --workflows",
    "promptops traces stats --by tool",
    "promptops canary analyze support-agent --env production",
    "promptops cases propose support-agent --failed",
    "promptops cases accept .promptops/proposed/support-agent.yaml",
    "promptops cost project support-agent --traces",
    "promptops traces import litellm.jsonl",
    "promptops traces stats --workflows --format json",
    "python benchmarks/traces_speed.py --workflows",
)


def app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("agent_prod_app", EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def release(repo: GitRepo, version: str, text: str) -> None:
    repo.commit({"prompts/support-agent.yaml": text}, f"support-agent {version}")
    repo.git("tag", "-a", f"prompts/support-agent/v{version}", "-m", version)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project, released and bundled, after the agent served REQUESTS requests."""
    import os

    from promptops.cli import main

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    repo = GitRepo(tmp_path_factory.mktemp("agent") / "repo")
    for name in FILES:
        (repo.root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLE / name, repo.root / name)
    (repo.root / ".gitignore").write_text(".promptops/\n*.jsonl\n!evals/data/*.jsonl\nprompts.lock.json\n")
    text = (EXAMPLE / "prompts/support-agent.yaml").read_text()
    release(repo, "1.0.0", text)
    release(repo, "1.1.0", text.replace("version: 1.0.0", "version: 1.1.0").replace("once", "twice"))
    cwd = Path.cwd()
    os.chdir(repo.root)
    try:
        assert main(["bundle", "--out", "prompts.lock.json"]) == 0
        with litellm_callbacks.installed():  # main() installs TraceLogger; the lists are put back after
            assert app().main(RUN_APP[2:]) == 0
            spans = (repo.root / "spans.jsonl").read_text()
            calls = sum(1 for line in spans.splitlines() for _ in _chats(json.loads(line)))
            for _ in range(200):  # litellm runs the callbacks of a sync call on a worker thread
                if len((repo.root / "litellm.jsonl").read_text().splitlines()) >= calls:
                    break
                time.sleep(0.05)
    finally:
        os.chdir(cwd)
    return repo.root


def _chats(data: dict) -> list[dict]:
    return [
        span
        for resource in data["resourceSpans"]
        for scope in resource["scopeSpans"]
        for span in scope["spans"]
        if span["name"].startswith("chat ")
    ]


@pytest.fixture
def project(served: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(served, root, symlinks=True)
    monkeypatch.chdir(root)
    return root


def test_spans_import_show_per_run_stats_feed_the_canary_and_propose_a_case(project: Path, cli: CLI) -> None:
    imported = cli("traces", "import", "spans.jsonl")
    assert imported.code == 0, imported.err
    assert "attributed to a released prompt version: 295 of 295" in imported.err

    stats = cli("traces", "stats", "--workflows")
    control, canary = stats.out.splitlines()[1:3]
    assert control.split()[:8] == [
        "support-agent",
        "support-agent",
        "1.0.0",
        "control",
        "63",
        "0",
        "2",
        "[2,",
    ]
    assert canary.split()[:8] == ["support-agent", "support-agent", "1.1.0", "canary", "57", "0", "3", "[3,"]
    assert "3.5% [1.0, 11.9]" in canary  # two of its runs timed out
    tools = cli("traces", "stats", "--by", "tool")
    assert [line.split()[:4] for line in tools.out.splitlines()[1:]] == [
        ["support-agent", "1.0.0", "search_orders", "63"],
        ["support-agent", "1.1.0", "search_orders", "114"],
    ]

    verdict = cli("canary", "analyze", "support-agent", "--env", "production")
    assert verdict.code == 1
    lines = verdict.out.splitlines()
    assert lines[0] == "ROLLBACK: steps_per_run surely worse than allowed (critical)"
    assert lines[2].endswith("runs: control 63, canary 57")
    assert lines[4].split()[:6] == ["steps_per_run", "2.000", "2.965", "1.48x", "[1.45x,", "1.52x]"]
    data = json.loads(
        cli("canary", "analyze", "support-agent", "--env", "production", "--format", "json").out
    )
    assert (data["verdict"], data["exit_code"], data["arms"]) == (
        "ROLLBACK",
        1,
        {"control": 63, "canary": 57},
    )
    by_name = {m["name"]: m for m in data["metrics"]}
    assert sorted(by_name) == ["cost_per_run", "steps_per_run", "tool_error_rate"]
    assert (by_name["steps_per_run"]["classification"], by_name["steps_per_run"]["critical"]) == (
        "worse",
        True,
    )

    proposed = cli("cases", "propose", "support-agent", "--failed")
    assert proposed.code == 0, proposed.err
    assert "1 proposed, 0 refused, 1 duplicates; placeholders for 1 EMAIL" in proposed.err
    data = parse_yaml((project / ".promptops/proposed/support-agent.yaml").read_text(), "x").data
    [case] = data["cases"]
    assert case["vars"] == {"message": "Hi, this is [EMAIL_1]: where is my order ORD-99999?"}
    cassette = project / ".promptops/proposed" / case["cassette"]
    assert [json.loads(line) for line in cassette.read_text().splitlines()] == [
        {
            "tool": "search_orders",
            "arguments": {"order_id": "ORD-99999"},
            "result": None,
            "error": "LookupError",
        },
        {
            "tool": "search_orders",
            "arguments": {"order_id": "ORD-99999"},
            "result": None,
            "error": "LookupError",
        },
    ]

    proposed_file = project / ".promptops/proposed/support-agent.yaml"
    text = proposed_file.read_text().replace("reviewed: false", "reviewed: true")
    proposed_file.write_text(text.replace("expected: null", "expected: cannot find"))
    accepted = cli("cases", "accept", ".promptops/proposed/support-agent.yaml")
    assert accepted.code == 0, accepted.err
    assert (project / "evals/data" / case["cassette"]).is_file() and not cassette.exists()

    cost = cli("cost", "project", "support-agent", "--traces")
    assert "a month from 120 runs" in cost.out


def test_the_page_shows_only_commands_the_tests_run() -> None:
    shown = [
        line.removeprefix("$ ").strip() for line in DOC.read_text().splitlines() if line.startswith("$ ")
    ]
    assert shown and [c for c in shown if c not in COMMANDS] == []


def test_litellm_payloads_import_to_the_same_runs(project: Path, cli: CLI) -> None:
    imported = cli("traces", "import", "litellm.jsonl")
    assert imported.code == 0, imported.err
    assert "imported 295 new records" in imported.err
    groups = json.loads(cli("traces", "stats", "--workflows", "--format", "json").out)["workflows"]
    assert [(g["version"], g["runs"], g["steps_per_run"]["median"]["value"]) for g in groups] == [
        ("1.0.0", 63, 2),
        ("1.1.0", 57, 3),
    ]
    assert [g["tool_calls_per_run"]["value"] for g in groups] == [1.0, 2.0]
