"""Cost projection (pure): per-call costs at a rate become a month's spend, with bootstrap intervals.

A month is 30 days. A sample with any unpriced call projects to unknown, never to a smaller number:
an unknown price read as $0 is exactly the surprise a projection exists to prevent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from promptops.config import Budget
from promptops.stats import Statistic, mean, paired_bootstrap, percentile

SECONDS_PER_MONTH = 30 * 24 * 3600
CONFIDENCE = 0.95
SEED = 17


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """A value and its 95% bootstrap interval (all None when unknown)."""

    value: float | None
    low: float | None = None
    high: float | None = None

    def scaled(self, factor: float) -> Estimate:
        if self.value is None:
            return UNKNOWN
        low = None if self.low is None else self.low * factor
        high = None if self.high is None else self.high * factor
        return Estimate(value=self.value * factor, low=low, high=high)


UNKNOWN = Estimate(value=None)


@dataclass(frozen=True, kw_only=True)
class Line:
    """One line of a projection: what calls of one purpose (prod, judge, shadow) cost a month."""

    purpose: str
    calls: int  # calls in the sample
    unpriced: int  # calls in the sample whose price is unknown
    per_call: Estimate  # mean USD per call
    p95: Estimate  # 95th percentile USD per call
    monthly: Estimate  # USD per month at the rate
    note: str | None = None  # why the line is unknown, when it is not a missing price


@dataclass(frozen=True, kw_only=True)
class Projection:
    prompt: str
    qps: float
    source: str  # what the sample came from, e.g. a results file or `traces`
    lines: tuple[Line, ...]  # prod first

    @property
    def total(self) -> Estimate:
        """Return the monthly total of every line (unknown when one line is)."""
        values = [line.monthly.value for line in self.lines]
        if not values or None in values:
            return UNKNOWN
        return Estimate(value=sum(v for v in values if v is not None))


@dataclass(frozen=True, kw_only=True)
class MonthlyCost:
    """Base and head spend of one suite's prompt at its configured traffic, for the PR report."""

    qps: float
    base: float | None  # None: no baseline, or a price is unknown
    head: float | None

    @property
    def delta(self) -> float | None:
        return None if self.base is None or self.head is None else self.head - self.base


@dataclass(frozen=True, kw_only=True)
class BudgetStatus:
    budget: Budget
    source: str  # traces (month to date) | projection (traffic x latest results)
    spent: float | None  # month to date, or the projected month; None when a price is unknown
    forecast: float | None  # the month's spend at the pace so far
    unpriced: int  # calls without a price
    calls: int
    note: str | None = None  # why the spend is unknown, when it is not a missing price

    @property
    def share(self) -> float | None:
        return None if self.spent is None else self.spent / self.budget.monthly_usd

    @property
    def level(self) -> float | None:
        """Return the highest alert level reached, or None."""
        share = self.share
        reached = [a for a in self.budget.alerts if share is not None and share >= a]
        return max(reached) if reached else None

    @property
    def exceeded(self) -> bool:
        return self.share is not None and self.share >= 1.0


def interval(values: Sequence[float], statistic: Statistic) -> Estimate:
    """Return statistic(values) and its percentile-bootstrap interval."""
    if not values:
        return UNKNOWN
    # a pair (0, v) makes the paired bootstrap resample `values` alone: statistic of zeros is 0
    low, high = paired_bootstrap([(0.0, v) for v in values], statistic, SEED, CONFIDENCE)
    return Estimate(value=statistic(values), low=low, high=high)


def _p95(values: Sequence[float]) -> float:
    return percentile(values, 95) or 0.0


def line(purpose: str, costs: Sequence[float | None], qps: float, per_prod_call: float = 1.0) -> Line:
    """Return the monthly line of calls costing `costs`, at `per_prod_call` such calls per prod call."""
    known = [c for c in costs if c is not None]
    unpriced = len(costs) - len(known)
    if unpriced or not known:
        return Line(
            purpose=purpose,
            calls=len(costs),
            unpriced=unpriced,
            per_call=UNKNOWN,
            p95=UNKNOWN,
            monthly=UNKNOWN,
        )
    per_call = interval(known, mean)
    monthly = per_call.scaled(qps * SECONDS_PER_MONTH * per_prod_call)
    return Line(
        purpose=purpose,
        calls=len(costs),
        unpriced=0,
        per_call=per_call,
        p95=interval(known, _p95),
        monthly=monthly,
    )


def monthly(costs: Sequence[float | None], qps: float) -> float | None:
    """Return the mean of `costs` times a month of calls at `qps`; None when any is unknown or none."""
    if not costs or None in costs:
        return None
    return mean([c for c in costs if c is not None]) * qps * SECONDS_PER_MONTH
