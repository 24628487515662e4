"""Weighing the evidence of a run against its baseline: the tests, how the error rate is split, power."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from promptops.config import GatePolicy
from promptops.evals.records import Baseline, BaselineCase, CaseResult, RunResult
from promptops.gate.evidence import (
    CaseDrops,
    Power,
    RateChange,
    Tally,
    case_drops,
    decide_needed,
    power_of,
    rate_change,
)
from promptops.gate.slices import Slice, slices
from promptops.stats import normal_cdf


@dataclass(frozen=True, kw_only=True)
class Weighing:
    """Everything the checks decide from, computed once per comparison."""

    tallies: tuple[Tally, ...]
    alpha: float  # the one-sided level of each quality test: 1 - confidence, split over the tests
    tests: int
    change: RateChange | None  # pass rate; None without paired cases
    drops: CaseDrops | None
    new_failures: tuple[str, ...]  # cases with evidence of a drop
    flipped: tuple[str, ...]  # passed in the baseline, fail now, within noise
    score_redundant: bool  # pass/fail scorers: the mean score is the pass rate
    score_p: float | None  # one-sided evidence that the mean score dropped
    power: Power | None
    needed: tuple[int | None, int | None]  # to decide an INCONCLUSIVE pass-rate check
    slices: tuple[Slice, ...]


def weigh(run: RunResult, baseline: Baseline | None, policy: GatePolicy) -> Weighing:
    """Return the evidence of `run` against `baseline` under `policy`."""
    base_cases = {c.id: c for c in baseline.cases} if baseline is not None else {}
    repeats = baseline.provenance.repeats if baseline is not None else 1
    tallies = tuple(
        t for c in run.cases if c.id in base_cases and (t := _tally(c, base_cases[c.id], repeats)) is not None
    )
    level = 1 - policy.confidence
    drops = case_drops(tallies, level) if tallies else None
    redundant = _pass_fail(run, base_cases)
    score_tested = policy.decision == "evidence" and not redundant and bool(tallies)
    tests = 1 + int(drops is not None and drops.possible) + int(score_tested)
    alpha = level / tests
    change = rate_change(tallies, policy.confidence, alpha) if tallies else None
    worse = tuple(t.id for t in tallies if t.base_passes == t.base_n and t.head_passes == 0)
    new_failures: tuple[str, ...] = ()
    if drops is not None and drops.possible:
        new_failures = drops.suspects if drops.p_value <= alpha else ()
    elif change is not None and change.p_value <= alpha:
        new_failures = worse  # no repeats: a flip is judged by the aggregate (McNemar) test
    flipped = tuple(
        c.id
        for c in run.cases
        if c.id in base_cases
        and base_cases[c.id].passed is True
        and c.passed is False
        and c.id not in new_failures
    )
    power = needed = None
    if change is not None:
        head_repeats = max(1, round(sum(t.head_n for t in tallies) / len(tallies)))
        power = power_of(
            change,
            alpha=alpha,
            power=policy.power,
            margin=policy.max_pass_rate_drop,
            cases=len(tallies),
            repeats=head_repeats,
        )
        needed = decide_needed(
            change, policy.max_pass_rate_drop, policy.confidence, len(tallies), head_repeats
        )
    tags = {c.id: c.tags for c in run.cases if c.tags}
    head_rates = {c.id: c.pass_rate for c in run.cases if c.pass_rate is not None and c.error is None}
    found = slices(tags, head_rates, tallies, confidence=policy.confidence, alpha=alpha) if tags else ()
    return Weighing(
        tallies=tallies,
        alpha=alpha,
        tests=tests,
        change=change,
        drops=drops,
        new_failures=new_failures,
        flipped=flipped,
        score_redundant=redundant,
        score_p=_score_p(run, base_cases) if score_tested else None,
        power=power,
        needed=needed or (None, None),
        slices=found,
    )


def _tally(case: CaseResult, base: BaselineCase, repeats: int) -> Tally | None:
    done = [a for a in case.attempts if a.error is None and a.score is not None]
    if case.error is not None or not done or base.error or base.pass_rate is None:
        return None
    if base.repeats:
        base_n, base_passes = base.repeats, base.repeats_passed or 0
    else:  # a baseline written before the counts were kept: its repeats from the provenance
        base_n = max(1, repeats)
        base_passes = round(base.pass_rate * base_n)
    return Tally(
        id=case.id,
        base_passes=base_passes,
        base_n=base_n,
        head_passes=sum(1 for a in done if a.passed),
        head_n=len(done),
    )


def _pass_fail(run: RunResult, base_cases: Mapping[str, BaselineCase]) -> bool:
    for case in run.cases:
        for a in case.attempts:
            if a.error is None and a.score is not None and a.score != float(bool(a.passed)):
                return False
    return all(c.score is None or c.score == c.pass_rate for c in base_cases.values())


def _score_p(run: RunResult, base_cases: Mapping[str, BaselineCase]) -> float | None:
    diffs = [
        c.score - b.score
        for c in run.cases
        if c.error is None
        and c.score is not None
        and (b := base_cases.get(c.id)) is not None
        and b.score is not None
        and not b.error
    ]
    if len(diffs) < 2:
        return None
    mean = sum(diffs) / len(diffs)
    var = sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1)
    if var == 0:
        return 0.0 if mean < 0 else 1.0
    return normal_cdf(mean / math.sqrt(var / len(diffs)))
