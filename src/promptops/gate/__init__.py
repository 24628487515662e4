"""Pure comparison of a suite run with its baseline under a gate policy: metrics, checks, verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from promptops.config import GatePolicy, policy_for
from promptops.errors import IncomparableBaselineError
from promptops.evals.records import (
    Attempt,
    Baseline,
    BaselineCase,
    CaseResult,
    RunResult,
    Side,
    base_side,
    head_side,
    shown_output,
)
from promptops.gate.checks import EPSILON, checks
from promptops.gate.metrics import by_name, metrics
from promptops.gate.result import CaseComparison, CaseStatus, Check, GateCheck, GateResult, Metric, Verdict
from promptops.gate.rules import underpowered
from promptops.gate.weighing import Weighing, weigh
from promptops.gate.workflow import is_workflow, summary, workflow_checks, workflow_metrics
from promptops.wording import ids_text

__all__ = ["check_comparable", "compare", "policy_for"]

# the scorers whose reasons explain a workflow run (the `workflow` row carries a limit or a denied tool)
WORKFLOW_SCORERS = frozenset({"workflow", "trajectory", "steps", "tool_errors"})


def check_comparable(run: RunResult, baseline: Baseline) -> None:
    """Raise IncomparableBaselineError when cases were removed or changed, or the scorers changed."""
    head = {c.id: c.hash for c in run.cases}
    removed = [] if run.shard else sorted(c.id for c in baseline.cases if c.id not in head)
    changed = sorted(c.id for c in baseline.cases if c.id in head and c.hash != head[c.id])
    reasons = []
    if removed:
        reasons.append(f"removed cases {ids_text(removed)}")
    if changed:
        reasons.append(f"changed cases {ids_text(changed)}")
    if run.provenance.scorers_hash != baseline.provenance.scorers_hash:
        reasons.append(
            f"scorer configuration changed ({_short(baseline.provenance.scorers_hash)} → "
            f"{_short(run.provenance.scorers_hash)})"
        )
    if reasons:
        raise IncomparableBaselineError(
            f"the baseline of suite '{run.suite}' is not comparable with this run: {'; '.join(reasons)}",
            hint=f"if the change is intended, run `promptops baseline update {run.suite}` and commit the "
            "new baseline with the change",
        )


def _short(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12] or "none"


def compare(
    run: RunResult,
    baseline: Baseline | None,
    policy: GatePolicy,
    *,
    baseline_ref: str | None = None,
    seed: int = 0,
) -> GateResult:
    """Return the gate result of `run` against `baseline` (None: nothing to compare, only errors gated)."""
    if baseline is not None:
        check_comparable(run, baseline)
    base_cases = {c.id: c for c in baseline.cases} if baseline is not None else {}
    heads = {c.id: head_side(c) for c in run.cases}
    pairs = [(base_side(base_cases[c.id]), heads[c.id]) for c in run.cases if c.id in base_cases]
    weighing = weigh(run, baseline, policy)
    mixed = {t.id for t in weighing.tallies if t.mixed}
    cases = tuple(
        _compare_case(c, heads[c.id], base_cases.get(c.id), weighing, c.id in mixed) for c in run.cases
    )

    def ids(*statuses: CaseStatus) -> tuple[str, ...]:
        return tuple(c.id for c in cases if c.status in statuses)

    critical_failures = ids("critical_failure")
    errors = ids("error")
    raw_rows = metrics(pairs, heads=heads, baseline=baseline, seed=seed, confidence=policy.confidence)
    if weighing.change is not None:  # the pass rate's interval: clustered by case, both sides' noise
        rate = by_name(raw_rows, "pass_rate")
        fitted = replace(rate, low=weighing.change.low, high=weighing.change.high)
        raw_rows = [fitted if m is rate else m for m in raw_rows]
    flow = None
    if is_workflow(run):
        flow = summary(run, seed=seed, confidence=policy.confidence)
        raw_rows += workflow_metrics(run, pairs, baseline, seed=seed, confidence=policy.confidence)
    results = checks(policy, raw_rows, weighing, critical_failures, cases)
    results += tuple(workflow_checks(policy, raw_rows))
    rows = tuple(_with_check(m, results) for m in raw_rows)
    regressed = sorted((c for c in cases if _drop(c) > EPSILON), key=lambda c: (-_drop(c), c.id))
    added = len(run.cases) - len(pairs)
    verdict, passed, reason = _decide(
        policy,
        results=results,
        rows=rows,
        compared=len(pairs),
        added=added,
        has_baseline=baseline is not None,
        weighing=weighing,
    )
    inconclusive = verdict == "INCONCLUSIVE"
    return GateResult(
        suite=run.suite,
        verdict=verdict,
        passed=passed,
        reason=reason,
        policy=policy,
        head=run.provenance,
        base=baseline.provenance if baseline is not None else None,
        metrics=rows,
        checks=results,
        cases=cases,
        new_failures=weighing.new_failures,
        fixed=ids("fixed"),
        added=tuple(c.id for c in run.cases if c.id not in base_cases),
        errors=errors,
        critical_failures=critical_failures,
        regressed=tuple(c.id for c in regressed),
        unavailable=any(c.name == "error_rate" and c.status == "fail" for c in results),
        baseline_ref=baseline_ref,
        flaky=ids("flaky"),
        flipped=ids("flipped"),
        pass_rate_change=weighing.change,
        case_drops=weighing.drops,
        power=weighing.power,
        slices=weighing.slices,
        needed_cases=weighing.needed[0] if inconclusive else None,
        needed_repeats=weighing.needed[1] if inconclusive else None,
        workflow=flow,
    )


def _drop(case: CaseComparison) -> float:
    if case.status == "added" or case.base_score is None or case.head_score is None:
        return 0.0
    return case.base_score - case.head_score


def _compare_case(
    case: CaseResult, head: Side, base: BaselineCase | None, weighing: Weighing, mixed: bool
) -> CaseComparison:
    done = [a for a in case.attempts if a.error is None and a.score is not None]
    worst = min(done, key=lambda a: (a.score or 0.0, a.repeat)) if done else None
    error_attempt = next((a for a in case.attempts if a.error is not None), None)
    error = case.error or (error_attempt.error if error_attempt is not None else None)
    base_values = base_side(base) if base is not None else None
    status: CaseStatus
    if head.error:
        status = "error"
    elif base is None:
        status = "added"
    elif case.critical and any(a.passed is not True for a in done):
        status = "critical_failure"
    elif case.id in weighing.new_failures:
        status = "new_failure"
    elif mixed:
        status = "flaky"
    elif base_values is not None and base_values.passed is False and head.passed is True:
        status = "fixed"
    elif case.id in weighing.flipped:
        status = "flipped"
    else:
        status = "pass" if head.passed else "fail"
    return CaseComparison(
        id=case.id,
        status=status,
        base_score=base_values.score if base_values is not None else None,
        head_score=head.score,
        base_passed=base_values.passed if base_values is not None else None,
        head_passed=head.passed,
        critical=case.critical,
        line=case.line,
        output=(shown_output(worst.output, worst.tool_calls) if worst is not None else None),
        error=error,
        repeats=len(case.attempts),
        repeats_passed=sum(1 for a in done if a.passed),
        workflow_detail=_workflow_detail(done),
    )


def _workflow_detail(done: Sequence[Attempt]) -> str | None:
    """Return the reason the worst failing workflow run failed: its failure or its trajectory diff."""
    failing = [a for a in done if a.trajectory is not None and a.passed is False]
    if not failing:
        return None
    worst = min(failing, key=lambda a: (a.score or 0.0, a.repeat))
    shown = [s for s in worst.scores if not s.passed and s.detail and s.type in WORKFLOW_SCORERS]
    if not shown:
        return None
    return f"run {worst.repeat + 1}: " + "\n".join(f"{s.name}: {s.detail}" for s in shown)


def _with_check(metric: Metric, results: Sequence[GateCheck]) -> Metric:
    """Return the metric marked with the worst status of the checks that judge it."""
    names = {metric.name, "min_score"} if metric.name == "score" else {metric.name}
    found = {c.status for c in results if c.name in names}
    status: Check | None = next((s for s in ("fail", "inconclusive", "pass") if s in found), None)
    return replace(metric, check=status) if status is not None else metric


def _decide(
    policy: GatePolicy,
    *,
    results: Sequence[GateCheck],
    rows: Sequence[Metric],
    compared: int,
    added: int,
    has_baseline: bool,
    weighing: Weighing,
) -> tuple[Verdict, bool, str]:
    failed = [c for c in results if c.status == "fail"]
    unsure = [c for c in results if c.status == "inconclusive"]
    if failed:
        return "FAIL", False, _join(failed)
    if unsure:
        resolved = policy.on_inconclusive == "pass"
        return "INCONCLUSIVE", resolved, f"{_join(unsure)} (on_inconclusive: {policy.on_inconclusive})"
    if not has_baseline:
        return "PASS", True, f"no baseline: {added} cases scored, not gated"
    score = by_name(rows, "score")
    parts = ["no regression"]
    if score.base is not None and score.head is not None and score.delta is not None:
        parts.append(f"mean score {score.base:.3f} → {score.head:.3f} ({score.delta:+.3f})")
    parts.append(f"{compared} cases compared" + (f", {added} added (not gated)" if added else ""))
    power = weighing.power
    if policy.decision == "evidence" and power is not None and not power.enough:
        parts.append(
            underpowered(power.detectable_drop, power.margin, power.needed_cases, power.needed_repeats)
        )
    return "PASS", True, "; ".join(parts)


def _join(failed: Sequence[GateCheck]) -> str:
    shown = "; ".join(c.detail for c in failed[:3])
    return shown + (f"; and {len(failed) - 3} more" if len(failed) > 3 else "")
