"""Latency metrics of a canary: quantile ratios, the p99 SLA and the Mann-Whitney shift (pure, no I/O)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from promptops import sequential
from promptops.observe.canary.metric import Classification, Metric, Observation, no_data, ratio_class

SHIFT_TAU = 0.05  # the Mann-Whitney effect the boundary is tuned for: P(slower) 0.55


def latencies(calls: Sequence[Observation]) -> list[float]:
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
    rho: float,
) -> Metric:
    name, method = f"latency_p{q}", f"p{q} ratio, order-statistic confidence sequences (always valid)"
    if not control or not canary:
        return no_data(name, method, limit, critical, (len(control), len(canary)))
    interval = sequential.quantile_ratio(control, canary, q / 100, alpha, rho)
    non_inferior = interval.high < limit
    needed = (
        None
        if non_inferior
        else _quantile_needed(control, canary, q / 100, limit=limit, alpha=alpha, rho=rho)
    )
    return Metric(
        name=name,
        method=method,
        control=sequential.quantile(control, q / 100, alpha, rho).estimate,
        canary=sequential.quantile(canary, q / 100, alpha, rho).estimate,
        interval=interval,
        limit=limit,
        classification=ratio_class(interval, limit),
        non_inferior=non_inferior,
        critical=critical,
        needed=needed,
        samples=(len(control), len(canary)),
    )


def _quantile_needed(
    control: list[float], canary: list[float], q: float, *, limit: float, alpha: float, rho: float
) -> int | None:
    """Return canary calls at which the ratio's upper bound would fall below `limit`, the data as now."""
    growth = len(control) / len(canary)

    def high(n: int) -> float:
        widths = []
        for size in (n, growth * n):
            variance = size * q * (1 - q)
            radius = math.sqrt((variance + rho) * math.log((variance + rho) / (rho * (alpha / 2) ** 2)))
            widths.append(radius / size)
        top, bottom = q + widths[0], q - widths[1]
        if top >= 1 or bottom <= 0:
            return math.inf
        base = _at(control, bottom)
        return _at(canary, top) / base if base > 0 else math.inf

    if _at(canary, q) / max(_at(control, q), 1e-12) >= limit:
        return None
    return _search(lambda n: high(n) < limit)


def _at(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]


def _search(good: Callable[[int], bool]) -> int | None:
    n = 1
    while not good(n):
        n *= 2
        if n > 1 << 30:
            return None
    low = n // 2
    while low + 1 < n:
        middle = (low + n) // 2
        low, n = (low, middle) if good(middle) else (middle, n)
    return n


def sla_metric(
    control: list[float], canary: list[float], *, sla: float, critical: bool, alpha: float, rho: float
) -> Metric:
    name, method = "latency_sla_p99", "canary p99 against the SLA, order-statistic confidence sequence"
    if not canary:
        return no_data(name, method, sla, critical, (len(control), 0))
    head = sequential.quantile(canary, 0.99, alpha, rho)
    base = sequential.quantile(control, 0.99, alpha, rho).estimate if control else None
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
    )


def shift_metric(control: list[float], canary: list[float], alpha: float) -> Metric:
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
        control=sequential.quantile(control, 0.5, alpha, 1.0).estimate,
        canary=sequential.quantile(canary, 0.5, alpha, 1.0).estimate,
        interval=interval,
        limit=0.5,
        classification=classification,
        non_inferior=True,
        critical=False,
        gating=False,
        samples=(len(control), len(canary)),
    )
