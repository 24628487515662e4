"""`promptops compare` and `promptops runs`: candidates on one suite, gated against the first, kept in history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support.evalproject import FAST_CONFIG, cases, order_id_answer, write_project
from support.fixtures import GitRepo
from support.openai_server import FakeOpenAI

OLD = "openai/gpt-4o-mini-2024-07-18"
NEW = "openai/gpt-4o-2024-08-06"
SAME = "openai/gpt-4o-mini"  # the alias of the pinned snapshot: same answers, same price


def tagged(count: int = 8) -> str:
    rows = cases(count)
    for i, row in enumerate(rows):
        row["tags"] = ["hard"] if i % 4 == 3 else ["easy"]
    return "".join(json.dumps(r) + "\n" for r in rows)


def weak(messages: list[dict[str, Any]]) -> str:
    """A newer model that misses the hard cases (ids ending in 4 or 8)."""
    answer = order_id_answer(messages)
    return "NONE" if answer[-1] in "48" else answer


@pytest.fixture
def server(openai_server: FakeOpenAI) -> FakeOpenAI:
    openai_server.answers = order_id_answer
    openai_server.by_model = {NEW.split("/", 1)[1]: weak}
    return openai_server


@pytest.fixture
def project(project_dir: Path) -> Path:
    return write_project(project_dir, files={"evals/data/order-id.jsonl": tagged()})


def test_compare_reports_each_candidate_against_the_first(cli, project: Path, server: FakeOpenAI) -> None:
    result = cli("compare", "order-id", "--model", OLD, "--model", NEW, "--model", SAME, "--qps", "3")
    assert result.code == 0, result.err  # without --gate the exit code does not follow the verdict
    out = result.out
    assert out.startswith(f"compare order-id: 8 cases, 3 candidates; each gated against candidate 1 ({OLD})")
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("#  candidate"))
    assert "monthly @3 qps" in header and "p99" in header and "worst tag" in header
    row2 = next(line for line in lines if line.startswith(f"2  {NEW}"))
    assert (
        "0.875  -0.125 [-0.312, +0.000]" in row2
        and "75.0%" in row2
        and "hard 0%" in row2
        and row2.rstrip().endswith("FAIL")
    )
    row3 = next(line for line in lines if line.startswith(f"3  {SAME}"))
    assert row3.rstrip().endswith("PASS")
    assert "pass rate per tag" in out
    tag_rows = {line.split()[0]: line.split()[1:] for line in lines if line.startswith(("easy ", "hard "))}
    assert tag_rows == {"easy": ["100.0%", "100.0%", "100.0%"], "hard": ["100.0%", "0.0%", "100.0%"]}
    assert "disagreements: 2 cases pass for some candidates and fail for others; outputs differ in 2" in out
    assert "    #1 pass   ORD-10004" in out and "    #2 FAIL   NONE" in out
    assert "gate #2 vs #1: FAIL: " in out and "gate #3 vs #1: PASS: " in out
    assert server.count == 24  # every candidate on every case, once


def test_compare_gate_exit_code_and_shared_cache(cli, project: Path, server: FakeOpenAI) -> None:
    first = cli("compare", "order-id", "--model", OLD, "--model", NEW, "--gate")
    assert first.code == 1, first.err
    again = cli("compare", "order-id", "--model", OLD, "--model", SAME, "--gate")
    assert again.code == 0, again.err
    assert server.count == 16 + 8  # OLD's answers came from the cache the first run filled


def test_compare_agrees_with_eval_gate(cli, project: Path, server: FakeOpenAI) -> None:
    """`eval --model NEW` against a baseline of OLD decides what `compare OLD NEW --gate` decides."""
    assert cli("baseline", "update", "order-id").code == 0
    gated = cli("eval", "order-id", "--model", NEW)
    compared = cli("compare", "order-id", "--model", OLD, "--model", NEW, "--gate")
    assert gated.code == compared.code == 1
    eval_reason = next(line for line in gated.err.splitlines() if line.startswith("gate order-id: FAIL: "))
    reason = eval_reason.removeprefix("gate order-id: FAIL: ")
    assert f"gate #2 vs #1: FAIL: {reason}" in compared.out


def test_compare_prompt_versions_on_one_model(cli, project: Path, server: FakeOpenAI) -> None:
    repo = GitRepo(project)
    repo.commit(message="v1")
    assert cli("release").code == 0
    prompt = project / "prompts/order-id.yaml"
    prompt.write_text(
        prompt.read_text()
        .replace("version: 1.0.0", "version: 1.1.0")
        .replace("Reply with the ID only, or NONE.", "Reply with the ID in lower case."),
        encoding="utf-8",
    )
    server.answers = lambda m: order_id_answer(m).lower() if "lower case" in str(m) else order_id_answer(m)
    repo.commit(message="v1.1")
    assert cli("release").code == 0
    result = cli(
        "compare",
        "order-id",
        "--prompt",
        "order-id@1.0.0",
        "--prompt",
        "order-id@1.1.0",
        "--model",
        SAME,
        "--gate",
    )
    assert result.code == 1, result.err
    assert f"1  order-id@1.0.0 · {SAME}" in result.out
    assert f"2  order-id@1.1.0 · {SAME}" in result.out
    assert "disagreements: 8 cases" in result.out


def test_runs_lists_history_and_compare_takes_a_run_id(cli, project: Path, server: FakeOpenAI) -> None:
    assert cli("eval", "order-id").code == 0
    listed = cli("runs")
    assert listed.code == 0
    header, row = listed.out.splitlines()
    assert header.split()[:6] == ["id", "time", "kind", "suite", "version", "model"]
    run_id = row.split()[0]
    assert row.split()[2:8] == ["eval", "order-id", "order-id@1.0.0", OLD, "PASS", "1.000"]
    result = cli("compare", "order-id", "--run", run_id, "--model", NEW, "--gate")
    assert result.code == 1, result.err
    assert f"1  run {run_id}" in result.out
    entries = json.loads(cli("runs", "--format", "json").out)["runs"]
    assert [e["kind"] for e in entries] == ["eval", "compare"]  # the stored run is not stored twice
    assert entries[1]["model"] == NEW and entries[1]["verdict"] == "FAIL"
    report = cli("report", "--results", run_id)
    assert report.code == 0, report.err
    assert "<!-- promptops-report -->" in report.out


def test_runs_are_pruned_to_the_configured_limit(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, config=FAST_CONFIG + "runs: {keep: 2}\n")
    for _ in range(3):
        assert cli("eval", "order-id").code == 0
    entries = json.loads(cli("runs", "--format", "json").out)["runs"]
    assert len(entries) == 2
    stored = sorted(p.name for p in (project_dir / ".promptops/runs").glob("*.json"))
    assert stored == sorted([f"{e['id']}.json" for e in entries] + ["index.json", "latest.json"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", OLD], "error: compare needs at least two candidates, got 1"),
        (
            ["--run", "20260101-000000-abcd", "--model", NEW],
            "error: no stored run '20260101-000000-abcd' in .promptops/runs/",
        ),
        (
            ["--prompt", "other@1.0.0", "--prompt", "other@1.1.0"],
            "error: --prompt other@1.0.0: suite 'order-id' evaluates prompt 'order-id'",
        ),
    ],
)
def test_compare_bad_input(cli, project: Path, server: FakeOpenAI, args: list[str], message: str) -> None:
    result = cli("compare", "order-id", *args)
    assert result.code == 2
    assert result.err.splitlines()[0] == message
    assert "Traceback" not in result.err
    assert server.count == 0


def test_runs_rejects_a_bad_runs_key(cli, project_dir: Path) -> None:
    write_project(project_dir, config=FAST_CONFIG + "runs: {keep: 0}\n")
    result = cli("runs")
    assert result.code == 2
    assert result.err.startswith("error: promptops.yaml:3: runs.keep")
