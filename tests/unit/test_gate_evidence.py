"""The evidence decision (the default): flaky cases, exact per-case tests, power, slices, the plan."""

from __future__ import annotations

from dataclasses import replace

import pytest

from promptops.config import GatePolicy
from promptops.evals import baselines
from promptops.evals.records import RunResult
from promptops.gate import compare
from promptops.gate.plan import plan
from promptops.gate.result import GateResult
from promptops.report.markdown import markdown
from support.runs import Spec, run

POLICY = GatePolicy()


def repeated(passes: dict[str, tuple[int, int]]) -> dict[str, Spec]:
    """Cases from (passing repeats, repeats): pass/fail scores, so the mean score is the pass rate."""
    return {k: Spec(scores=[1.0] * p + [0.0] * (n - p)) for k, (p, n) in passes.items()}


def tagged(result: RunResult, tags: dict[str, tuple[str, ...]]) -> RunResult:
    return replace(result, cases=tuple(replace(c, tags=tags.get(c.id, ())) for c in result.cases))


def gate(base: dict, head: dict, policy: GatePolicy = POLICY, repeats: int = 1) -> GateResult:
    return compare(run(head, repeats=repeats), baselines.from_run(run(base, repeats=repeats)), policy)


def check(result: GateResult, name: str) -> str:
    return next(f"{c.status}: {c.detail}" for c in result.checks if c.name == name)


def test_flips_both_ways_at_one_repeat_are_noise_not_new_failures():
    base = repeated({f"c{i:02d}": (1, 1) for i in range(40)} | {f"f{i}": (i % 2, 1) for i in range(10)})
    head = repeated({f"c{i:02d}": (1, 1) for i in range(40)} | {f"f{i}": ((i + 1) % 2, 1) for i in range(10)})
    result = gate(base, head)
    assert (result.verdict, result.exit_code) == ("PASS", 0)
    assert result.new_failures == ()
    assert result.flipped == ("f1", "f3", "f5", "f7", "f9")
    assert result.fixed == ("f0", "f2", "f4", "f6", "f8")
    assert "score" not in {c.name for c in result.checks}  # pass/fail scorers: the score is the pass rate
    assert check(result, "new_failures").startswith(
        "pass: 0 new failures: 5 cases passed in the baseline and fail now"
    )
    assert "McNemar exact test, p = 0.623" in check(result, "new_failures")
    assert "cannot detect a 5.0 pp drop: minimum detectable drop" in result.reason
    assert result.power is not None and not result.power.enough and result.power.needed_cases is not None


def test_a_case_broken_in_every_repeat_is_a_new_failure_a_flaky_one_is_not():
    cases = {f"c{i:02d}": (3, 3) for i in range(30)}
    base = repeated(cases | {"flaky": (2, 3)})
    head = repeated(cases | {"c01": (0, 3), "c02": (0, 3), "c03": (0, 3), "flaky": (0, 3)})
    result = gate(base, head, repeats=3)
    assert (result.verdict, result.exit_code) == ("FAIL", 1)
    assert result.new_failures == ("c01", "c02", "c03")
    assert result.flaky == ("flaky",)
    assert [c.status for c in result.cases if c.id in ("c01", "flaky")] == ["new_failure", "flaky"]
    detail = check(result, "new_failures")
    assert detail.startswith("fail: 3 new failures (c01, c02, c03): 3 cases dropped by their own exact test")
    assert "more than max_new_failures 0" in detail
    one = gate(base, repeated(cases | {"c01": (0, 3), "flaky": (2, 3)}), repeats=3)
    assert one.new_failures == ()  # one case at 3/3 → 0/3 is what noise gives 1 time in 20: within noise
    assert one.flipped == ("c01",)


def test_max_new_failures_allows_that_many_and_null_turns_the_rule_off():
    cases = {f"c{i:02d}": (3, 3) for i in range(30)}
    head = repeated(cases | {"c01": (0, 3), "c02": (0, 3)})
    allowed = replace(POLICY, max_new_failures=2, max_pass_rate_drop=0.1)
    assert check(gate(repeated(cases), head, allowed, repeats=3), "new_failures").startswith(
        "pass: 2 new failures"
    )
    off = gate(repeated(cases), head, replace(POLICY, max_new_failures=None), repeats=3)
    assert "new_failures" not in {c.name for c in off.checks}


def test_max_score_drop_does_not_overrule_the_pass_rate_for_pass_fail_scorers():
    cases = {f"c{i:03d}": (1, 1) for i in range(300)}
    head = cases | {f"c{i:03d}": (0, 1) for i in range(9)}  # -3 pp: past max_score_drop 0.02, within 0.05
    result = gate(
        repeated(cases), repeated(head), replace(POLICY, decision="threshold", max_new_failures=None)
    )
    assert result.verdict == "PASS"
    assert [c.name for c in result.checks if c.name in ("score", "pass_rate")] == ["pass_rate"]


