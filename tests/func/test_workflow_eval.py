"""`promptops eval` on a workflow suite: each case run's trajectory in the results file, K repeats cached."""

from __future__ import annotations

from pathlib import Path

from promptops.evals.results import load_results
from support.agentproject import CASES, agent_answer, write_agent_project
from support.evalproject import order_id_answer, results, write_project
from support.openai_server import FakeOpenAI

SUITE = """\
prompt: order-id
dataset: data/order-id.jsonl
loop: {max_steps: 4, timeout_s: 5}
scorers:
  - {type: equals, expected: "{{ expected }}"}
  - {type: steps, max_llm_calls: 1}
  - {type: tool_errors}
"""


def test_a_workflow_suite_records_trajectories_and_reruns_free(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    openai_server.answers = order_id_answer
    write_project(project_dir, count=2, files={"evals/order-id.yaml": SUITE})
    first = cli("eval", "order-id")
    assert first.code == 0, first.err
    data = results(project_dir)
    case = data["suites"]["order-id"]["cases"][0]
    assert [a["repeat"] for a in case["attempts"]] == [0, 1, 2]
    trajectory = case["attempts"][0]["trajectory"]
    assert trajectory["output"] == "ORD-10001" and trajectory["failure"] is None
    assert [(s["kind"], s["name"]) for s in trajectory["steps"]] == [("llm", "openai/gpt-4o-mini-2024-07-18")]
    assert trajectory["totals"]["steps"] == 1 and trajectory["totals"]["tool_calls"] == 0
    assert len(openai_server.requests) == 6  # 2 cases x 3 repeats, each its own cache entry
    again = cli("eval", "order-id")
    assert again.code == 0
    assert len(openai_server.requests) == 6
    assert all(
        a["cached"] for c in results(project_dir)["suites"]["order-id"]["cases"] for a in c["attempts"]
    )
    reread = load_results(project_dir / ".promptops/runs/latest.json")[0]
    assert reread.cases[0].attempts[0].trajectory is not None
    assert reread.cases[0].attempts[0].trajectory.totals.llm_calls == 1


def test_a_plain_suite_writes_no_trajectory(cli, project_dir: Path, openai_server: FakeOpenAI) -> None:
    openai_server.answers = order_id_answer
    write_project(project_dir, count=1)
    assert cli("eval", "order-id").code == 0
    assert "trajectory" not in results(project_dir)["suites"]["order-id"]["cases"][0]["attempts"][0]


AGENT_SUITE = """\
prompt: support/order-agent
dataset: data/order-agent.jsonl
loop: {max_steps: 4, timeout_s: 10}
tools:
  search_orders: {mode: mock, by: order_id, responses: {ORD-12345: {status: shipped}, "*": {error: not_found}}}
  issue_refund: {mode: deny}
scorers:
  - {type: equals, expected: "{{ expected }}"}
  - {type: trajectory, expected: [search_orders], extra: forbid}
  - {type: steps, max_llm_calls: 2}
"""


def test_the_built_in_loop_through_eval(cli, project_dir: Path, openai_server: FakeOpenAI) -> None:
    openai_server.answers = agent_answer
    cases = [
        *CASES,
        {
            "id": "c03",
            "vars": {"question": "Refund it: issue_refund order_id=ORD-12345"},
            "expected": "refunded",
        },
    ]
    write_agent_project(project_dir, suite=AGENT_SUITE, cases=cases)
    result = cli("eval", "order-agent")
    assert result.code == 0, result.err  # no baseline: scored, not gated
    data = results(project_dir)["suites"]["order-agent"]
    by = {c["id"]: c for c in data["cases"]}
    first = by["c01"]["attempts"][0]
    assert first["passed"] is True and first["output"] == "shipped"
    steps = first["trajectory"]["steps"]
    assert [(s["kind"], s["name"]) for s in steps] == [
        ("llm", "openai/gpt-4o-mini-2024-07-18"),
        ("tool", "search_orders"),
        ("llm", "openai/gpt-4o-mini-2024-07-18"),
    ]
    assert steps[1]["arguments"] == {"order_id": "ORD-12345"} and steps[1]["result"] == {"status": "shipped"}
    assert by["c02"]["attempts"][0]["output"] == "not found"
    denied = by["c03"]["attempts"][0]
    assert denied["passed"] is False and denied["trajectory"]["failure"] == "tool:denied issue_refund"
    assert [(s["name"], s["detail"]) for s in denied["scores"]] == [("workflow", "tool:denied issue_refund")]
    requests = len(openai_server.requests)
    assert requests == 3 * (2 + 2 + 1)
    report = cli("report", "--results", ".promptops/runs/latest.json")
    assert report.code == 0, report.err
    assert "**Workflow runs** (3 per case, paired by case): pass^3 66.7% [" in report.out
    assert "2 stable pass, 0 flaky, 1 stable fail" in report.out
    assert cli("eval", "order-agent").code == 0
    assert len(openai_server.requests) == requests  # mocks and the cache make a re-run exact and free
