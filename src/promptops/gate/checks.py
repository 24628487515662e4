"""The rules of a gate policy, each turning metrics into a pass, fail or inconclusive check."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from promptops.config import GatePolicy
from promptops.gate.metrics import by_name
from promptops.gate.result import CaseComparison, Check, GateCheck, Metric
from promptops.wording import ids_text, money

EPSILON = 1e-9


def checks(
    policy: GatePolicy,
    metrics: Sequence[Metric],
    new_failures: Sequence[str],
    critical_failures: Sequence[str],
    cases: Sequence[CaseComparison],
) -> tuple[GateCheck, ...]:
    out: list[GateCheck | None] = [_errors_check(policy, cases)]
    critical = [c for c in cases if c.critical and c.status not in ("added", "error")]
    if critical_failures:
        failing = [c for c in critical if c.id in critical_failures]
        shown = ", ".join(f"{c.id} ({c.repeats_passed}/{c.repeats} repeats passed)" for c in failing[:5])
        out.append(GateCheck("critical", "fail", f"critical cases must pass every repeat: {shown}"))
    elif critical:
        out.append(GateCheck("critical", "pass", f"all {len(critical)} critical cases passed every repeat"))
    score = by_name(metrics, "score")
    if policy.min_score > 0 and score.base is not None and score.head is not None:
        low = score.head < policy.min_score - EPSILON
        out.append(
            GateCheck(
                "min_score",
                "fail" if low else "pass",
                f"mean score {score.head:.3f} is {'below' if low else 'at or above'} min_score "
                f"{policy.min_score:.3f}",
            )
        )
    out.append(_drop_check(policy, score, policy.max_score_drop, "max_score_drop", "{:.3f}"))
    rate = by_name(metrics, "pass_rate")
    out.append(_drop_check(policy, rate, policy.max_pass_rate_drop, "max_pass_rate_drop", "{:.1%}"))
    over = len(new_failures) > policy.max_new_failures
    detail = f"{len(new_failures)} new failures" + (f" ({ids_text(new_failures, 5)})" if new_failures else "")
    limit = f"max_new_failures {policy.max_new_failures}"
    out.append(
        GateCheck(
            "new_failures",
            "fail" if over else "pass",
            f"{detail}, {'more than' if over else 'within'} {limit}",
        )
    )
    cost = by_name(metrics, "cost")
    out.append(_increase_check(cost, policy.max_cost_increase, "max_cost_increase", money))
    latency = by_name(metrics, "latency_p95")
    out.append(
        _increase_check(
            latency, policy.max_latency_p95_increase, "max_latency_p95_increase", "{:.0f} ms".format
        )
    )
    return tuple(c for c in out if c is not None)


def _errors_check(policy: GatePolicy, cases: Sequence[CaseComparison]) -> GateCheck:
    errored = sum(1 for c in cases if c.status == "error")
    rate = errored / len(cases) if cases else 0.0
    over = rate > policy.max_error_rate + EPSILON
    return GateCheck(
        "error_rate",
        "fail" if over else "pass",
        f"{errored} of {len(cases)} cases could not be evaluated ({rate:.1%}), "
        f"{'more than' if over else 'within'} max_error_rate {policy.max_error_rate:.1%}",
    )


def _drop_check(policy: GatePolicy, metric: Metric, allowed: float, key: str, fmt: str) -> GateCheck | None:
    if metric.base is None or metric.head is None or metric.delta is None:
        return None
    change = f"{metric.label} {fmt.format(metric.base)} → {fmt.format(metric.head)}"
    if policy.decision == "threshold":
        over = -metric.delta > allowed + EPSILON
        verb = "dropped more than" if over else "within"
        return GateCheck(
            metric.name, "fail" if over else "pass", f"{change}, {verb} {key} {fmt.format(allowed)}"
        )
    assert metric.low is not None and metric.high is not None
    interval = f"{policy.confidence:.0%} interval of the change [{metric.low:+.3f}, {metric.high:+.3f}]"
    margin = -allowed
    status: Check
    if metric.low >= margin - EPSILON:
        status, how = "pass", f"lower bound clears the margin {margin:+.3f}"
    elif metric.high < margin - EPSILON:
        status, how = "fail", f"lies below the margin {margin:+.3f}"
    else:
        status, how = "inconclusive", f"straddles the margin {margin:+.3f}"
    return GateCheck(metric.name, status, f"{change}; {interval} {how}")


def _increase_check(
    metric: Metric, allowed: float | None, key: str, fmt: Callable[[float], str]
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
    return GateCheck(
        metric.name,
        "fail" if over else "pass",
        f"{change}, {'more than' if over else 'within'} {key} {allowed:.0%}",
    )