def test_the_pass_rate_interval_counts_the_baseline_repeats():
    base = repeated({f"c{i:02d}": (2, 3) for i in range(20)})
    head = repeated({f"c{i:02d}": (2, 3) for i in range(20)})
    change = gate(base, head, repeats=3).pass_rate_change
    assert change is not None and change.delta == pytest.approx(0.0)
    # each side and case: rate (1 - rate) / (repeats - 1) = 1/9; forty of them: se = sqrt(40/9) / 20
    assert change.se == pytest.approx((40 / 9) ** 0.5 / 20)
    assert (change.low, change.high) == pytest.approx((-1.96 * change.se, 1.96 * change.se), abs=1e-3)


def test_a_baseline_without_counts_reads_its_repeats_from_the_provenance():
    base = baselines.from_run(run(repeated({f"c{i:02d}": (3, 3) for i in range(20)}), repeats=3))
    old = replace(base, cases=tuple(replace(c, repeats=None, repeats_passed=None) for c in base.cases))
    head = run(
        repeated({f"c{i:02d}": (3, 3) for i in range(17)} | {"c17": (0, 3), "c18": (0, 3), "c19": (0, 3)})
    )
    assert (
        compare(head, old, POLICY).new_failures
        == compare(head, base, POLICY).new_failures
        == ("c17", "c18", "c19")
    )


def test_inconclusive_says_how_many_cases_or_repeats_would_decide():
    base = repeated({f"c{i:02d}": (1, 1) for i in range(40)} | {f"f{i}": (i % 2, 1) for i in range(20)})
    head = repeated({f"c{i:02d}": (1, 1) for i in range(40)} | {f"f{i}": ((i + 1) % 2, 1) for i in range(20)})
    result = gate(base, head, replace(POLICY, decision="statistical"))
    assert result.verdict == "INCONCLUSIVE"
    assert result.needed_cases is not None and result.needed_cases > 60
    assert result.needed_repeats is not None
    assert (
        f"about {result.needed_cases} cases (or {result.needed_repeats} repeats on base and head)"
        in result.reason
    )
    assert f"To decide: about {result.needed_cases} cases" in markdown([result])


def test_slices_name_the_worst_tag_and_max_slice_drop_gates_it():
    cases = {f"c{i:02d}": (3, 3) for i in range(40)}
    tags = {k: ("billing",) if i < 8 else ("shipping",) for i, k in enumerate(sorted(cases))}
    head_cases = cases | {f"c{i:02d}": (0, 3) for i in range(4)}  # half of billing breaks
    base = baselines.from_run(run(repeated(cases), repeats=3))
    head = tagged(run(repeated(head_cases), repeats=3), tags)
    result = compare(head, base, POLICY)
    assert [(s.tag, s.cases, s.base, s.head) for s in result.slices] == [
        ("billing", 8, 1.0, 0.5),
        ("shipping", 32, 1.0, 1.0),
    ]
    assert result.worst_slice is not None and result.worst_slice.tag == "billing"
    report = markdown([result])
    assert "**Slices by tag (2); worst: `billing`**" in report
    assert "| `billing` | 8 | 100.0% | 50.0% | -50.0 pp |" in report
    gated = compare(
        head, base, replace(POLICY, max_slice_drop=0.1, max_new_failures=None, max_pass_rate_drop=0.2)
    )
    assert check(gated, "slices").startswith(
        "fail: slices dropped more than max_slice_drop 10.0%: billing -50.0 pp"
    )


def test_plan_states_the_detectable_drop_and_the_sample_the_margin_needs():
    base = baselines.from_run(
        run(repeated({f"c{i:03d}": (3, 3) if i % 5 else (2, 3) for i in range(100)}), repeats=3)
    )
    planned = plan(base, POLICY, 3)
    assert planned.measured and planned.cases == 100 and planned.baseline_repeats == 3
    assert planned.variance == pytest.approx(0.2 * 1.5 * (2 / 3) * (1 / 3))
    assert not planned.enough and planned.needed_cases is not None and planned.needed_cases > 100
    assert plan(base, replace(POLICY, max_pass_rate_drop=0.5), 3).enough


def test_slices_between_two_runs_for_a_model_comparison():
    from promptops.gate.slices import between_runs

    cases = {f"c{i}": (1, 1) for i in range(6)}
    tags = {"c0": ("billing",), "c1": ("billing",), "c2": ("shipping",)}
    a = tagged(run(repeated(cases)), tags)
    b = tagged(run(repeated(cases | {"c0": (0, 1)})), tags)
    found = between_runs(a, b)
    assert [(s.tag, s.paired, s.delta) for s in found] == [("billing", 2, -0.5), ("shipping", 1, 0.0)]
