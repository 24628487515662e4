"""Workflow suite keys (`loop`, `tools`, `target`): parsed into data, every bad input located (exit 2)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from promptops.errors import FileFormatError
from promptops.evals.suites import load_suites
from promptops.evals.workflow.doubles import Answered, Doubles, Failed
from promptops.evals.workflow_config import Deny, Mock, Replay
from promptops.project import Project
from support.agentproject import CASSETTE, SUITE, write_agent_project
from support.evalproject import write_project
from support.fixtures import CLI


def project(root: Path, suite: str = SUITE, cassette: str = CASSETTE) -> Path:
    return write_agent_project(root, suite=suite, cassette=cassette)


def problems(root: Path) -> list[str]:
    with pytest.raises(FileFormatError) as info:
        load_suites(Project.load(root), ["order-agent"])
    return info.value.lines()


def test_a_workflow_suite_reads_its_loop_doubles_and_repeats(tmp_path: Path) -> None:
    suite = load_suites(Project.load(project(tmp_path)), ["order-agent"])[0]
    assert suite.repeats == 3  # the workflow default
    workflow = suite.workflow
    assert workflow is not None and workflow.target is None
    assert (workflow.loop.max_steps, workflow.loop.max_tool_calls, workflow.loop.timeout_s) == (8, 12, 30.0)
    assert workflow.loop.max_cost_usd == 0.05
    assert isinstance(workflow.doubles["search_orders"], Mock)
    assert isinstance(workflow.doubles["issue_refund"], Deny)
    replay = workflow.doubles["lookup_customer"]
    assert isinstance(replay, Replay) and replay.cassette == "evals/cassettes/lookup_customer.jsonl"
    assert len(replay.calls) == 2


def test_a_plain_suite_keeps_one_repeat(tmp_path: Path) -> None:
    suite = load_suites(Project.load(write_project(tmp_path, count=1)), ["order-id"])[0]
    assert suite.workflow is None and suite.repeats is None


def test_the_doubles_answer_deny_and_replay_once_per_line(tmp_path: Path) -> None:
    workflow = load_suites(Project.load(project(tmp_path)), ["order-agent"])[0].workflow
    assert workflow is not None

    async def run() -> list[Answered | Failed]:
        doubles = Doubles(workflow.doubles)
        return [
            await doubles.call("search_orders", {"order_id": "ORD-12345"}),
            await doubles.call("search_orders", {"order_id": "ORD-99999"}),
            await doubles.call("lookup_customer", {"id": 1}),
            await doubles.call("lookup_customer", {"id": 1}),
            await doubles.call("lookup_customer", {"id": 1}),
            await doubles.call("issue_refund", {"order_id": "ORD-12345"}),
            await doubles.call("cancel_order", {}),
        ]

    got = asyncio.run(run())
    assert [g.content for g in got[:4] if isinstance(g, Answered)] == [
        '{"status": "shipped"}',
        '{"error": "not_found"}',
        '{"name": "Ada"}',
        '{"error": "timeout"}',
    ]
    assert got[3].step.error == "timeout"
    assert [g.reason for g in got[4:] if isinstance(g, Failed)] == [
        'replay:no-match lookup_customer {"id":1}',
        "tool:denied issue_refund",
        "tool:no-double cancel_order",
    ]
    # a new case run starts the cassette again
    again = asyncio.run(Doubles(workflow.doubles).call("lookup_customer", {"id": 1}))
    assert isinstance(again, Answered)


def test_a_mock_without_by_answers_every_call_the_same(tmp_path: Path) -> None:
    suite = SUITE.replace(
        "  issue_refund: {mode: deny}\n", "  issue_refund: {mode: mock, response: refused}\n"
    )
    workflow = load_suites(Project.load(project(tmp_path, suite)), ["order-agent"])[0].workflow
    assert workflow is not None
    got = asyncio.run(Doubles(workflow.doubles).call("issue_refund", {"order_id": "x"}))
    assert isinstance(got, Answered) and got.content == "refused"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "issue_refund: {mode: deny}",
            "issue_refund: {mode: mock}",
            "evals/order-agent.yaml:6: tools.issue_refund: give exactly one of `response` and `responses`",
        ),
        (
            "issue_refund: {mode: deny}",
            "issue_refund: {mode: mock, responses: {a: 1}}",
            "evals/order-agent.yaml:6: tools.issue_refund.responses: without `by`, a mock answers every call "
            'the same: use `response` or `responses: {"*": ...}`',
        ),
        (
            "issue_refund: {mode: deny}",
            "issue_refund: {mode: mock, by: order_id, response: 1}",
            "evals/order-agent.yaml:6: tools.issue_refund.response: a mock with `by` takes `responses` "
            "keyed by the argument's values",
        ),
        (
            "issue_refund: {mode: deny}",
            "issue_refund: {mode: deny, cassette: x.jsonl}",
            "evals/order-agent.yaml:6: tools.issue_refund.cassette: unknown key; expected one of: mode",
        ),
        (
            "issue_refund: {mode: deny}",
            "issue_refund: {mode: stub}",
            'evals/order-agent.yaml:6: tools.issue_refund.mode: must be one of: "mock", "deny", "replay"',
        ),
        (
            "issue_refund: {mode: deny}",
            "cancel_order: {mode: deny}",
            "evals/order-agent.yaml:6: tools.cancel_order: the prompt declares no tool 'cancel_order' "
            "(declared: issue_refund, lookup_customer, search_orders)",
        ),
        (
            "max_steps: 8",
            "max_steps: 0",
            "evals/order-agent.yaml:3: loop.max_steps: 0 is less than the minimum of 1",
        ),
        (
            "cassette: cassettes/lookup_customer.jsonl",
            "cassette: ../../outside.jsonl",
            "evals/order-agent.yaml:7: tools.lookup_customer.cassette: '../../outside.jsonl' leaves the project root",
        ),
    ],
)
def test_bad_workflow_keys(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SUITE
    assert problems(project(tmp_path, SUITE.replace(old, new))) == [message]


def test_bad_cassette_lines_are_located(tmp_path: Path) -> None:
    bad = CASSETTE + '{"tool": "lookup_customer", "arguments": [], "result": 1}\n{not json\n'
    assert problems(project(tmp_path, cassette=bad)) == [
        "evals/cassettes/lookup_customer.jsonl:3: arguments: expected a mapping, got a list",
        "evals/cassettes/lookup_customer.jsonl:4: invalid JSON: Expecting property name enclosed in "
        "double quotes (column 2)",
    ]
    assert problems(project(tmp_path, cassette=CASSETTE + "{not json\n")) == [
        "evals/cassettes/lookup_customer.jsonl:3: invalid JSON: Expecting property name enclosed in "
        "double quotes (column 2)"
    ]


TARGET = """\
prompt: support/order-agent
dataset: data/order-agent.jsonl
loop: {timeout_s: 5}
target:
  python: myapp.agent:run_case
  env: [MYAPP_REGION]
