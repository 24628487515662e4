"""Pure tests of the comparison: pairing, metrics, bootstrap intervals, checks and the verdict."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from promptops.config import GatePolicy, ProjectConfig
from promptops.errors import IncomparableBaselineError, InputError
from promptops.evals import baselines
from promptops.gate import compare, policy_for
from promptops.gate.result import GateResult, Metric
from support.runs import Spec, run

POLICY = GatePolicy(decision="threshold")  # point comparisons; the evidence default: test_gate_evidence.py


def metric(result: GateResult, name: str) -> Metric:
    return next(m for m in result.metrics if m.name == name)


def gate(base: dict, head: dict, policy: GatePolicy = POLICY, **kwargs) -> GateResult:
    return compare(run(head, **kwargs), baselines.from_run(run(base)), policy)


def scores(n: int, value: float = 1.0) -> dict[str, float]:
    return {f"c{i:02d}": value for i in range(1, n + 1)}


def test_no_change_passes_with_zero_deltas_and_zero_intervals():
    cases = {**scores(8), "c09": 0.5, "c10": 0.8}
    result = gate(cases, cases)
    assert (result.verdict, result.passed, result.exit_code) == ("PASS", True, 0)
    assert result.reason == "no regression; mean score 0.930 → 0.930 (+0.000); 10 cases compared"
    score = metric(result, "score")
    assert (score.base, score.head, score.delta, score.low, score.high) == pytest.approx(
        (0.93, 0.93, 0, 0, 0)
    )
    assert score.check == "pass"
    assert metric(result, "failing").head == 1
    assert (result.new_failures, result.fixed, result.added, result.errors, result.regressed) == ((),) * 5
    assert {c.status for c in result.cases} == {"pass", "fail"}


def test_improvement_passes_and_lists_fixed_cases():
    result = gate({**scores(8), "c09": 0.5, "c10": 0.2}, {**scores(8), "c09": 1.0, "c10": 0.9})
    assert result.verdict == "PASS"
    assert result.fixed == ("c09", "c10")
    assert metric(result, "score").delta == pytest.approx(0.12)
    assert metric(result, "pass_rate").delta == pytest.approx(0.2)
    assert metric(result, "failing").delta == -2
    assert metric(result, "fixed").head == 2
    assert result.regressed == ()


def test_regression_beyond_the_margin_fails_naming_the_flipped_cases():
    head = {**scores(20), "c03": 0.0, "c07": 0.5, "c11": 0.7}
    result = gate(scores(20), head)
    assert (result.verdict, result.passed, result.exit_code) == ("FAIL", False, 1)
    # one repeat: three flips of twenty are no evidence on their own (McNemar exact p = 0.125)
    assert (result.new_failures, result.flipped) == ((), ("c03", "c07", "c11"))
    assert result.regressed == ("c03", "c07", "c11")  # largest drop first
    assert [c.status for c in result.cases if c.id in {"c03", "c07"}] == ["flipped", "flipped"]
    assert result.reason == (
        "mean score 1.000 → 0.910, dropped more than max_score_drop 0.020; "
        "pass rate 100.0% → 85.0%, dropped more than max_pass_rate_drop 5.0%"
    )
    score = metric(result, "score")
    assert score.check == "fail"
    assert score.low is not None and score.high is not None
    assert score.low <= score.delta < score.high <= 0


def test_regression_within_the_margin_passes_but_is_listed():
    result = gate(scores(50), {**scores(50), "c10": 0.9})
    assert result.verdict == "PASS"
    assert metric(result, "score").delta == pytest.approx(-0.002)
    assert result.regressed == ("c10",)
    assert result.new_failures == ()
    checks = {c.name: c.detail for c in result.checks}
    assert checks["score"] == "mean score 1.000 → 0.998, within max_score_drop 0.020"


def noisy(seed: int, shift: float = 0.0) -> tuple[dict[str, float], dict[str, float]]:
    rng = random.Random(seed)
    base = {f"c{i:02d}": rng.uniform(0.8, 0.95) for i in range(1, 31)}
    head = {k: min(1.0, v + shift + rng.uniform(-0.05, 0.05)) for k, v in base.items()}
    return base, head


def test_noise_is_inconclusive_under_the_statistical_decision():
    base, head = noisy(7)
    policy = replace(POLICY, decision="statistical", max_score_drop=0.0, max_pass_rate_drop=0.0)
    result = gate(base, head, policy)
    score = metric(result, "score")
    assert score.low is not None and score.high is not None and score.low < 0 < score.high
    assert (result.verdict, result.passed, result.exit_code) == ("INCONCLUSIVE", False, 1)
    assert score.check == "inconclusive"
    assert result.reason.endswith("straddles the margin -0.000 (on_inconclusive: fail)")
    assert "95% interval of the change [" in result.reason
    resolved = gate(base, head, replace(policy, on_inconclusive="pass"))
    assert (resolved.verdict, resolved.passed, resolved.exit_code) == ("INCONCLUSIVE", True, 0)


def test_statistical_decision_passes_no_change_and_fails_a_clear_drop():
    policy = replace(POLICY, decision="statistical", max_new_failures=30)
    base, head = noisy(3, shift=-0.2)
    assert gate(base, base, policy).verdict == "PASS"
    result = gate(base, head, policy)
    assert result.verdict == "FAIL"
    score = metric(result, "score")
    assert score.high is not None and score.high < -0.02
    assert "lies below the margin -0.020" in result.reason


def test_bootstrap_is_reproducible_and_seeded():
    base, head = noisy(11)
    first = compare(run(head), baselines.from_run(run(base)), POLICY)
    again = compare(run(head), baselines.from_run(run(base)), POLICY)
    other = compare(run(head), baselines.from_run(run(base)), POLICY, seed=1)
    assert first == again
    assert metric(first, "score").low != metric(other, "score").low
    assert metric(first, "score").delta == metric(other, "score").delta


def test_a_critical_case_failing_once_in_three_repeats_fails_the_gate():
    base = {f"c{i:02d}": Spec(scores=[1.0, 1.0, 1.0], critical=(i == 1)) for i in range(1, 11)}
    head = {**base, "c01": Spec(scores=[1.0, 0.0, 1.0], critical=True)}
    lenient = replace(POLICY, max_score_drop=1.0, max_pass_rate_drop=1.0, max_new_failures=10)
    result = gate(base, head, lenient)
    assert result.verdict == "FAIL"
    assert result.critical_failures == ("c01",)
    assert result.reason == "critical cases must pass every repeat: c01 (2/3 repeats passed)"
    case = result.cases[0]
    assert (case.status, case.repeats, case.repeats_passed, case.head_score) == (
        "critical_failure",
        3,
        2,
        pytest.approx(2 / 3),
    )
    assert metric(result, "critical").head == 1


def test_added_cases_are_scored_and_listed_but_not_gated():
    result = gate(scores(10), {**scores(10), "c11": 0.0, "c12": 1.0})
    assert result.verdict == "PASS"
    assert result.added == ("c11", "c12")
    assert [c.status for c in result.cases[-2:]] == ["added", "added"]
    assert result.new_failures == ()
    assert metric(result, "score").head == 1.0
    assert result.reason.endswith("10 cases compared, 2 added (not gated)")


def test_a_removed_or_changed_case_or_scorer_change_makes_the_baseline_incomparable():
    base = baselines.from_run(run(scores(5)))
    head = run({k: v for k, v in scores(5).items() if k != "c03"})
    with pytest.raises(IncomparableBaselineError) as info:
        compare(head, base, POLICY)
    assert info.value.exit_code == 2
    assert info.value.message == (
        "the baseline of suite 'order-id' is not comparable with this run: removed cases c03"
    )
    assert info.value.hint is not None and "promptops baseline update order-id" in info.value.hint
    changed = run({**scores(5), "c02": Spec(scores=[1.0], hash="h-new")}, scorers_hash="sha256:scorers2")
    with pytest.raises(IncomparableBaselineError) as info:
        compare(changed, base, POLICY)
    assert info.value.message == (
        "the baseline of suite 'order-id' is not comparable with this run: changed cases c02; "
        "scorer configuration changed (scorers1 → scorers2)"
    )


def test_cost_increase_over_the_limit_fails():
    base = {k: Spec(scores=[1.0], cost=0.0001) for k in scores(10)}
    head = {k: Spec(scores=[1.0], cost=0.00015) for k in scores(10)}
    result = gate(base, head)
    assert result.verdict == "FAIL"
    assert result.reason == (
        "cost per case rose +50% ($0.000100 → $0.000150), more than max_cost_increase 25%"
    )
    assert metric(result, "cost").check == "fail"
    within = {k: Spec(scores=[1.0], cost=0.00011) for k in scores(10)}
    assert gate(base, within).verdict == "PASS"
    unknown = {k: Spec(scores=[1.0], cost=None) for k in scores(10)}
    result = gate(base, unknown)
    assert result.verdict == "PASS"
    assert metric(result, "cost").head is None
    assert "cost" not in {c.name for c in result.checks}


def test_latency_p95_increase_is_gated_only_when_configured():
    base = {k: Spec(scores=[1.0], latency=100.0) for k in scores(10)}
    head = {k: Spec(scores=[1.0], latency=180.0) for k in scores(10)}
    assert gate(base, head).verdict == "PASS"
    result = gate(base, head, replace(POLICY, max_latency_p95_increase=0.5))
    assert result.verdict == "FAIL"
    assert result.reason == (
        "latency p95 rose +80% (100 ms → 180 ms), more than max_latency_p95_increase 50%"
    )


def test_error_rate_over_the_limit_means_could_not_evaluate():
    head = {**scores(10), "c04": Spec(scores=[None]), "c05": Spec(scores=[None, None])}
    result = gate(scores(10), head)
    assert (result.verdict, result.unavailable, result.exit_code) == ("FAIL", True, 3)
    assert result.errors == ("c04", "c05")
    assert result.reason == "2 of 10 cases could not be evaluated (20.0%), more than max_error_rate 0.0%"
    assert result.cases[3].error == "provider error: 500 Internal Server Error"
    assert metric(result, "error_rate").head == pytest.approx(0.2)
    tolerant = gate(scores(10), head, replace(POLICY, max_error_rate=0.2))
    assert (tolerant.verdict, tolerant.exit_code) == ("PASS", 0)
    assert metric(tolerant, "score").head == 1.0  # errored cases are left out of the quality metrics


def test_without_a_baseline_cases_are_listed_not_gated():
    result = compare(run({**scores(3), "c04": 0.0}), None, POLICY)
    assert (result.verdict, result.reason, result.base) == (
        "PASS",
        "no baseline: 4 cases scored, not gated",
        None,
    )
    assert result.added == ("c01", "c02", "c03", "c04")
    score = metric(result, "score")
    assert (score.base, score.head, score.delta, score.low) == (None, 0.75, None, None)
    assert compare(run(scores(4, 0.1)), None, replace(POLICY, min_score=0.5)).verdict == "PASS"


def test_min_score_is_an_absolute_floor():
    result = gate(scores(4, 0.6), scores(4, 0.6), replace(POLICY, min_score=0.7))
    assert result.verdict == "FAIL"
    assert result.reason == "mean score 0.600 is below min_score 0.700"
    assert metric(result, "score").check == "fail"


def test_policy_merges_suite_overrides_and_refuses_unknown_keys():
    config = ProjectConfig(gate=GatePolicy(max_score_drop=0.05, decision="statistical"))
    policy = policy_for(config, {"max_score_drop": 0.0})
    assert (policy.max_score_drop, policy.decision, policy.max_pass_rate_drop) == (0.0, "statistical", 0.05)
    with pytest.raises(InputError, match="unknown gate key 'max_drop'"):
        policy_for(config, {"max_drop": 0.1})


def test_repeats_are_averaged_within_a_case():
    base = {f"c{i}": Spec(scores=[1.0, 1.0]) for i in range(4)}
    head = {**base, "c0": Spec(scores=[1.0, 0.5])}
    result = gate(base, head, replace(POLICY, max_score_drop=1.0, max_pass_rate_drop=1.0))
    assert metric(result, "score").head == pytest.approx((3 + 0.75) / 4)
    assert metric(result, "pass_rate").head == pytest.approx((3 + 0.5) / 4)
    assert result.cases[0].status == "flaky"  # passes in half the repeats: mixed, not a regression
