"""Money before spending (§9.3): what the next run of a workflow suite may cost, from its baseline (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from promptops.evals.records import Baseline
from promptops.wording import money

Source = Literal["baseline", "bound", "unknown"]


@dataclass(frozen=True, kw_only=True)
class CostEstimate:
    suite: str
    cases: int
    repeats: int
    usd: float | None  # None: unknown (no priced baseline and no `loop.max_cost_usd`)
    source: Source
    calls_per_run: float | None  # the baseline's mean model calls per case run
    budget: float | None  # `max_suite_usd` that applies, if any
    cached: int = 0  # case runs the cache holds: they cost nothing

    @property
    def over(self) -> bool:
        return self.budget is not None and self.usd is not None and self.usd > self.budget + 1e-12


def estimate(
    suite: str,
    case_ids: Sequence[str],
    repeats: int,
    baseline: Baseline | None,
    *,
    max_cost_usd: float | None,
    budget: float | None,
    cached: Mapping[str, int] | None = None,
) -> CostEstimate:
    """Return the cost of `repeats` runs of every case: the baseline's cost per case run (a case it
    lacks at the baseline's mean), else the bound `loop.max_cost_usd` per run, else unknown. Case runs
    in `cached` (per case id, how many repeats) cost nothing."""
    held = {i: min(repeats, (cached or {}).get(i, 0)) for i in case_ids}
    runs = {i: repeats - held[i] for i in case_ids}
    known = {c.id: c for c in baseline.cases} if baseline is not None else {}
    costs = [c.cost_usd for c in known.values()]
    steps = [c.steps for c in known.values() if c.steps is not None]
    calls = sum(steps) / len(steps) if steps else None
    if known and None not in costs:
        average = sum(c for c in costs if c is not None) / len(costs)
        per_case = [known[i].cost_usd if i in known else average for i in case_ids]
        usd = sum((c or 0.0) * runs[i] for i, c in zip(case_ids, per_case, strict=True))
        source: Source = "baseline"
    elif max_cost_usd is not None:
        usd, source = max_cost_usd * sum(runs.values()), "bound"
    else:
        usd, source = None, "unknown"
    return CostEstimate(
        suite=suite,
        cases=len(case_ids),
        repeats=repeats,
        usd=usd,
        source=source,
        calls_per_run=calls,
        budget=budget,
        cached=sum(held.values()),
    )


def estimate_text(e: CostEstimate) -> str:
    """Return the `eval --plan` line of a workflow suite's cost."""
    runs = f"{e.cases} cases x {e.repeats} repeats"
    if e.usd is None:
        text = f"{e.suite}: estimated cost unknown for {runs} "
        text += "(no priced baseline; set loop.max_cost_usd for a bound)"
    elif e.source == "baseline":
        calls = "" if e.calls_per_run is None else f", {e.calls_per_run:.1f} model calls per case run"
        text = f"{e.suite}: estimated cost {money(e.usd)} for {runs} "
        text += f"(the baseline's cost per case run{calls})"
    else:
        text = f"{e.suite}: estimated cost at most {money(e.usd)} for {runs} "
        text += "(loop.max_cost_usd per case run)"
    if e.cached:
        text += f"; {e.cached} cached case runs cost nothing"
    if e.budget is not None:
        text += f"; {'over' if e.over else 'within'} max_suite_usd {money(e.budget)}"
    return text
