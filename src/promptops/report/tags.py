"""Pass rate per tag: the tail of a run, where an average hides a slice that got worse (pure).

Not gate/slices.py: a slice is the mean of per-case pass rates over repeats, paired with the baseline,
untagged cases left out; this is the share of cases whose verdict passed, with an `(untagged)` bar,
as the compare table and the HTML chart show it. Replacing one with the other changes those numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

UNTAGGED = "(untagged)"


def tag_pass_rates(cases: Iterable[tuple[Sequence[str], bool | None]]) -> dict[str, float]:
    """Return the share of passing cases per tag from (tags, passed) pairs; unevaluated cases skipped."""
    seen: dict[str, list[bool]] = {}
    for tags, passed in cases:
        if passed is None:
            continue
        for tag in tags or (UNTAGGED,):
            seen.setdefault(tag, []).append(passed)
    return {tag: sum(values) / len(values) for tag, values in sorted(seen.items())}


def worst_tag(rates: dict[str, float]) -> tuple[str, float] | None:
    """Return the tag with the lowest pass rate (ties: the first by name), or None."""
    if not rates:
        return None
    tag = min(rates, key=lambda t: (rates[t], t))
    return tag, rates[tag]
