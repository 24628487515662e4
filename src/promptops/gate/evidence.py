"""Evidence that pass rates dropped: per-case repeats, exact tests, honest intervals and power (pure).

Each case is a cluster: its repeats on the base side and on the head side. Under "nothing changed" a
case's base and head attempts are exchangeable, so, given how many of them passed in all, the number
that passed on the head side is hypergeometric. Every test here is exact or asymptotic under that
null, whatever each case's own pass probability is, so flaky cases do not make noise look like harm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from promptops.stats import (
    binomial_tail,
    convolve_lower,
    detectable,
    fisher_drop,
    hypergeometric,
    normal_cdf,
    poisson_binomial_upper,
    scale_needed,
    z_value,
)

EXACT_LIMIT = 150  # informative cases up to which the aggregate test convolves exactly


@dataclass(frozen=True, kw_only=True)
class Tally:
    """One paired case: how many of its evaluated repeats passed, on each side."""

    id: str
    base_passes: int
    base_n: int
    head_passes: int
    head_n: int

    @property
    def change(self) -> float:
        return self.head_passes / self.head_n - self.base_passes / self.base_n

    @property
    def mixed(self) -> bool:
        return 0 < self.base_passes < self.base_n or 0 < self.head_passes < self.head_n

    @property
    def informative(self) -> bool:
        return 0 < self.base_passes + self.head_passes < self.base_n + self.head_n


@dataclass(frozen=True, kw_only=True)
class RateChange:
    """The change of the pass rate (mean over cases of each case's share of passing repeats)."""

    delta: float
    se: float  # standard error: clustered by case, both sides' sampling noise included
    low: float  # two-sided interval at the policy's confidence
    high: float
    p_value: float  # one-sided: evidence that the pass rate dropped
    method: str
    floor: float  # the smallest drop the exact test can ever call significant at this N


def rate_change(tallies: Sequence[Tally], confidence: float, alpha: float) -> RateChange:
    """Return the pass-rate change of paired cases with its interval and the one-sided drop test."""
    n = len(tallies)
    changes = [t.change for t in tallies]
    delta = sum(changes) / n
    se = _standard_error(tallies, changes, delta)
    z = z_value((1 + confidence) / 2)
    low, high = max(-1.0, delta - z * se), min(1.0, delta + z * se)
    p_value, method = _drop_test(tallies)
    return RateChange(
        delta=delta, se=se, low=low, high=high, p_value=p_value, method=method, floor=_floor(tallies, alpha)
    )


def _standard_error(tallies: Sequence[Tally], changes: Sequence[float], delta: float) -> float:
    n = len(tallies)
    if all(t.base_n > 1 and t.head_n > 1 for t in tallies):
        # repeats on both sides: each case's own binomial variance, estimated without bias, so a
        # case that is broken on purpose (3/3 → 0/3) does not widen the interval as noise would
        def part(passes: int, size: int) -> float:
            rate = passes / size
            return rate * (1 - rate) / (size - 1)

        total = sum(part(t.base_passes, t.base_n) + part(t.head_passes, t.head_n) for t in tallies)
        return math.sqrt(total) / n
    if n < 2:
        return 0.0
    # one repeat: the spread of the paired differences over cases (clustered by case)
    return math.sqrt(sum((c - delta) ** 2 for c in changes) / (n * (n - 1)))


def _drop_test(tallies: Sequence[Tally]) -> tuple[float, str]:
    useful = [t for t in tallies if t.informative]
    if not useful:
        return 1.0, "no case changed"
    shapes = {(t.base_n, t.head_n) for t in useful}
    if shapes == {(1, 1)}:
        worse = sum(1 for t in useful if t.base_passes == 1)
        return binomial_tail(len(useful) - worse, len(useful)), "McNemar exact test"
    if len(shapes) == 1 and len(useful) <= EXACT_LIMIT:
        pmfs = [hypergeometric(t.base_n + t.head_n, t.base_passes + t.head_passes, t.head_n) for t in useful]
        observed = sum(t.head_passes for t in useful)
        return convolve_lower(pmfs, observed), "exact stratified test"
    if len(useful) <= EXACT_LIMIT // 3:
        return _uneven_exact(useful), "exact stratified test"
    # many cases: the same conditional null, by its mean and variance
    score = var = 0.0
    for t in useful:
        size, passes = t.base_n + t.head_n, t.base_passes + t.head_passes
        weight = 1 / t.head_n + 1 / t.base_n
        share = passes / size
        score += weight * (t.head_passes - t.head_n * share)
        var += weight**2 * t.head_n * share * (1 - share) * (size - t.head_n) / (size - 1)
    return normal_cdf(score / math.sqrt(var)), "stratified test (normal)"


def _uneven_exact(useful: Sequence[Tally]) -> float:
    """Return the exact conditional p-value of the pass-rate change when cases have different repeats."""
    dist = {0.0: 1.0}
    observed = 0.0
    for t in useful:
        weight = 1 / t.head_n + 1 / t.base_n  # each head pass moves the pass-rate change by this much
        pmf = hypergeometric(t.base_n + t.head_n, t.base_passes + t.head_passes, t.head_n)
        observed += weight * t.head_passes
        nxt: dict[float, float] = {}
        for value, mass in dist.items():
            for k, p in enumerate(pmf):
                if p:
                    key = round(value + weight * k, 9)
                    nxt[key] = nxt.get(key, 0.0) + mass * p
        dist = nxt
    return min(1.0, sum(mass for value, mass in dist.items() if value <= observed + 1e-9))


def _floor(tallies: Sequence[Tally], alpha: float) -> float:
    """Return the pass-rate drop of the fewest fully broken cases whose exact p-value reaches alpha."""
    if not tallies:
        return 1.0
    base_n = max(1, round(sum(t.base_n for t in tallies) / len(tallies)))
    head_n = max(1, round(sum(t.head_n for t in tallies) / len(tallies)))
    one = fisher_drop(base_n, base_n, 0, head_n)  # a case that passed every base repeat, fails every head one
    needed = math.ceil(math.log(alpha) / math.log(one)) if one < 1 else math.inf
    return min(1.0, needed / len(tallies))


@dataclass(frozen=True, kw_only=True)
class CaseDrops:
    """Per-case exact evidence: which cases dropped, and whether more did than noise explains."""

    possible: bool  # False when no case has repeats enough for a per-case test to reach the level
    suspects: tuple[str, ...]  # cases whose own exact test is significant at the per-case level
    expected: float  # how many suspects noise alone would give, given the cases' totals
    p_value: float  # P(at least this many suspects | nothing changed)


def case_drops(tallies: Sequence[Tally], level: float) -> CaseDrops:
    """Return the per-case Fisher tests at `level` and the exact test of their number."""
    null_probabilities = []
    suspects = []
    for t in tallies:
        size, passes = t.base_n + t.head_n, t.base_passes + t.head_passes
        pmf = hypergeometric(size, passes, t.head_n)
        tail, chance = 0.0, 0.0
        for mass in pmf:
            tail += mass
            if tail <= level:
                chance += mass
        if chance > 0:
            null_probabilities.append(chance)
        if fisher_drop(t.base_passes, t.base_n, t.head_passes, t.head_n) <= level:
            suspects.append(t.id)
    if not null_probabilities:
        return CaseDrops(possible=False, suspects=(), expected=0.0, p_value=1.0)
    p_value = poisson_binomial_upper(null_probabilities, len(suspects))
    return CaseDrops(
        possible=True, suspects=tuple(suspects), expected=sum(null_probabilities), p_value=p_value
    )


@dataclass(frozen=True, kw_only=True)
class Power:
    """What this comparison could have seen: the minimum detectable drop and the sample to see the margin."""

    metric: str  # "pass_rate"
    alpha: float  # the one-sided level the test used (the error rate split over the quality checks)
    power: float
    se: float
    detectable_drop: float  # smallest true drop found with `power` at this N and repeats
    margin: float  # the drop the policy cares about (max_pass_rate_drop)
    enough: bool  # detectable_drop <= margin
    cases: int
    repeats: int
    needed_cases: int | None  # cases (at these repeats) to detect the margin; None when enough
    needed_repeats: int | None  # repeats on base and head (at these cases); None when enough


def power_of(
    change: RateChange, *, alpha: float, power: float, margin: float, cases: int, repeats: int
) -> Power:
    """Return the minimum detectable drop of this design and, when it exceeds `margin`, what would suffice."""
    drop = max(detectable(change.se, alpha, power), change.floor)
    enough = drop <= margin + 1e-12
    needed_cases = needed_repeats = None
    if not enough and margin > 0:
        target = margin / (z_value(1 - alpha) + z_value(power))
        grow = max(scale_needed(change.se, target), change.floor / margin)
        needed_cases = _ceil(cases * grow)
        needed_repeats = _ceil(repeats * scale_needed(change.se, target)) if change.se > 0 else None
    return Power(
        metric="pass_rate",
        alpha=alpha,
        power=power,
        se=change.se,
        detectable_drop=drop,
        margin=margin,
        enough=enough,
        cases=cases,
        repeats=repeats,
        needed_cases=needed_cases,
        needed_repeats=needed_repeats,
    )


def decide_needed(
    change: RateChange, margin: float, confidence: float, cases: int, repeats: int
) -> tuple[int | None, int | None]:
    """Return the cases and repeats at which the interval would clear or miss the margin (INCONCLUSIVE)."""
    gap = abs(change.delta + margin)
    if gap <= 0 or change.se <= 0:
        return None, None
    grow = scale_needed(change.se, gap / z_value((1 + confidence) / 2))
    return _ceil(cases * grow), _ceil(repeats * grow)


def _ceil(value: float) -> int | None:
    return None if math.isinf(value) or value > 10**9 else math.ceil(value)
