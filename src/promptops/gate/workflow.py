"""Workflow suites under the gate (§9.3): a case is a workflow run repeated K times.

Per case: its pass rate, pass^k (1 when all K runs passed) and stability (stable pass K/K, stable fail
0/K, else flaky). Per suite: pass^k, model calls per case run (each case's median over its runs, the
mean over cases, paired by case with the baseline), the
tool error rate, the timeout rate and the p95 cost of a case run, each with a percentile bootstrap
interval that resamples **cases** (a case's K runs move together: never K x N independent samples).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

from promptops.config import GatePolicy
from promptops.evals.records import Baseline, CaseResult, RunResult, Side, head_side
from promptops.gate.result import CaseStability, GateCheck, Metric, Stability, WorkflowSummary
from promptops.stats import BOOTSTRAP_SAMPLES, mean, paired_bootstrap, percentile
from promptops.wording import money

EPSILON = 1e-9
Runs = Sequence[tuple[float, ...]]  # one case's runs, each a tuple of the values a statistic reads


def stability(passed: int, runs: int) -> Stability:
    """Return stable pass (K of K), stable fail (0 of K) or flaky."""
    if passed == runs:
        return "stable_pass"
    return "stable_fail" if passed == 0 else "flaky"


def is_workflow(run: RunResult) -> bool:
    """Return whether a run holds workflow case runs (attempts with a trajectory)."""
    return any(a.trajectory is not None for c in run.cases for a in c.attempts)


def summary(run: RunResult, *, seed: int, confidence: float) -> WorkflowSummary:
    """Return pass^k and the stability of every evaluated case of the head."""
    found = []
    for case in run.cases:
        done = [a for a in case.attempts if a.error is None and a.passed is not None]
        if done:
            passed = sum(1 for a in done if a.passed)
            found.append(
                CaseStability(
                    id=case.id, runs=len(done), passed=passed, stability=stability(passed, len(done))
                )
            )
    values = [c.pass_k for c in found]
    low, high = (
        _interval([[(v,)] for v in values], _share_of_first, seed, confidence) if values else (None, None)
    )
    return WorkflowSummary(
        repeats=run.provenance.repeats,
        pass_k=sum(values) / len(values) if values else None,
        pass_k_low=low,
        pass_k_high=high,
        stable_pass=sum(1 for c in found if c.stability == "stable_pass"),
        flaky=sum(1 for c in found if c.stability == "flaky"),
        stable_fail=sum(1 for c in found if c.stability == "stable_fail"),
        cases=tuple(found),
    )


def workflow_metrics(
    run: RunResult,
    pairs: Sequence[tuple[Side, Side]],
    baseline: Baseline | None,
    *,
    seed: int,
    confidence: float,
) -> list[Metric]:
    """Return the rows of a workflow suite: pass^k, steps, tool error rate, timeout rate, cost per case."""
    flow = summary(run, seed=seed, confidence=confidence)
    rows = [
        Metric(
            name="pass_k",
            label=f"pass^{flow.repeats}",
            unit="rate",
            base=None,
            head=flow.pass_k,
            delta=None,
            low=flow.pass_k_low,
            high=flow.pass_k_high,
        ),
        _steps(pairs, run, baseline, seed, confidence),
    ]
    runs = {c.id: _runs(c) for c in run.cases}
    tool_runs = [[(float(e), float(t)) for e, t, _, _ in r] for r in runs.values()]
    rows.append(_head_row("tool_error_rate", "tool error rate", "rate", tool_runs, _ratio, seed, confidence))
    timeout_runs = [[(float(o), 1.0) for _, _, o, _ in r] for r in runs.values()]
    rows.append(_head_row("timeout_rate", "timeout rate", "rate", timeout_runs, _ratio, seed, confidence))
    costs = [c for r in runs.values() for _, _, _, c in r]
    cost_runs = [[(c,) for _, _, _, c in r if c is not None] for r in runs.values()]
    cost = _head_row(
        "cost_per_case", "cost per case run p95", "usd", cost_runs, _p95_of_first, seed, confidence
    )
    if None in costs:  # an unknown price is unknown, never $0
        cost = replace(cost, head=None, low=None, high=None)
    rows.append(cost)
    return rows


def workflow_checks(policy: GatePolicy, rows: Sequence[Metric]) -> list[GateCheck]:
    """Return the checks of the workflow policy keys that are set (§9.3)."""
    by = {m.name: m for m in rows}
    out: list[GateCheck] = []
    steps = by.get("steps")
    allowed = policy.max_steps_increase
    if allowed is not None and steps is not None and steps.base is not None and steps.head is not None:
        out.append(_steps_check(policy, steps, allowed))
    for key, name, limit, fmt in (
        ("max_tool_error_rate", "tool_error_rate", policy.max_tool_error_rate, "{:.1%}".format),
        ("max_timeout_rate", "timeout_rate", policy.max_timeout_rate, "{:.1%}".format),
        ("max_cost_per_case", "cost_per_case", policy.max_cost_per_case, money),
    ):
        row = by.get(name)
        if limit is None or row is None:
            continue
        if row.head is None:
            out.append(GateCheck(name=name, status="pass", detail=f"{row.label}: no data, {key} not judged"))
            continue
        over = row.head > limit + EPSILON
        verb = "above" if over else "within"
        bounds = (
            ""
            if row.low is None or row.high is None
            else f" ({confidence_text(policy)} [{fmt(row.low)}, {fmt(row.high)}])"
        )
        out.append(
            GateCheck(
                name=name,
                status="fail" if over else "pass",
                detail=f"{row.label} {fmt(row.head)}{bounds}, {verb} {key} {fmt(limit)}",
            )
        )
    return out


def confidence_text(policy: GatePolicy) -> str:
    return f"{policy.confidence:.0%} interval"


def _steps_check(policy: GatePolicy, steps: Metric, allowed: float) -> GateCheck:
    assert steps.base is not None and steps.head is not None
    increase = (
        (steps.head - steps.base) / steps.base
        if steps.base > 0
        else (float("inf") if steps.head > 0 else 0.0)
    )
    change = f"model calls per case run {steps.base:.2f} → {steps.head:.2f} ({increase:+.0%})"
    key = f"max_steps_increase {allowed:.0%}"
    if policy.decision == "threshold" or steps.low is None:
        over = increase > allowed + EPSILON
    else:
        # the increase must exceed the allowance beyond what resampling the cases explains
        over = steps.low > allowed * steps.base + EPSILON
    interval = (
        ""
        if steps.low is None or steps.high is None
        else f"; {confidence_text(policy)} of the change [{steps.low:+g}, {steps.high:+g}]"
    )
    return GateCheck(
        name="steps",
        status="fail" if over else "pass",
        detail=f"{change}{interval}, {'more than' if over else 'within'} {key}",
    )


def _runs(case: CaseResult) -> list[tuple[int, int, int, float | None]]:
    """Return per evaluated run: (tool errors, tool calls, timed out, cost)."""
    out = []
    for a in case.attempts:
        t = a.trajectory
        if t is None or a.error is not None:
            continue
        out.append((t.totals.tool_errors, t.totals.tool_calls, int(t.timed_out), t.totals.cost_usd))
    return out


def _steps(
    pairs: Sequence[tuple[Side, Side]],
    run: RunResult,
    baseline: Baseline | None,
    seed: int,
    confidence: float,
) -> Metric:
    label = "model calls per case run"
    both = [(b.steps, h.steps) for b, h in pairs if b.steps is not None and h.steps is not None]
    if baseline is None or not both:
        own = sorted(s for s in (head_side(c).steps for c in run.cases) if s is not None)
        head = mean(own) if own else None
        return Metric(
            name="steps", label=label, unit="count", base=None, head=head, delta=None, low=None, high=None
        )
    # each case's median over its runs, averaged over cases: a paired mean, so its interval is exact to
    # resample and one more call in every run moves it by one
    base = mean([b for b, _ in both])
    head = mean([h for _, h in both])
    low, high = paired_bootstrap(both, mean, seed, confidence, linear=True)
    return Metric(
        name="steps", label=label, unit="count", base=base, head=head, delta=head - base, low=low, high=high
    )


def _head_row(  # noqa: PLR0917 -- one call per head-only row, read as a table
    name: str,
    label: str,
    unit: Literal["rate", "usd"],
    cases: Sequence[Runs],
    statistic: Callable[[Runs], float | None],
    seed: int,
    confidence: float,
) -> Metric:
    flat = [r for case in cases for r in case]
    head = statistic(flat) if flat else None
    low, high = _interval(cases, statistic, seed, confidence) if head is not None else (None, None)
    return Metric(name=name, label=label, unit=unit, base=None, head=head, delta=None, low=low, high=high)


def _ratio(runs: Runs) -> float | None:
    total = sum(r[1] for r in runs)
    return sum(r[0] for r in runs) / total if total else None


def _share_of_first(runs: Runs) -> float | None:
    return sum(r[0] for r in runs) / len(runs) if runs else None


def _p95_of_first(runs: Runs) -> float | None:
    return percentile([r[0] for r in runs], 95)


def _interval(
    cases: Sequence[Runs], statistic: Callable[[Runs], float | None], seed: int, confidence: float
) -> tuple[float | None, float | None]:
    """Return the percentile bootstrap interval of `statistic` over resampled cases (each with its runs)."""
    if not cases:
        return None, None
    if statistic is _ratio:  # a ratio of sums: each case's runs summed once, not per resample
        cases = [[(sum(r[0] for r in runs), sum(r[1] for r in runs))] for runs in cases]
    rng = random.Random(seed)  # noqa: S311 -- reproducible resampling, not secrecy
    indices = range(len(cases))
    found = []
    for _ in range(BOOTSTRAP_SAMPLES):
        picked = [r for i in rng.choices(indices, k=len(cases)) for r in cases[i]]
        value = statistic(picked) if picked else None
        if value is not None:
            found.append(value)
    if not found:
        return None, None
    tail = (1 - confidence) / 2
    return percentile(found, tail * 100), percentile(found, (1 - tail) * 100)
