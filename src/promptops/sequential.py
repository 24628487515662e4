"""Always-valid statistics for checks repeated on a growing window (pure, no I/O).

Every bound here is one side of a confidence sequence: it holds at every check at once with probability at
least 1 - alpha, so a canary may be analysed every hour (or every minute) without inflating the error rate.
The harm side (what rolls back) and the non-inferiority side (what promotes) are separate one-sided bounds,
each at its own alpha: they control different errors. Two constructions:

- Means (differences of rates and scores, ratios of mean costs): the one-sided (half-normal) mixture of
  Howard, Ramdas, McAuliffe and Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences"
  (Ann. Statist. 2021, §3.5), on an estimate that is asymptotically normal with a plug-in variance (the
  mSPRT of Johari, Pekelis and Walsh, "Always Valid Inference", 2017, made one-sided). The mixing variance
  is set, in units of calls, so the bound is tightest at `target` calls; it stays valid at every other.
- Quantiles: exact for any continuous distribution. The count of values above the true quantile is
  binomial; a one-sided mixture of Bernoulli likelihood ratios over a grid of alternatives (a discrete
  prior; Howard and Ramdas, "Sequential estimation of quantiles with applications to A/B-testing and
  best-arm identification", Bernoulli 2022, use a beta prior) is a test martingale for it at every n.
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Pseudo-spread added to a sum of squares (one pseudo pair at mean +- 0.5), so a window with no error or a
# constant score yet does not claim zero variance; its weight vanishes as calls accumulate.
PSEUDO_SQUARES = 0.5
# The quantile mixture's grid: alternatives tuned to detect at target * 2**k calls, equal weights.
GRID = tuple(2.0**k for k in range(-3, 5))


@dataclass(frozen=True, kw_only=True)
class Interval:
    """A point estimate and its always-valid bounds (-inf/inf when a bound is not known yet)."""

    estimate: float
    low: float
    high: float


def _log_normal_cdf(u: float) -> float:
    return math.log(max(0.5 * math.erfc(-u / math.sqrt(2)), 1e-300))


@functools.lru_cache(maxsize=8192)
def boundary_factor(ratio: float, alpha: float) -> float:
    """Return u with u^2/2 + log Phi(u) = log(1 / (2 alpha)) + log(1 + ratio) / 2.

    The half-normal mixture martingale 2 sqrt(rho / (V + rho)) exp(S^2 / 2(V + rho)) Phi(S / sqrt(V + rho))
    reaches 1 / alpha exactly when S = u sqrt(V + rho); `ratio` is V / rho, the information over the mixing
    precision.
    """
    goal = math.log(1 / (2 * alpha)) + 0.5 * math.log1p(ratio)
    low, high = -10.0, 50.0
    for _ in range(60):
        middle = (low + high) / 2
        if middle * middle / 2 + _log_normal_cdf(middle) < goal:
            low = middle
        else:
            high = middle
    return high


def tuned_ratio(calls: float, target: float, alpha: float) -> float:
    """Return V / rho at `calls` for the mixture tightest at `target` calls (Howard et al.'s choice)."""
    spend = 2 * math.log(1 / alpha)
    return max(calls, 1.0) / max(target, 1.0) * (spend + math.log1p(spend))


def radius(variance: float, calls: float, target: float, alpha: float) -> float:
    """Return the one-sided always-valid radius of a normal estimate with `variance` after `calls` calls."""
    if variance <= 0:
        return 0.0
    ratio = tuned_ratio(calls, target, alpha)
    return boundary_factor(ratio, alpha) * math.sqrt(variance * (1 + 1 / ratio))


def spread(values: Sequence[float]) -> tuple[float, float]:
    """Return (mean, variance) of `values`, the variance with PSEUDO_SQUARES added (never zero)."""
    n = len(values)
    total = math.fsum(values)
    centre = total / n
    squares = max(math.fsum(map(operator.mul, values, values)) - total * centre, 0.0)
    return centre, (squares + PSEUDO_SQUARES) / (n + 1)


def bounds(estimate: float, variance: float, calls: float, *, target: float, alpha: float) -> Interval:
    """Return the estimate with a lower and an upper bound, each one-sided always valid at `alpha`."""
    half = radius(variance, calls, target, alpha)
    return Interval(estimate=estimate, low=estimate - half, high=estimate + half)


def difference(control: Sequence[float], canary: Sequence[float], *, target: float, alpha: float) -> Interval:
    """Return mean(canary) - mean(control) with its always-valid bounds (two independent samples).

    `target` counts canary values: the calls at which the bounds are tightest.
    """
    base, base_var = spread(control)
    head, head_var = spread(canary)
    variance = base_var / len(control) + head_var / len(canary)
    return bounds(head - base, variance, len(canary), target=target, alpha=alpha)


def paired_difference(pairs: Sequence[tuple[float, float]], *, target: float, alpha: float) -> Interval:
    """Return the mean of canary - control over (control, canary) pairs with its always-valid bounds."""
    centre, variance = spread([head - base for base, head in pairs])
    return bounds(centre, variance / len(pairs), len(pairs), target=target, alpha=alpha)


def ratio_of_means(
    control: Sequence[float], canary: Sequence[float], *, target: float, alpha: float
) -> Interval | None:
    """Return mean(canary) / mean(control) with its always-valid bounds (delta method on the log).

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
    log_ratio = bounds(math.log(head / base), variance, len(canary), target=target, alpha=alpha)
    return Interval(estimate=head / base, low=math.exp(log_ratio.low), high=math.exp(log_ratio.high))


def _alternatives(share: float, target: float, alpha: float, up: bool) -> list[tuple[float, float]]:
    """Return the exceedance probabilities the mixture bets on, one per grid size, as the log likelihood
    ratios of a value above and of one below the point."""
    out = []
    for factor in GRID:
        step = math.sqrt(2 * math.log(1 / alpha) * share * (1 - share) / (target * factor))
        p = min(share + step, 1 - 1e-9) if up else max(share - step, share / 50)
        out.append((math.log(p / share), math.log((1 - p) / (1 - share))))
    return out


def _log_mixture(count: int, n: int, steps: list[tuple[float, float]]) -> float:
    terms = [count * up + (n - count) * down for up, down in steps]
    top = max(terms)
    return top + math.log(sum(math.exp(t - top) for t in terms) / len(terms))


@functools.lru_cache(maxsize=16384)
def too_many(n: int, share: float, *, target: float, alpha: float) -> int:
    """Return the fewest of n values above a point exceeded with probability `share` that rejects it.

    That is the smallest count at which the mixture of likelihood ratios (alternatives above `share`)
    reaches 1 / alpha; n + 1 when none does.
    """
    steps, goal = _alternatives(share, target, alpha, up=True), math.log(1 / alpha)
    return _first(lambda count: count > n or _log_mixture(count, n, steps) >= goal, math.floor(n * share), n)


@functools.lru_cache(maxsize=16384)
def too_few(n: int, share: float, *, target: float, alpha: float) -> int:
    """Return the most of n values above a point exceeded with probability `share` that rejects it.

    That is the largest count at which the mixture (alternatives below `share`) reaches 1 / alpha; -1: none.
    """
    steps, goal = _alternatives(share, target, alpha, up=False), math.log(1 / alpha)
    start = math.ceil(n * share)  # the mixture falls as the count grows; here it is below 1
    below = _first(lambda down: start - down < 0 or _log_mixture(start - down, n, steps) >= goal, -1, n)
    return start - below


def _first(good: Callable[[int], bool], start: int, n: int) -> int:
    """Return the smallest integer above `start` where the monotone `good` holds (galloping, then halving)."""
    low, step = start, max(1, math.isqrt(max(n, 1)) // 8)
    high = low + step
    while not good(high):
        low, step = high, step * 2
        high = low + step
    while low + 1 < high:
        middle = (low + high) // 2
        low, high = (low, middle) if good(middle) else (middle, high)
    return high


def quantile(ordered: Sequence[float], q: float, *, target: float, alpha: float) -> Interval:
    """Return the q-quantile (0..1) of sorted values with always-valid distribution-free bounds.

    Each bound is an order statistic, one-sided at `alpha`: the lower one where too many values lie above
    it for it to be the quantile, the upper one where too few do (0 and inf while not known yet).
    """
    n = len(ordered)
    rank_low = n - too_many(n, 1 - q, target=target, alpha=alpha) + 1  # 1-based
    rank_high = n - too_few(n, 1 - q, target=target, alpha=alpha)
    low = ordered[rank_low - 1] if rank_low >= 1 else 0.0
    high = ordered[rank_high - 1] if rank_high <= n else math.inf
    return Interval(estimate=interpolated(ordered, q), low=low, high=high)


def interpolated(ordered: Sequence[float], q: float) -> float:
    """Return the q-quantile of sorted values, interpolated between order statistics."""
    rank = (len(ordered) - 1) * q
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def quantile_ratio(
    control: Sequence[float], canary: Sequence[float], q: float, *, target: float, alpha: float
) -> Interval:
    """Return quantile(canary) / quantile(control) with always-valid bounds, each side's alpha split over the
    arms; `target` counts canary values (the control's is scaled by its share of the calls)."""
    growth = max(len(control) / max(len(canary), 1), 1.0)
    base = quantile(control, q, target=target * growth, alpha=alpha / 2)
    head = quantile(canary, q, target=target, alpha=alpha / 2)
    estimate = head.estimate / base.estimate if base.estimate > 0 else math.inf
    low = head.low / base.high if base.high > 0 else 0.0
    high = head.high / base.low if base.low > 0 else math.inf
    return Interval(estimate=estimate, low=low, high=high)


def mixture_radius(variance: float, tau2: float, alpha: float) -> float:
    """Return the two-sided half-width of the normal-mixture (mSPRT, N(0, tau2) on the effect) interval."""
    if variance <= 0:
        return 0.0
    total = variance + tau2
    return math.sqrt(variance * total / tau2 * math.log(total / (variance * alpha * alpha)))


def mann_whitney(control: Sequence[float], canary: Sequence[float], tau: float, alpha: float) -> Interval:
    """Return P(a canary value exceeds a control value) (the Mann-Whitney U / (m n), ties count half).

    `control` must be sorted. The interval applies the two-sided normal-mixture boundary to U with its
    variance under no difference, (m + n + 1) / (12 m n): the always-valid form of the Mann-Whitney test.
    """
    m, n = len(control), len(canary)
    above = sum(bisect.bisect_left(control, v) + bisect.bisect_right(control, v) for v in canary) / 2
    share = above / (m * n)
    half = mixture_radius((m + n + 1) / (12 * m * n), tau * tau, alpha)
    return Interval(estimate=share, low=share - half, high=share + half)


def calls_needed(
    variance_per_call: float, harm: float, margin: float, *, target: float, alpha: float
) -> int | None:
    """Return the calls at which a harm (canary worse by `harm`, same scale as `margin`) would be decided.

    Decided means rolled back when the harm is at the margin or beyond (its lower bound above zero), shown
    non-inferior otherwise (its upper bound below the margin); the estimate and `variance_per_call` (the
    estimate's variance times the calls behind it) are assumed to stay as they are. None: never.
    """
    if harm >= margin:

        def decided(n: int) -> bool:
            return harm - radius(variance_per_call / n, n, target, alpha) > 0
    else:

        def decided(n: int) -> bool:
            return harm + radius(variance_per_call / n, n, target, alpha) < margin

    n = 1
    while not decided(n):
        n *= 2
        if n > 1 << 40:
            return None
    low = n // 2
    while low + 1 < n:
        middle = (low + n) // 2
        low, n = (low, middle) if decided(middle) else (middle, n)
    return n
