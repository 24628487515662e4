"""Statistics the gate and the summaries share: percentiles, means, the paired bootstrap (seeded),
exact tests for paired pass/fail outcomes and the power of a test."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Sequence
from statistics import NormalDist

BOOTSTRAP_SAMPLES = 1000

Statistic = Callable[[Sequence[float]], float]


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the q-th percentile (0..100) with linear interpolation, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def paired_bootstrap(
    pairs: Sequence[tuple[float, float]],
    statistic: Statistic,
    seed: int,
    confidence: float,
    linear: bool = False,
) -> tuple[float, float]:
    """Return the percentile interval of statistic(head) - statistic(base) over resampled cases."""
    samples = _resamples(seed, len(pairs))
    deltas = []
    if linear:
        # a mean or sum of differences equals the difference of means or sums: half the work
        diff = [h - b for b, h in pairs].__getitem__
        for sample in samples:
            deltas.append(statistic(list(map(diff, sample))))
    else:
        base, head = [b for b, _ in pairs].__getitem__, [h for _, h in pairs].__getitem__
        for sample in samples:
            deltas.append(statistic(list(map(head, sample))) - statistic(list(map(base, sample))))
    deltas.sort()
    alpha = (1.0 - confidence) / 2
    low = deltas[int(alpha * (BOOTSTRAP_SAMPLES - 1))]
    high = deltas[round((1 - alpha) * (BOOTSTRAP_SAMPLES - 1))]
    return low, high


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Return the Wilson score interval of a proportion, or None for no trials."""
    if n == 0:
        return None
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def quantile_interval(
    ordered: Sequence[float], q: float, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Return a distribution-free interval of the q-th percentile (0..100) of sorted values (order ranks).

    None when there are too few values for the ranks to fall inside the sample.
    """
    ranks = quantile_interval_ranks(len(ordered), q, confidence)
    return None if ranks is None else (ordered[ranks[0]], ordered[ranks[1]])


def quantile_interval_ranks(n: int, q: float, confidence: float = 0.95) -> tuple[int, int] | None:
    """Return the 0-based ranks of `quantile_interval`'s bounds among n sorted values (None: too few)."""
    p = q / 100
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    spread = z * math.sqrt(n * p * (1 - p))
    low, high = math.floor(n * p - spread), math.ceil(n * p + spread)
    if n == 0 or low < 0 or high > n - 1:
        return None
    return low, high


@functools.lru_cache(maxsize=2)
def _resamples(seed: int, n: int) -> tuple[list[int], ...]:
    # every metric of a comparison resamples the same cases: draw the indices once
    rng = random.Random(seed)  # noqa: S311 -- reproducible resampling, not secrecy
    indices = range(n)
    return tuple(rng.choices(indices, k=n) for _ in range(BOOTSTRAP_SAMPLES))


# Exact tests and power for paired pass/fail outcomes: the gate's evidence (pure, standard library only).

_NORMAL = NormalDist()


def z_value(probability: float) -> float:
    """Return the standard normal quantile of `probability` (0 < p < 1)."""
    return _NORMAL.inv_cdf(probability)


def normal_cdf(x: float) -> float:
    return _NORMAL.cdf(x)


def hypergeometric(total: int, successes: int, draws: int) -> list[float]:
    """Return P(k successes among `draws` of `total` items holding `successes`), for k = 0..draws."""
    ways = math.comb(total, draws)
    return [
        math.comb(successes, k) * math.comb(total - successes, draws - k) / ways for k in range(draws + 1)
    ]


def fisher_drop(base_passes: int, base_n: int, head_passes: int, head_n: int) -> float:
    """Return the one-sided exact p-value that the head's pass probability is lower (Fisher's test)."""
    pmf = hypergeometric(base_n + head_n, base_passes + head_passes, head_n)
    return min(1.0, sum(pmf[: head_passes + 1]))


def binomial_tail(k: int, n: int) -> float:
    """Return P(X <= k) for X ~ Binomial(n, 1/2): McNemar's exact test on discordant pairs."""
    if n == 0:
        return 1.0
    return min(1.0, sum(math.exp(_log_comb(n, i) - n * math.log(2)) for i in range(k + 1)))


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def convolve_lower(distributions: Sequence[Sequence[float]], observed: int) -> float:
    """Return P(sum <= observed) for independent integer variables given as pmfs over 0..len-1."""
    total = [1.0]
    for pmf in distributions:
        out = [0.0] * (len(total) + len(pmf) - 1)
        for i, a in enumerate(total):
            if a:
                for j, b in enumerate(pmf):
                    out[i + j] += a * b
        total = out
    return min(1.0, sum(total[: observed + 1]))


def poisson_binomial_upper(probabilities: Sequence[float], k: int) -> float:
    """Return P(K >= k) for K the number of successes of independent trials with these probabilities."""
    if k <= 0:
        return 1.0
    dist = [1.0] + [0.0] * k  # dist[j]: P(j successes so far), the last cell collects "k or more"
    for p in probabilities:
        for j in range(k, 0, -1):
            dist[j] = dist[j] * (1 - p) + dist[j - 1] * p + (dist[j] * p if j == k else 0.0)
        dist[0] *= 1 - p
    return min(1.0, dist[k])


def detectable(se: float, alpha: float, power: float) -> float:
    """Return the smallest true drop a one-sided level-`alpha` test finds with `power`, at this SE."""
    return (z_value(1 - alpha) + z_value(power)) * se


def scale_needed(se: float, target_se: float) -> float:
    """Return by how much the sample (cases or repeats) must grow for the SE to reach `target_se`."""
    if target_se <= 0:
        return math.inf
    return (se / target_se) ** 2
