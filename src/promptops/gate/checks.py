"""The rules of a gate policy, each turning metrics into a pass, fail or inconclusive check."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from promptops.config import GatePolicy
from promptops.gate.metrics import by_name
from promptops.gate.result import CaseComparison, GateCheck, Metric
from promptops.gate.rules import EPSILON, new_failures_check, quality_check, slice_checks
from promptops.gate.weighing import Weighing
from promptops.wording import money

__all__ = ["EPSILON", "checks"]


def checks(
    policy: GatePolicy,
    metrics: Sequence[Metric],
    weighing: Weighing,
    critical_failures: Sequence[str],
    cases: Sequence[CaseComparison],
) -> tuple[GateCheck, ...]:
    out: list[GateCheck | None] = [_errors_check(policy, cases)]
    critical = [c for c in cases if c.critical and c.status not in ("added", "error")]
    if critical_failures:
        failing = [c for c in critical if c.id in critical_failures]
        shown = ", ".join(f"{c.id} ({c.repeats_passed}/{c.repeats} repeats passed)" for c in failing[:5])
        out.append(
            GateCheck(
                name="critical", status="fail", detail=f"critical cases must pass every repeat: {shown}"
            )
        )
    elif critical:
        out.append(
            GateCheck(
                name="critical",
                status="pass",
                detail=f"all {len(critical)} critical cases passed every repeat",
            )
        )
    score = by_name(metrics, "score")
    if policy.min_score > 0 and score.base is not None and score.head is not None:
        low = score.head < policy.min_score - EPSILON
        out.append(
            GateCheck(
                name="min_score",
                status="fail" if low else "pass",
                detail=f"mean score {score.head:.3f} is {'below' if low else 'at or above'} min_score "
                f"{policy.min_score:.3f}",
            )
        )
    if not weighing.score_redundant:  # pass/fail scorers: the mean score is the pass rate, judged once
        out.append(
            quality_check(policy, score, policy.max_score_drop, "max_score_drop", weighing.score_p, weighing)
        )
    rate = by_name(metrics, "pass_rate")
    p_value = weighing.change.p_value if weighing.change is not None else None
    out.append(
        quality_check(policy, rate, policy.max_pass_rate_drop, "max_pass_rate_drop", p_value, weighing)
    )
    out.append(new_failures_check(policy, weighing))
    out += slice_checks(policy, weighing)
    cost = by_name(metrics, "cost")
    out.append(_increase_check(cost, policy.max_cost_increase, "max_cost_increase", money))
    latency = by_name(metrics, "latency_p95")
    out.append(
        _increase_check(
            latency, policy.max_latency_p95_increase, "max_latency_p95_increase", "{:.0f} ms".format
        )
    )
    ttft = next((m for m in metrics if m.name == "ttft_p95"), None)
    if ttft is not None:
        out.append(
            _increase_check(
                ttft, policy.max_ttft_p95_increase, "max_ttft_p95_increase", "{:.0f} ms".format, interval=True
            )
        )
    return tuple(c for c in out if c is not None)


def _errors_check(policy: GatePolicy, cases: Sequence[CaseComparison]) -> GateCheck:
    errored = sum(1 for c in cases if c.status == "error")
    rate = errored / len(cases) if cases else 0.0
    over = rate > policy.max_error_rate + EPSILON
    return GateCheck(
        name="error_rate",
        status="fail" if over else "pass",
        detail=f"{errored} of {len(cases)} cases could not be evaluated ({rate:.1%}), "
        f"{'more than' if over else 'within'} max_error_rate {policy.max_error_rate:.1%}",
    )


def _increase_check(
    metric: Metric, allowed: float | None, key: str, fmt: Callable[[float], str], *, interval: bool = False
) -> GateCheck | None:
    if allowed is None or metric.base is None or metric.head is None:
        return None
    if metric.base > 0:
        increase = (metric.head - metric.base) / metric.base
    else:
        increase = float("inf") if metric.head > 0 else 0.0
    over = increase > allowed + EPSILON
    rise = "rose" if increase > 0 else "changed"
    change = f"{metric.label} {rise} {increase:+.0%} ({fmt(metric.base)} → {fmt(metric.head)})"
    if interval and metric.low is not None and metric.high is not None:
        change += f"; 95% paired-bootstrap interval of the change [{metric.low:+.0f}, {metric.high:+.0f}] ms"
    return GateCheck(
        name=metric.name,
        status="fail" if over else "pass",
        detail=f"{change}, {'more than' if over else 'within'} {key} {allowed:.0%}",
    )
