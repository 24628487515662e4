"""Workflow suites under the gate: pass^k, stability, paired model calls per case run, the policy keys."""

from __future__ import annotations

import pytest

from promptops.config import GatePolicy
from promptops.evals import baselines
from promptops.gate import compare
from promptops.gate.result import GateResult, Metric
from support.workflow_runs import Run, workflow_run

OK, BAD = Run(), Run(passed=False)


def metric(result: GateResult, name: str) -> Metric:
    return next(m for m in result.metrics if m.name == name)


def check(result: GateResult, name: str) -> tuple[str, str]:
    found = next(c for c in result.checks if c.name == name)
    return found.status, found.detail


def cases(n: int, runs: list[Run]) -> dict[str, list[Run]]:
    return {f"c{i:03d}": list(runs) for i in range(n)}


def test_pass_k_and_stability_per_case() -> None:
    head = workflow_run({"a": [OK, OK, OK], "b": [OK, BAD, OK], "c": [BAD, BAD, BAD], "d": [OK, OK, OK]})
    result = compare(head, None, GatePolicy())
    flow = result.workflow
    assert flow is not None
    assert (flow.repeats, flow.pass_k, flow.stable_pass, flow.flaky, flow.stable_fail) == (3, 0.5, 2, 1, 1)
    assert [(c.id, c.stability, c.passed, c.runs) for c in flow.cases] == [
        ("a", "stable_pass", 3, 3),
        ("b", "flaky", 2, 3),
        ("c", "stable_fail", 0, 3),
        ("d", "stable_pass", 3, 3),
    ]
    pass_k = metric(result, "pass_k")
    assert (pass_k.label, pass_k.head) == ("pass^3", 0.5)
    assert pass_k.low is not None and pass_k.high is not None and pass_k.low <= 0.5 <= pass_k.high


def test_a_one_call_suite_has_no_workflow_rows() -> None:
    from support.runs import run

    result = compare(run({"c1": 1.0}), None, GatePolicy())
    assert result.workflow is None
    assert not any(m.name == "steps" for m in result.metrics)


def test_one_more_model_call_per_run_is_blocked_by_max_steps_increase() -> None:
    base = workflow_run(cases(40, [Run(steps=4)] * 3))
    head = workflow_run(cases(40, [Run(steps=5)] * 3))
    policy = GatePolicy(max_steps_increase=0.2)
    result = compare(head, baselines.from_run(base), policy)
    steps = metric(result, "steps")
    assert (steps.base, steps.head, steps.delta, steps.low, steps.high) == (4, 5, 1, 1, 1)
    assert result.verdict == "FAIL"
    assert check(result, "steps") == (
        "fail",
        "model calls per case run 4.00 → 5.00 (+25%); 95% interval of the change [+1, +1], "
        "more than max_steps_increase 20%",
    )
    same = compare(base, baselines.from_run(base), policy)
    assert check(same, "steps")[0] == "pass" and same.verdict == "PASS"


def test_steps_compare_paired_by_case_not_as_pooled_runs() -> None:
    # half the cases need 2 calls, half 8; the head adds nothing: paired, the change is exactly 0
    base = workflow_run({**cases(20, [Run(steps=2)] * 3), **{f"d{i}": [Run(steps=8)] * 3 for i in range(20)}})
    result = compare(base, baselines.from_run(base), GatePolicy(max_steps_increase=0.0))
    steps = metric(result, "steps")
    assert (steps.delta, steps.low, steps.high) == (0, 0, 0)
    assert check(result, "steps")[0] == "pass"


def test_tool_errors_timeouts_and_cost_per_case() -> None:
    runs = [Run(tools=4, tool_errors=1), Run(tools=4), Run(failure="limit:timeout", passed=False)]
    head = workflow_run(cases(10, runs))
    policy = GatePolicy(max_tool_error_rate=0.05, max_timeout_rate=0.5, max_cost_per_case=0.002)
    result = compare(head, None, policy)
    assert metric(result, "tool_error_rate").head == pytest.approx(10 / 100)
    assert metric(result, "timeout_rate").head == pytest.approx(1 / 3)
    assert metric(result, "cost_per_case").head == pytest.approx(0.003)
    assert check(result, "tool_error_rate") == (
        "fail",
        "tool error rate 10.0% (95% interval [10.0%, 10.0%]), above max_tool_error_rate 5.0%",
    )
    assert check(result, "timeout_rate")[0] == "pass"
    assert check(result, "cost_per_case") == (
        "fail",
        "cost per case run p95 $0.00300 (95% interval [$0.00300, $0.00300]), above max_cost_per_case $0.00200",
    )
    assert metric(result, "tool_error_rate").check == "fail"


def test_an_unknown_price_is_unknown_cost_per_case() -> None:
    head = workflow_run(cases(3, [Run(), Run(cost_per_step=None)]))
    result = compare(head, None, GatePolicy(max_cost_per_case=1.0))
    assert metric(result, "cost_per_case").head is None
    assert check(result, "cost_per_case") == (
        "pass",
        "cost per case run p95: no data, max_cost_per_case not judged",
    )


def test_the_baseline_keeps_steps_only_for_workflow_suites() -> None:
    base = baselines.from_run(workflow_run(cases(2, [Run(steps=3), Run(steps=5), Run(steps=4)])))
    assert [c.steps for c in base.cases] == [4.0, 4.0]
    text = baselines.to_json(base)
    assert '"steps": 4.0' in text or '"steps": 4' in text
    assert baselines.from_json(text, "b.json").cases[0].steps == 4.0
    from support.runs import run

    assert '"steps"' not in baselines.to_json(baselines.from_run(run({"c1": 1.0})))
