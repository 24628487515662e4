"""The values a canary analysis works on and returns: calls, arms and per-metric results (pure types)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from promptops.sequential import Interval

Classification = Literal["pass", "worse", "better", "no_data"]


@dataclass(frozen=True, kw_only=True)
class Observation:
    """What the analysis needs of one trace record."""

    arm: str  # control | canary | shadow
    ok: bool
    latency_ms: float | None = None
    cost_usd: float | None = None
    score: float | None = None  # the policy's quality score; None when unscored (always for errors)
    pair_id: str | None = None
    run: str | None = None  # the workflow run the call belongs to (DESIGN §9.4)
    tool_calls: int = 0
    tool_errors: int = 0


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One metric's comparison: arm values, the interval of the comparison and what it says."""

    name: str
    method: str
    control: float | None
    canary: float | None
    interval: Interval | None  # canary - control for rates, canary / control for ratios
    limit: float | None  # the policy's allowed difference or ratio
    classification: Classification
    non_inferior: bool
    critical: bool
    gating: bool = True
    needed: int | None = None  # canary-arm calls at which it would be decided, the effect staying as seen
    needed_for: Literal["rollback", "promote"] | None = None  # which decision `needed` projects
    samples: tuple[int, int] = (0, 0)  # values per arm behind it
    alpha: float = 0.0  # the error budget of each one-sided test of this metric (0: informational)


@dataclass(frozen=True, kw_only=True)
class Arms:
    """The calls of each arm in the window (in shadow mode: the paired calls)."""

    control: Sequence[Observation]
    canary: Sequence[Observation]
    pairs: Sequence[tuple[Observation, Observation]] = ()
    shadow: bool = False


def no_data(
    name: str,
    method: str,
    limit: float | None,
    critical: bool,
    samples: tuple[int, int],
    *,
    alpha: float = 0.0,
) -> Metric:
    """Return the result of a metric with too few values to compare."""
    return Metric(
        alpha=alpha,
        name=name,
        method=method,
        control=None,
        canary=None,
        interval=None,
        limit=limit,
        classification="no_data",
        non_inferior=False,
        critical=critical,
        samples=samples,
    )


def ratio_class(interval: Interval, limit: float) -> Classification:
    """Classify a canary/control ratio: worse when surely above 1 and observed at `limit` or beyond."""
    if interval.low > 1 and interval.estimate >= limit:
        return "worse"
    if interval.high < 1:
        return "better"
    return "pass"
