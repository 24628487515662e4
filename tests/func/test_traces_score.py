"""`promptops traces score`: the suite's reference-free scorers on sampled records, judged on the test server."""

from __future__ import annotations

import json
from pathlib import Path

from promptops.observe.traces.record import Score
from promptops.observe.traces.store import TraceStore
from support.canary_traffic import fill_store
from support.fixtures import CLI
from support.openai_server import FakeOpenAI
from support.releases import prompt_text
from support.tmpdir import TmpDir

SUITE = """\
prompt: order-id
cases: [{id: c1, vars: {message: "Where is ORD-1?"}, expected: ORD-1}]
scorers:
  - {type: llm_judge, name: judge_ok, model: openai/gpt-4o-2024-08-06, rubric: "Replies with an order id only"}
  - {type: regex, pattern: "^ORD-\\\\d+$"}
  - {type: equals, expected: "{{ expected }}"}
"""


def _record(index: int, output: str, status: str = "ok") -> str:
    return json.dumps(
        {
            "id": f"r{index:03d}",
            "ts_start": f"2026-12-01T10:{index // 60:02d}:{index % 60:02d}Z",
            "prompt": {"name": "order-id", "version": "1.3.0", "environment": "production", "arm": "control"},
            "status": status,
            "latency_ms": 500,
            "cost_usd": 0.0001,
            "purpose": "prod",
            "variables": {"message": f"Where is ORD-{index}?"},
            "output": output,
        }
    )


def _project(root: Path, count: int = 20) -> None:
    TmpDir(root).gen(
        {
            "promptops.yaml": "version: 1\n",
            "prompts/order-id.yaml": prompt_text("1.3.0"),
            "evals/order-id.yaml": SUITE,
        }
    )
    lines = [_record(i, f"ORD-{i}" if i % 4 else "no idea") for i in range(count)]
    lines.append(_record(count, "", status="error"))
    fill_store(root, "\n".join(lines) + "\n")


def _judge(messages: list[dict[str, str]]) -> str:
    return (
        '{"score": 1, "reason": "an id"}' if "RESPONSE:\nORD-" in messages[-1]["content"] else '{"score": 0}'
    )


def _scores(root: Path) -> dict[str, list[Score]]:
    with TraceStore.open(root / ".promptops" / "traces") as store:
        return store.scores([f"r{i:03d}" for i in range(30)])


def test_scores_a_sample_with_the_judge_and_records_the_evaluator(
    project_dir: Path, cli: CLI, openai_server: FakeOpenAI
) -> None:
    _project(project_dir)
    openai_server.answers = _judge
    result = cli("traces", "score", "order-id", "--env", "production", "--max", "8")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        "order-id: scored 8 of 8 sampled records (20 scorable): judge_ok 8, regex 8; "
        "skipped needs a reference (expected): 8"
    )
    assert result.out.splitlines()[1].startswith("judge spend: $")
    scores = _scores(project_dir)
    assert len(scores) == 8 and openai_server.count == 8
    judged = next(s for s in next(iter(scores.values())) if s.name == "judge_ok")
    assert judged.source == "judge" and judged.evaluator is not None
    model, digest, on = judged.evaluator.split(" ", 1)[1].split(" ", 2)
    assert (model, on) == ("openai/gpt-4o-2024-08-06", "on order-id@1.3.0")
    assert digest.startswith("judge_prompt=sha256:")
    for record_id, entries in scores.items():
        value = {e.name: e.value for e in entries}
        assert value["judge_ok"] == value["regex"], record_id
    again = cli("traces", "score", "order-id", "--max", "8")  # the next 8: a record is scored once
    assert again.out.startswith("order-id: scored 8 of 8 sampled records (20 scorable)")
    assert openai_server.count == 16 and len(_scores(project_dir)) == 16


def test_the_budget_stops_the_judge(project_dir: Path, cli: CLI, openai_server: FakeOpenAI) -> None:
    _project(project_dir)
    openai_server.answers = _judge
    result = cli("traces", "score", "order-id", "--budget", "0")
    assert result.code == 0
    assert "warning: order-id: stopped at the budget; the rest of the sample is not scored" in result.err
    assert openai_server.count == 0 and "judge spend: $0.00 of the $0.00 budget" in result.out


def test_bad_sampling_options_exit_2(project_dir: Path, cli: CLI) -> None:
    _project(project_dir)
    for args, message in [
        (["--sample", "0.5", "--max", "3"], "error: pass --sample RATE or --max N, not both"),
        (["--sample", "2"], "error: --sample must be above 0 and at most 1, got 2"),
        (["--max", "0"], "error: --max must be at least 1, got 0"),
    ]:
        result = cli("traces", "score", "order-id", *args)
        assert (result.code, result.err.splitlines()[0]) == (2, message)
    result = cli("traces", "score", "refund")
    assert result.code == 2 and result.err.startswith("error: no eval suite for prompt 'refund'")
