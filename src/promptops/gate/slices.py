"""Metrics per case tag (slices): the tail the average hides, and the worst slice (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from promptops.evals.records import CaseResult, RunResult
from promptops.gate.evidence import Tally, rate_change


@dataclass(frozen=True, kw_only=True)
class Slice:
    """The cases carrying one tag: pass rates on each side and the change with its interval."""

    tag: str
    cases: int  # head cases with the tag (evaluated)
    paired: int  # of them, cases the baseline has too
    base: float | None  # pass rate over the paired cases
    head: float | None  # pass rate over every evaluated head case with the tag
    delta: float | None  # paired change
    low: float | None
    high: float | None
    p_value: float | None  # one-sided: evidence that this slice's pass rate dropped


def slices(
    tags: Mapping[str, Sequence[str]],
    head_rates: Mapping[str, float],
    tallies: Sequence[Tally],
    *,
    confidence: float,
    alpha: float,
) -> tuple[Slice, ...]:
    """Return one slice per tag (sorted by tag) from each case's tags, head pass rate and paired tally."""
    paired = {t.id: t for t in tallies}
    out = []
    for tag in sorted({tag for case_tags in tags.values() for tag in case_tags}):
        ids = [case_id for case_id, case_tags in tags.items() if tag in case_tags and case_id in head_rates]
        if not ids:
            continue
        head = sum(head_rates[i] for i in ids) / len(ids)
        mine = [paired[i] for i in ids if i in paired]
        if not mine:
            out.append(
                Slice(
                    tag=tag,
                    cases=len(ids),
                    paired=0,
                    base=None,
                    head=head,
                    delta=None,
                    low=None,
                    high=None,
                    p_value=None,
                )
            )
            continue
        change = rate_change(mine, confidence, alpha)
        base = sum(t.base_passes / t.base_n for t in mine) / len(mine)
        out.append(
            Slice(
                tag=tag,
                cases=len(ids),
                paired=len(mine),
                base=base,
                head=head,
                delta=change.delta,
                low=change.low,
                high=change.high,
                p_value=change.p_value,
            )
        )
    return tuple(out)


def worst(found: Sequence[Slice]) -> Slice | None:
    """Return the slice whose pass rate dropped most (lowest head pass rate when none was paired)."""
    paired = [s for s in found if s.delta is not None]
    if paired:
        return min(paired, key=lambda s: (s.delta, s.head, s.tag))
    unpaired = [s for s in found if s.head is not None]
    return min(unpaired, key=lambda s: (s.head, s.tag)) if unpaired else None


def between_runs(base: RunResult, head: RunResult, *, confidence: float = 0.95) -> tuple[Slice, ...]:
    """Return the slices of `head` against another run of the same cases (e.g. two models compared)."""
    base_cases = {c.id: c for c in base.cases}
    tallies = [t for c in head.cases if c.id in base_cases and (t := _pair(base_cases[c.id], c)) is not None]
    tags = {c.id: c.tags for c in head.cases if c.tags}
    rates = {c.id: c.pass_rate for c in head.cases if c.pass_rate is not None and c.error is None}
    return slices(tags, rates, tallies, confidence=confidence, alpha=1 - confidence)


def _pair(base: CaseResult, head: CaseResult) -> Tally | None:
    def counts(case: CaseResult) -> tuple[int, int]:
        done = [a for a in case.attempts if a.error is None and a.score is not None]
        return sum(1 for a in done if a.passed), len(done)

    (base_passes, base_n), (head_passes, head_n) = counts(base), counts(head)
    if not base_n or not head_n:
        return None
    return Tally(id=head.id, base_passes=base_passes, base_n=base_n, head_passes=head_passes, head_n=head_n)
