"""Security, class 6: no configured path or symlink makes promptops read or write outside the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.evalproject import FAST_CONFIG, write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI

CANARY = "CANARY-OUTSIDE-THE-PROJECT"
HINT = "hint: keep prompts, suites, datasets, baselines and environments inside the repository\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the project holding canary files that must never be read (or written)."""
    place = tmp_path / "outside"
    (place / "prompts").mkdir(parents=True)
    text = (
        f"name: order-id\nversion: 9.9.9\nmodel: openai/gpt-4o-mini-2024-07-18\n"
        f"messages:\n  - {{role: user, content: '{CANARY}'}}\n"
    )
    for name in ("order-id.yaml", "x.yaml"):
        (place / name).write_text(text, encoding="utf-8")
        (place / "prompts" / name).write_text(text, encoding="utf-8")
    (place / "environments.yaml").write_text(
        f"production:\n  order-id: {{version: 9.9.9}}\n# {CANARY}\n", encoding="utf-8"
    )
    (place / "suite.yaml").write_text(
        f"prompt: order-id\ncases: [{{id: a, vars: {{message: {CANARY}}}}}]\n"
        "scorers: [{type: contains, value: x}]\n",
        encoding="utf-8",
    )
    return place


@pytest.fixture
def project(project_dir: Path) -> Path:
    return write_project(project_dir, count=2)


def _no_canary(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text and "9.9.9" not in text and "Traceback" not in text


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("prompts_dir", "/abs/prompts"),
        ("prompts_dir", "../outside/prompts"),
        ("evals_dir", "/tmp"),
        ("baselines_dir", "/tmp/baselines"),
        ("baselines_dir", "evals/../../outside"),
        ("environments_file", "/etc/passwd"),
        ("environments_file", "../outside/environments.yaml"),
    ],
)
@pytest.mark.parametrize(
    "command", [["render", "order-id", "--var", "message=hi"], ["status"], ["baseline", "update", "order-id"]]
)
def test_configured_paths_outside_the_root_are_refused(
    cli: CLI, project: Path, outside: Path, key: str, value: str, command: list[str]
) -> None:
    (project / "promptops.yaml").write_text(FAST_CONFIG + f"{key}: {value}\n", encoding="utf-8")
    result = cli(*command)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"error: promptops.yaml:3: {key}: '{value}' leaves the project root\n" + HINT
    assert not Path("/tmp/baselines").exists() or key != "baselines_dir"


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() or link.is_symlink():
        link.unlink() if not link.is_dir() or link.is_symlink() else os.rename(
            link, link.with_suffix(".moved")
        )
    link.symlink_to(target)


@pytest.mark.parametrize(
    ("link", "target", "command", "label"),
    [
        ("prompts/x.yaml", "x.yaml", ["render", "x"], "prompts/x.yaml"),
        (
            "prompts/order-id.yaml",
            "order-id.yaml",
            ["render", "order-id", "--var", "message=hi"],
            "prompts/order-id.yaml",
        ),
        ("prompts/x.yaml", "x.yaml", ["lint"], "prompts/x.yaml"),
        ("prompts", "prompts", ["lint"], "prompts"),
        ("prompts", "prompts", ["render", "order-id"], "prompts"),
        ("environments.yaml", "environments.yaml", ["status"], "environments.yaml"),
        ("evals/evil.yaml", "suite.yaml", ["eval"], "evals/evil.yaml"),
        ("evals/evil.yaml", "suite.yaml", ["eval", "evil"], "evals/evil.yaml"),
        ("evals/baselines", ".", ["baseline", "update", "order-id"], "evals/baselines"),
        (".promptops", ".", ["eval", "order-id"], ".promptops"),
        (".promptops/cache", ".", ["eval", "order-id"], ".promptops/cache/responses.sqlite3"),
        ("evals/data", ".", ["eval", "order-id"], "evals/order-id.yaml:2: dataset"),
    ],
)
def test_symlinks_out_of_the_project_are_refused(
    cli: CLI,
    project: Path,
    outside: Path,
    openai_server: FakeOpenAI,
    link: str,
    target: str,
    command: list[str],
    label: str,
) -> None:
    _link(project / link, outside / target)
    before = sorted(p.name for p in outside.rglob("*"))
    result = cli(*command)
    assert (result.code, result.out) == (2, ""), result.err
    if label.endswith(": dataset"):
        assert result.err.startswith(f"error: {label}: 'data/order-id.jsonl' leaves the project root\n")
    else:
        assert result.err == f"error: {label}: leaves the project root through a symlink\n" + HINT
    _no_canary(result.out, result.err)
    assert sorted(p.name for p in outside.rglob("*")) == before  # nothing written outside
    assert openai_server.count == 0


def test_symlinks_inside_the_project_still_work(cli: CLI, project: Path) -> None:
    (project / "shared").mkdir()
    os.rename(project / "prompts" / "order-id.yaml", project / "shared" / "order-id.yaml")
    (project / "prompts" / "order-id.yaml").symlink_to(project / "shared" / "order-id.yaml")
    result = cli("render", "order-id", "--var", "message=hi")
    assert result.code == 0, result.err
    assert "Message: hi" in result.out
