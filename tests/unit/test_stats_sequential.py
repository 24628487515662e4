"""The pure statistics, called directly (the CLI tests reach them only through a whole gate or canary)."""

from __future__ import annotations

import math
import random

import pytest

from promptops import sequential, stats


def test_percentile_interpolates_linearly_and_is_none_for_no_values() -> None:
    assert stats.percentile([], 50) is None
    assert stats.percentile([3.0], 95) == 3.0
    assert stats.percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert stats.percentile([0.0, 10.0], 95) == pytest.approx(9.5)
    assert stats.percentile([1.0, 2.0, 3.0], 0) == 1.0 and stats.percentile([1.0, 2.0, 3.0], 100) == 3.0


def test_wilson_interval_known_values() -> None:
    assert stats.wilson(0, 0) is None
    low, high = stats.wilson(0, 10)  # type: ignore[misc]
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-4)
    low, high = stats.wilson(5, 10)  # type: ignore[misc]
    assert (low, high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))


def test_paired_bootstrap_is_seeded_and_linear_gives_the_same_interval_for_a_mean() -> None:
    rng = random.Random(3)
    pairs = [(rng.random(), rng.random() + 0.1) for _ in range(40)]
    first = stats.paired_bootstrap(pairs, stats.mean, seed=7, confidence=0.95)
    assert first == stats.paired_bootstrap(pairs, stats.mean, seed=7, confidence=0.95)
    linear = stats.paired_bootstrap(pairs, stats.mean, seed=7, confidence=0.95, linear=True)
    assert linear == pytest.approx(first)
    assert first[0] < 0.1 < first[1]  # the true shift lies inside


def test_quantile_interval_needs_enough_values_and_brackets_the_quantile() -> None:
    assert stats.quantile_interval([1.0, 2.0, 3.0], 95) is None
    ordered = [float(i) for i in range(1000)]
    low, high = stats.quantile_interval(ordered, 50)  # type: ignore[misc]
    assert low < 499.5 < high and high - low < 100


def test_detectable_and_scale_needed() -> None:
    assert stats.detectable(0.01, 0.025, 0.8) == pytest.approx((1.959964 + 0.841621) * 0.01, rel=1e-5)
    assert stats.scale_needed(0.02, 0.01) == pytest.approx(4.0)
    assert stats.scale_needed(0.02, 0.0) == math.inf


def test_fisher_drop_is_small_only_for_a_real_drop() -> None:
    assert stats.fisher_drop(50, 50, 50, 50) == 1.0
    assert stats.fisher_drop(50, 50, 40, 50) < 0.001
    assert stats.binomial_tail(0, 0) == 1.0
    assert stats.binomial_tail(0, 5) == pytest.approx(1 / 32)


def test_mixture_radius_shrinks_with_variance_and_grows_with_confidence() -> None:
    assert sequential.mixture_radius(0.0, 0.01, 0.05) == 0.0
    wide = sequential.mixture_radius(0.01, 0.01, 0.05)
    assert sequential.mixture_radius(0.001, 0.01, 0.05) < wide
    assert sequential.mixture_radius(0.01, 0.01, 0.01) > wide


def test_difference_covers_zero_for_equal_arms_and_excludes_it_for_a_clear_shift() -> None:
    rng = random.Random(11)
    control = [rng.gauss(1.0, 0.2) for _ in range(400)]
    same = [rng.gauss(1.0, 0.2) for _ in range(400)]
    shifted = [rng.gauss(1.5, 0.2) for _ in range(400)]
    alike = sequential.difference(control, same, target=400, alpha=0.05)
    assert alike.low < 0 < alike.high
    apart = sequential.difference(control, shifted, target=400, alpha=0.05)
    assert apart.low > 0 and apart.estimate == pytest.approx(0.5, abs=0.05)


def test_paired_difference_and_mann_whitney() -> None:
    pairs = [(1.0, 1.0)] * 50
    interval = sequential.paired_difference(pairs, target=50, alpha=0.05)
    assert interval.estimate == 0.0 and interval.low < 0 < interval.high
    control = sorted(float(i) for i in range(100))
    above = sequential.mann_whitney(control, [float(i) + 1000 for i in range(100)], tau=0.1, alpha=0.05)
    assert above.estimate == 1.0
    tied = sequential.mann_whitney(control, list(control), tau=0.1, alpha=0.05)
    assert tied.estimate == pytest.approx(0.5)


def test_calls_needed_is_the_smallest_n_that_decides() -> None:
    radius = sequential.radius
    # no harm: decided once the upper bound falls below the margin
    n = sequential.calls_needed(1.0, 0.0, 0.1, target=500, alpha=0.05)
    assert n is not None and n > 1
    assert radius(1.0 / n, n, 500, 0.05) < 0.1 <= radius(1.0 / (n - 1), n - 1, 500, 0.05)
    # a harm at twice the margin: decided once its lower bound clears zero
    m = sequential.calls_needed(1.0, 0.2, 0.1, target=500, alpha=0.05)
    assert m is not None and radius(1.0 / m, m, 500, 0.05) < 0.2 <= radius(1.0 / (m - 1), m - 1, 500, 0.05)
