"""The always-valid bounds of promptops.sequential: their equations, and their error rates under peeking."""

from __future__ import annotations

import math
import random
from statistics import NormalDist

from promptops import sequential


def test_the_boundary_factor_puts_the_half_normal_mixture_at_one_over_alpha() -> None:
    for ratio, alpha in ((0.5, 0.05), (11.0, 0.0125), (300.0, 0.001)):
        u = sequential.boundary_factor(ratio, alpha)
        # the mixture 2 sqrt(rho / (V + rho)) exp(u^2 / 2) Phi(u), with V / rho = ratio
        mixture = 2 / math.sqrt(1 + ratio) * math.exp(u * u / 2) * NormalDist().cdf(u)
        assert math.isclose(mixture, 1 / alpha, rel_tol=1e-6)


def test_the_bound_is_tightest_near_its_target_and_tighter_than_the_old_two_sided_mixture() -> None:
    alpha, variance_per_call = 0.0125, 0.1
    widths = {
        n: sequential.radius(variance_per_call / n, n, 500, alpha) * math.sqrt(n) for n in (50, 500, 5000)
    }
    assert widths[500] < widths[50] and widths[500] < widths[5000]
    z = NormalDist().inv_cdf(1 - alpha)
    assert 1.3 * z < widths[500] / math.sqrt(variance_per_call) < 1.5 * z  # the price of peeking at 500 calls
    old = sequential.mixture_radius(variance_per_call / 500, 0.01**2, alpha) * math.sqrt(500)
    assert widths[500] < 0.7 * old


def test_an_equal_canary_crosses_the_harm_bound_at_most_alpha_over_72_hourly_looks() -> None:
    # two Bernoulli(0.92) arms, 250 + 50 calls an hour, the plug-in variance as in checks.rate_metric
    alpha, crossed, runs = 0.05, 0, 300
    for seed in range(runs):
        rng = random.Random(seed)
        sums, counts = [0, 0], [0, 0]
        for _ in range(72):
            for arm, size in ((0, 250), (1, 50)):
                sums[arm] += sum(rng.random() < 0.92 for _ in range(size))
                counts[arm] += size
            means = [s / c for s, c in zip(sums, counts, strict=True)]
            variance = sum(m * (1 - m) / c for m, c in zip(means, counts, strict=True)) + 1e-9
            drop = sequential.bounds(means[0] - means[1], variance, counts[1], target=500, alpha=alpha)
            if drop.low > 0:
                crossed += 1
                break
    assert crossed <= 0.05 * runs + 2 * math.sqrt(0.05 * 0.95 * runs), crossed  # 15 + 7.5 (2 sd)


def test_the_quantile_bounds_cover_the_true_quantile_at_every_look() -> None:
    # uniform values: the true q-quantile is q; each bound one-sided at alpha, checked after every 25 values
    alpha, runs = 0.05, 120
    for q in (0.5, 0.99):
        low_misses = high_misses = 0
        for seed in range(runs):
            rng = random.Random(seed)
            values: list[float] = []
            low_missed = high_missed = False
            for _ in range(40):
                values = sorted(values + [rng.random() for _ in range(25)])
                found = sequential.quantile(values, q, target=500, alpha=alpha)
                low_missed |= found.low > q
                high_missed |= found.high < q
            low_misses += low_missed
            high_misses += high_missed
        assert low_misses <= 0.05 * runs + 5 and high_misses <= 0.05 * runs + 5, (q, low_misses, high_misses)


def test_the_quantile_bounds_are_finite_at_hundreds_of_calls() -> None:
    # the harm side of a p99 (its lower bound) is known at 600 calls; the upper one, which must rule out
    # all but a handful of slow calls above it, takes a few thousand at this alpha
    rng = random.Random(1)
    values = sorted(rng.lognormvariate(6.4, 0.5) for _ in range(3000))
    early = sequential.quantile(values[::5], 0.99, target=500, alpha=0.00625 / 2)
    assert 0 < early.low < early.estimate and early.high == math.inf
    late = sequential.quantile(values, 0.99, target=500, alpha=0.00625 / 2)
    assert 0 < late.low < late.estimate < late.high < math.inf


def test_calls_needed_is_where_the_projected_bound_decides() -> None:
    alpha, variance = 0.0125, 0.12
    for harm, margin in ((0.05, 0.01), (0.0, 0.01)):
        n = sequential.calls_needed(variance, harm, margin, target=500, alpha=alpha)
        assert n is not None

        def bound(calls: int, harm: float = harm, margin: float = margin) -> float:
            half = sequential.radius(variance / calls, calls, 500, alpha)
            return harm - half if harm >= margin else harm + half

        if harm >= margin:  # rolled back: the harm's lower bound leaves zero
            assert bound(n) > 0 >= bound(n - 1)
        else:  # promoted: the upper bound falls below the margin
            assert bound(n) < margin <= bound(n - 1)
