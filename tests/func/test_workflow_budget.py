"""Money before spending: `eval --plan` estimates a workflow suite's cost; `max_suite_usd` refuses a run
that could pass it (exit 2) before any model call."""

from __future__ import annotations

from pathlib import Path

from support.agentproject import SUITE, agent_answer, write_agent_project
from support.evalproject import FAST_CONFIG
from support.openai_server import FakeOpenAI


def test_plan_without_a_baseline_uses_the_loop_bound(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    write_agent_project(project_dir)
    result = cli("eval", "order-agent", "--plan")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "order-agent: no baseline; run `promptops baseline update order-agent` first",
        "order-agent: estimated cost at most $0.300 for 2 cases x 3 repeats (loop.max_cost_usd per case run)",
    ]
    assert openai_server.requests == []


def test_max_suite_usd_refuses_the_run_before_any_call(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    write_agent_project(project_dir, suite=SUITE + "max_suite_usd: 0.1\n")
    result = cli("eval", "order-agent")
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "error: order-agent: estimated cost at most $0.300 for 2 cases x 3 repeats "
        "(loop.max_cost_usd per case run); over max_suite_usd $0.100"
    )
    assert "Traceback" not in result.err
    assert openai_server.requests == []
    assert cli("eval", "order-agent", "--repeats", "1").code == 0  # $0.100: within


def test_plan_from_the_baseline_and_the_project_default(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    openai_server.answers = agent_answer
    config = FAST_CONFIG.replace("backoff_max_s: 0.05}", "backoff_max_s: 0.05, max_suite_usd: 0.000001}")
    write_agent_project(project_dir, suite=SUITE.replace(", max_cost_usd: 0.05", ""), config=config)
    assert cli("eval", "order-agent", "--plan").out.splitlines()[1] == (
        "order-agent: estimated cost unknown for 2 cases x 3 repeats "
        "(no priced baseline; set loop.max_cost_usd for a bound); within max_suite_usd $0.00000100"
    )
    (project_dir / "promptops.yaml").write_text(FAST_CONFIG)
    assert cli("eval", "order-agent").code == 0
    assert cli("baseline", "update", "order-agent").code == 0
    (project_dir / "promptops.yaml").write_text(config)
    line = cli("eval", "order-agent", "--plan").out.splitlines()[-1]
    assert line == (
        "order-agent: estimated cost $0.00 for 2 cases x 3 repeats (the baseline's cost per case run, "
        "2.0 model calls per case run); 6 cached case runs cost nothing; within max_suite_usd $0.00000100"
    )
    requests = len(openai_server.requests)
    assert cli("eval", "order-agent").code == 0  # every run cached: free, so within the budget
    assert len(openai_server.requests) == requests
    refused = cli("eval", "order-agent", "--no-cache")
    assert refused.code == 2
    assert refused.err.startswith("error: order-agent: estimated cost $")
    assert "over max_suite_usd $0.00000100" in refused.err.splitlines()[0]
    assert len(openai_server.requests) == requests
