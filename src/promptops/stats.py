"""Statistics the gate and the summaries share: percentiles, means, the paired bootstrap (seeded)."""

from __future__ import annotations

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
    rng = random.Random(seed)  # noqa: S311 -- reproducible resampling, not secrecy
    n = len(pairs)
    indices = range(n)
    deltas = []
    if linear:
        # a mean or sum of differences equals the difference of means or sums: half the work
        diff = [h - b for b, h in pairs].__getitem__
        for _ in range(BOOTSTRAP_SAMPLES):
            deltas.append(statistic(list(map(diff, rng.choices(indices, k=n)))))
    else:
        base, head = [b for b, _ in pairs].__getitem__, [h for _, h in pairs].__getitem__
        for _ in range(BOOTSTRAP_SAMPLES):
            sample = rng.choices(indices, k=n)
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
    n, p = len(ordered), q / 100
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    spread = z * math.sqrt(n * p * (1 - p))
    low, high = math.floor(n * p - spread), math.ceil(n * p + spread)
    if n == 0 or low < 0 or high > n - 1:
        return None
    return ordered[low], ordered[high]
