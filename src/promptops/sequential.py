"""Always-valid statistics for checks repeated on a growing window (pure, no I/O).

Every interval here is a confidence sequence: it covers the truth at every check at once with probability
at least 1 - alpha, so a canary may be analysed every hour without inflating the error rate. They all come
from one normal-mixture boundary, the inversion of the mixture sequential probability ratio test (mSPRT)
of Johari, Pekelis and Walsh, "Always Valid Inference" (2017; Robbins 1970), applied to an estimate that
is asymptotically normal with a variance known up to a plug-in.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

# Pseudo-spread added to a sum of squares (one pseudo pair at mean +- 0.5), so a window with no error or a
# constant score yet does not claim zero variance; its weight vanishes as calls accumulate.
PSEUDO_SQUARES = 0.5


@dataclass(frozen=True, kw_only=True)
class Interval:
    """A point estimate and its always-valid bounds (-inf/inf when a bound is not known yet)."""

    estimate: float
    low: float
    high: float


def mixture_radius(variance: float, tau2: float, alpha: float) -> float:
    """Return the half-width of the always-valid interval of a normal estimate with `variance`.

    mSPRT with the mixing distribution N(0, tau2) on the effect: the likelihood ratio reaches 1/alpha,
    at any time, with probability at most alpha; inverting it gives this radius.
    """
    if variance <= 0:
        return 0.0
    total = variance + tau2
    return math.sqrt(variance * total / tau2 * math.log(total / (variance * alpha * alpha)))


def spread(values: Sequence[float]) -> tuple[float, float]:
    """Return (mean, variance) of `values`, the variance with PSEUDO_SQUARES added (never zero)."""
    n = len(values)
    centre = sum(values) / n
    squares = sum((v - centre) ** 2 for v in values)
    return centre, (squares + PSEUDO_SQUARES) / (n + 1)


def difference(control: Sequence[float], canary: Sequence[float], tau: float, alpha: float) -> Interval:
    """Return mean(canary) - mean(control) with its always-valid interval (two independent samples)."""
    base, base_var = spread(control)
    head, head_var = spread(canary)
    estimate = head - base
    radius = mixture_radius(base_var / len(control) + head_var / len(canary), tau * tau, alpha)
    return Interval(estimate=estimate, low=estimate - radius, high=estimate + radius)


def paired_difference(pairs: Sequence[tuple[float, float]], tau: float, alpha: float) -> Interval:
    """Return the mean of canary - control over (control, canary) pairs with its always-valid interval."""
    centre, variance = spread([head - base for base, head in pairs])
    radius = mixture_radius(variance / len(pairs), tau * tau, alpha)
    return Interval(estimate=centre, low=centre - radius, high=centre + radius)


def ratio_of_means(
    control: Sequence[float], canary: Sequence[float], tau: float, alpha: float
) -> Interval | None:
    """Return mean(canary) / mean(control) with its always-valid interval (delta method on the log).

    None when either mean is not positive or an arm has fewer than two values.
    """
    if len(control) < 2 or len(canary) < 2:
        return None
    base, head = sum(control) / len(control), sum(canary) / len(canary)
    if base <= 0 or head <= 0:
        return None
    base_var = sum((v - base) ** 2 for v in control) / (len(control) - 1)
    head_var = sum((v - head) ** 2 for v in canary) / (len(canary) - 1)
    variance = base_var / (len(control) * base * base) + head_var / (len(canary) * head * head)
    log_ratio = math.log(head / base)
    radius = mixture_radius(variance, tau * tau, alpha)
    return Interval(estimate=head / base, low=math.exp(log_ratio - radius), high=math.exp(log_ratio + radius))


def quantile(ordered: Sequence[float], q: float, alpha: float, rho: float) -> Interval:
    """Return the q-quantile (0..1) of sorted values with an always-valid distribution-free interval.

    The count of values below the true quantile is a sum of Bernoulli(q) draws; a normal-mixture boundary
    (variance n q (1-q), mixing parameter `rho`) on that count bounds the ranks whose order statistics
    enclose the quantile at every n (Howard and Ramdas, "Sequential estimation of quantiles", 2022).
    """
    n = len(ordered)
    variance = n * q * (1 - q)
    radius = math.sqrt((variance + rho) * math.log((variance + rho) / (rho * alpha * alpha)))
    low_rank = math.ceil(n * q - radius)  # 1-based ranks
    high_rank = math.floor(n * q + radius) + 1
    low = ordered[low_rank - 1] if low_rank >= 1 else 0.0
    high = ordered[high_rank - 1] if high_rank <= n else math.inf
    return Interval(estimate=_interpolated(ordered, q), low=low, high=high)


def _interpolated(ordered: Sequence[float], q: float) -> float:
    rank = (len(ordered) - 1) * q
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def quantile_ratio(
    control: Sequence[float], canary: Sequence[float], q: float, alpha: float, rho: float
) -> Interval:
    """Return quantile(canary) / quantile(control) with an always-valid interval (alpha split over arms)."""
    base = quantile(control, q, alpha / 2, rho)
    head = quantile(canary, q, alpha / 2, rho)
    estimate = head.estimate / base.estimate if base.estimate > 0 else math.inf
    low = head.low / base.high if base.high > 0 else 0.0
    high = head.high / base.low if base.low > 0 else math.inf
    return Interval(estimate=estimate, low=low, high=high)


def mann_whitney(control: Sequence[float], canary: Sequence[float], tau: float, alpha: float) -> Interval:
    """Return P(a canary value exceeds a control value) (the Mann-Whitney U / (m n), ties count half).

    `control` must be sorted. The interval applies the normal-mixture boundary to U with its variance under
    no difference, (m + n + 1) / (12 m n): the always-valid form of the Mann-Whitney test.
    """
    m, n = len(control), len(canary)
    above = sum(bisect.bisect_left(control, v) + bisect.bisect_right(control, v) for v in canary) / 2
    share = above / (m * n)
    radius = mixture_radius((m + n + 1) / (12 * m * n), tau * tau, alpha)
    return Interval(estimate=share, low=share - radius, high=share + radius)


def calls_needed(
    variance_per_call: float, estimate: float, margin: float, tau: float, alpha: float
) -> int | None:
    """Return the calls per arm at which estimate + radius falls below `margin`, or None if it never does.

    `variance_per_call` is the variance of the estimate times the calls per arm (it shrinks as 1/n).
    """
    if estimate >= margin:
        return None
    n = 1
    while estimate + mixture_radius(variance_per_call / n, tau * tau, alpha) >= margin:
        n *= 2
        if n > 1 << 40:
            return None
    low, high = n // 2, n
    while low + 1 < high:
        middle = (low + high) // 2
        if estimate + mixture_radius(variance_per_call / middle, tau * tau, alpha) >= margin:
            low = middle
        else:
            high = middle
    return high
