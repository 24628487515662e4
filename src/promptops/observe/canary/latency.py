"""Latency metrics of a canary: quantile ratios, the p99 SLA and the Mann-Whitney shift (pure, no I/O).

Quantile bounds are order statistics from exact, distribution-free confidence sequences (see
promptops.sequential.quantile); a ratio's harm bound is the canary's lower bound over the control's upper
one, each at half the metric's budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from promptops import sequential
from promptops.observe.canary.metric import Classification, Metric, Observation, no_data, ratio_class

SHIFT_TAU = 0.05  # the Mann-Whitney effect the boundary is tuned for: P(slower) 0.55


def latencies(calls: Sequence[Observation]) -> list[float]:
    """Return the sorted latencies of the successful calls."""
    # errors count toward the error rate; their latency (a timeout, a fast refusal) is not the prompt's
    return sorted(c.latency_ms for c in calls if c.ok and c.latency_ms is not None)


def quantile_metric(
    control: list[float],
    canary: list[float],
    *,
    q: int,
    limit: float,
    critical: bool,
    alpha: float,
    target: float,
) -> Metric:
    """Return the p`q` ratio canary / control of sorted latencies against the ratio `limit`."""
    name, method = f"latency_p{q}", f"p{q} ratio, order statistics of exact quantile confidence sequences"
    if not control or not canary:
        return no_data(name, method, limit, critical, (len(control), len(canary)), alpha=alpha)
    interval = sequential.quantile_ratio(control, canary, q / 100, target=target, alpha=alpha)
    non_inferior = interval.high < limit
    classification = ratio_class(interval, limit)
    needed = None
    if not non_inferior and classification != "worse":
        needed = _quantile_needed(control, canary, q / 100, limit=limit, alpha=alpha, target=target)
    return Metric(
        name=name,
        method=method,
        control=sequential.interpolated(control, q / 100),
        canary=sequential.interpolated(canary, q / 100),
        interval=interval,
        limit=limit,
        classification=classification,
        non_inferior=non_inferior,
        critical=critical,
        needed=needed,
        samples=(len(control), len(canary)),
        alpha=alpha,
    )


def _quantile_needed(
    control: list[float], canary: list[float], q: float, *, limit: float, alpha: float, target: float
) -> int | None:
    """Return the canary calls at which the ratio would be decided, the distributions staying as now.

    Rolled back (lower bound above 1) when the observed ratio is at the limit or beyond, else shown
    non-inferior (upper bound below the limit).
    """
    growth = max(len(control) / len(canary), 1.0)
    share = 1 - q

    def ranks(n: int, size: int, scale: float) -> tuple[float, float]:
        """Return the probability levels of the lower and upper bounds of `size` values."""
        many = sequential.too_many(size, share, target=target * scale, alpha=alpha / 2)
        few = sequential.too_few(size, share, target=target * scale, alpha=alpha / 2)
        return (size - many + 1) / size, (size - few) / size

    def bounds(n: int) -> tuple[float, float]:
        head_low, head_high = ranks(n, n, 1.0)
        size = max(round(growth * n), 1)
        base_low, base_high = ranks(n, size, growth)
        low = _at(canary, head_low) / _at(control, base_high) if base_high <= 1 else 0.0
        bottom = _at(control, base_low) if base_low > 0 else 0.0
        high = _at(canary, head_high) / bottom if head_high <= 1 and bottom > 0 else math.inf
        return low, high

    ratio = _at(canary, q) / max(_at(control, q), 1e-12)
    if ratio >= limit:
        return _search(lambda n: bounds(n)[0] > 1)
    return _search(lambda n: bounds(n)[1] < limit)


def _at(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]


def _search(good: Callable[[int], bool]) -> int | None:
    n = 1
    while not good(n):
        n *= 2
        if n > 1 << 24:
            return None
    low = n // 2
    while low + 1 < n:
        middle = (low + n) // 2
        low, n = (low, middle) if good(middle) else (middle, n)
    return n


def sla_metric(
    control: list[float], canary: list[float], *, sla: float, critical: bool, alpha: float, target: float
) -> Metric:
    """Return the canary's p99 against the absolute SLA (ms)."""
    name, method = "latency_sla_p99", "canary p99 against the SLA, exact quantile confidence sequence"
    if not canary:
        return no_data(name, method, sla, critical, (len(control), 0), alpha=alpha)
    head = sequential.quantile(canary, 0.99, target=target, alpha=alpha)
    base = sequential.interpolated(control, 0.99) if control else None
    classification: Classification = "worse" if head.low > sla else "pass"
    return Metric(
        name=name,
        method=method,
        control=base,
        canary=head.estimate,
        interval=head,
        limit=sla,
        classification=classification,
        non_inferior=head.high <= sla,
        critical=critical,
        samples=(len(control), len(canary)),
        alpha=alpha,
    )


def shift_metric(control: list[float], canary: list[float], alpha: float) -> Metric:
    """Return the informational Mann-Whitney P(a canary call is slower); it spends no error budget."""
    name, method = "latency_shift", "Mann-Whitney P(canary call slower), always-valid bound (informational)"
    if not control or not canary:
        # informational: no data never holds a promotion back
        return replace(no_data(name, method, None, False, (0, 0)), non_inferior=True, gating=False)
    interval = sequential.mann_whitney(control, canary, SHIFT_TAU, alpha)
    classification: Classification = "pass"
    if interval.low > 0.5:
        classification = "worse"
    elif interval.high < 0.5:
        classification = "better"
    return Metric(
        name=name,
        method=method,
        control=sequential.interpolated(control, 0.5),
        canary=sequential.interpolated(canary, 0.5),
        interval=interval,
        limit=0.5,
        classification=classification,
        non_inferior=True,
        critical=False,
        gating=False,
        samples=(len(control), len(canary)),
    )
