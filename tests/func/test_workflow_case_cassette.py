"""A case that carries its own cassette (DESIGN §9.4, from `cases propose --failed`) replays every tool
from it instead of the suite's doubles."""

from __future__ import annotations

import json
from pathlib import Path

from support.agentproject import agent_answer, write_agent_project
from support.evalproject import results
from support.openai_server import FakeOpenAI

SUITE = """\
prompt: support/order-agent
dataset: data/order-agent.jsonl
loop: {max_steps: 4, timeout_s: 10}
tools:
  search_orders: {mode: mock, response: {status: shipped}}
scorers:
  - {type: equals, expected: "{{ expected }}"}
"""
QUESTION = "Where is search_orders order_id=ORD-12345"


def _cassette(root: Path, lines: list[dict[str, object]]) -> None:
    folder = root / "evals/data/cassettes"
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(line) + "\n" for line in lines)
    (folder / "c02.jsonl").write_text(text, encoding="utf-8")


def test_a_case_cassette_replaces_the_suite_doubles_for_that_case(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    openai_server.answers = agent_answer
    cases = [
        {"id": "c01", "vars": {"question": QUESTION}, "expected": "shipped"},
        {
            "id": "c02",
            "vars": {"question": QUESTION},
            "expected": "not found",
            "cassette": "cassettes/c02.jsonl",
        },
    ]
    write_agent_project(project_dir, suite=SUITE, cases=cases)
    recorded = {
        "tool": "search_orders",
        "arguments": {"order_id": "ORD-12345"},
        "result": {"error": "not_found"},
    }
    _cassette(project_dir, [recorded])
    result = cli("eval", "order-agent")
    assert result.code == 0, result.err
    by = {c["id"]: c for c in results(project_dir)["suites"]["order-agent"]["cases"]}
    mocked = by["c01"]["attempts"][0]["trajectory"]["steps"][1]
    replayed = by["c02"]["attempts"][0]["trajectory"]["steps"][1]
    assert mocked["result"] == {"status": "shipped"}
    assert replayed["result"] == {"error": "not_found"}
    assert by["c02"]["attempts"][0]["output"] == "not found"


def test_a_call_the_case_cassette_does_not_hold_fails_the_run(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    openai_server.answers = agent_answer
    cases = [
        {"id": "c02", "vars": {"question": QUESTION}, "expected": "x", "cassette": "cassettes/c02.jsonl"}
    ]
    write_agent_project(project_dir, suite=SUITE, cases=cases)
    other = {"tool": "search_orders", "arguments": {"order_id": "ORD-00000"}, "result": {}}
    _cassette(project_dir, [other])
    assert cli("eval", "order-agent").code == 0
    attempt = results(project_dir)["suites"]["order-agent"]["cases"][0]["attempts"][0]
    assert attempt["passed"] is False
    assert attempt["trajectory"]["failure"] == 'replay:no-match search_orders {"order_id":"ORD-12345"}'