scorers:
  - {type: steps, max_llm_calls: 4}
"""


def test_a_target_suite(tmp_path: Path) -> None:
    workflow = load_suites(Project.load(project(tmp_path, TARGET)), ["order-agent"])[0].workflow
    assert workflow is not None and workflow.target is not None
    assert (workflow.target.kind, workflow.target.python, workflow.target.env) == (
        "python",
        "myapp.agent:run_case",
        ("MYAPP_REGION",),
    )


def test_a_target_takes_one_kind_and_no_doubles(
    tmp_path: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    both = TARGET.replace("  env:", "  exec: {cmd: [python, app.py]}\n  env:")
    assert problems(project(tmp_path, both)) == [
        "evals/order-agent.yaml:4: target: give exactly one of `python`, `http` and `exec`"
    ]
    doubled = TARGET.replace("scorers:", "tools:\n  search_orders: {mode: deny}\nscorers:")
    assert problems(project(tmp_path, doubled)) == [
        "evals/order-agent.yaml:7: tools: a suite with a `target` runs the application's own tools; remove `tools`"
    ]
    result = cli("eval", "order-agent")
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "error: evals/order-agent.yaml:7: tools: a suite with a `target` runs the application's own tools; "
        "remove `tools`"
    )
    assert "Traceback" not in result.err
