"""Before spending: how many cases and repeats a suite needs to see its margin, from the baseline (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from promptops.config import GatePolicy
from promptops.evals.records import Baseline
from promptops.stats import fisher_drop, z_value


@dataclass(frozen=True, kw_only=True)
class Plan:
    """The power of the next comparison of a suite with its baseline, and the sample its margin needs."""

    suite: str
    cases: int
    baseline_repeats: int
    repeats: int  # head repeats planned
    variance: float  # mean over cases of p(1 - p), each case's pass probability
    measured: bool  # True: from the baseline's own repeats; False: an upper bound from one repeat
    margin: float
    alpha: float
    power: float
    detectable_drop: float
    enough: bool
    needed_cases: int | None  # at the planned repeats (baseline and head alike)
    needed_repeats: int | None  # on base and head, at these cases


def plan(baseline: Baseline, policy: GatePolicy, repeats: int) -> Plan:
    """Return the plan of the next run of `baseline`'s suite with `repeats` calls per case."""
    counts = [
        (c.repeats or baseline.provenance.repeats, c.repeats_passed, c.pass_rate)
        for c in baseline.cases
        if not c.error and c.pass_rate is not None
    ]
    n = len(counts)
    base_repeats = max(1, round(sum(size for size, _, _ in counts) / n)) if n else 1
    measured = n > 0 and all(size > 1 for size, _, _ in counts)
    if measured:
        # each case's own binomial variance, unbiased: size/(size-1) * rate * (1 - rate)
        variance = sum(size / (size - 1) * r * (1 - r) for size, _, r in counts if r is not None) / n
    else:
        mean = sum(r for _, _, r in counts if r is not None) / n if n else 0.5
        variance = mean * (1 - mean)  # one repeat cannot split noise from case-to-case spread: an upper bound
    level = 1 - policy.confidence
    tests = 2 if fisher_drop(base_repeats, base_repeats, 0, repeats) <= level else 1
    alpha = level / tests
    z = z_value(1 - alpha) + z_value(policy.power)
    se = math.sqrt(variance * (1 / base_repeats + 1 / repeats) / n) if n else math.inf
    one_case = fisher_drop(base_repeats, base_repeats, 0, repeats)
    fewest = math.ceil(math.log(alpha) / math.log(one_case)) if one_case < 1 else math.inf
    floor = fewest / n if n else 1.0
    drop = max(z * se, floor)
    enough = drop <= policy.max_pass_rate_drop + 1e-12
    needed_cases = needed_repeats = None
    margin = policy.max_pass_rate_drop
    if not enough and margin > 0 and n:
        target = (margin / z) ** 2
        cases = variance * (1 / base_repeats + 1 / repeats) / target
        needed_cases = math.ceil(max(cases, fewest / margin if fewest < math.inf else cases))
        needed_repeats = math.ceil(2 * variance / (n * target)) if variance > 0 else None
    return Plan(
        suite=baseline.suite,
        cases=n,
        baseline_repeats=base_repeats,
        repeats=repeats,
        variance=variance,
        measured=measured,
        margin=margin,
        alpha=alpha,
        power=policy.power,
        detectable_drop=min(1.0, drop),
        enough=enough,
        needed_cases=needed_cases,
        needed_repeats=needed_repeats,
    )
