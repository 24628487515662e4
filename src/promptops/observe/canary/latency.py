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
        needed = _quantile_needed(
            control,
            canary,
            q / 100,
            limit=limit,
            alpha=alpha,
            target=target,
            rollback=interval.estimate >= limit,
        )
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
        needed_for=None if needed is None else ("rollback" if interval.estimate >= limit else "promote"),
        samples=(len(control), len(canary)),
        alpha=alpha,
    )


def _quantile_needed(
    control: list[float],
    canary: list[float],
    q: float,
    *,
    limit: float,
    alpha: float,
    target: float,
    rollback: bool,
) -> int | None:
    """Return the canary calls at which the ratio would be decided, the distributions staying as now.

    `rollback`: when the lower bound would pass 1 (the observed ratio is at the limit or beyond); else when
    the upper bound would fall below the limit.
    """
    growth = float(f"{max(len(control) / len(canary), 1.0):.2g}")  # coarse: the bounds are cached by size
    share = 1 - q

    def level(size: int, scale: float, up: bool) -> float:
        """Return the probability level of the lower (up: too many above) or upper bound of `size` values."""
        kind = sequential.too_many if up else sequential.too_few
        count = kind(size, share, target=target * scale, alpha=alpha / 2)
        return (size - count + 1) / size if up else (size - count) / size

    def harm_low(n: int) -> float:
        base_high = level(max(round(growth * n), 1), growth, up=False)
        return _at(canary, level(n, 1.0, up=True)) / _at(control, base_high) if base_high <= 1 else 0.0

    def safe_high(n: int) -> float:
        base_low, head_high = level(max(round(growth * n), 1), growth, up=True), level(n, 1.0, up=False)
        bottom = _at(control, base_low) if base_low > 0 else 0.0
        return _at(canary, head_high) / bottom if head_high <= 1 and bottom > 0 else math.inf

    if rollback:
        return _search(lambda n: harm_low(n) > 1, len(canary))
    return _search(lambda n: safe_high(n) < limit, len(canary))


def _at(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]


def _search(good: Callable[[int], bool], start: int) -> int | None:
    """Return about the smallest n >= 1 where `good` holds (to 2%: `needed` is an estimate), or None."""
    low, n = 0, max(start, 1)
    if not good(n):
        while not good(n):
            low, n = n, n * 2
            if n > 1 << 24:
                return None
    while n - low > max(1, n // 50):
        middle = (low + n) // 2
        low, n = (low, middle) if middle > 0 and good(middle) else (middle, n)
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
