"""What one workflow case run did: its ordered model and tool steps, their totals, how it ended (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

StepKind = Literal["llm", "tool"]
# how a case run ended besides its scorers: None (it ran to an answer), or a §9.3 failure reason
LIMITS = ("steps", "tool_calls", "cost", "timeout")


@dataclass(frozen=True, kw_only=True)
class Step:
    """One model call (`llm`, named by its model) or one tool execution (`tool`, named by the tool)."""

    kind: StepKind
    name: str
    arguments: Mapping[str, Any] | str | None = None  # tool arguments (the raw text when not JSON)
    result: Any = None  # the tool's result, or the model's text
    error: str | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None  # None when the price is unknown, never a silent 0
    tokens: int | None = None


@dataclass(frozen=True, kw_only=True)
class Totals:
    steps: int  # model calls (a step is one model call)
    llm_calls: int
    tool_calls: int
    tool_errors: int
    cost_usd: float | None  # None when any model call's price is unknown
    latency_ms: float | None


@dataclass(frozen=True, kw_only=True)
class Trajectory:
    """A case run: its steps, the final output, and the failure reason that ended it early, if any."""

    steps: tuple[Step, ...] = ()
    output: str | None = None
    failure: str | None = None  # limit:steps|tool_calls|cost|timeout, tool:denied NAME, target:crash, ...
    stderr: str | None = None  # a target's stderr tail, kept when it failed
    wall_ms: float | None = None  # wall-clock time of the whole case run
    totals: Totals = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "totals", totals_of(self.steps, self.wall_ms))

    def tools(self) -> tuple[Step, ...]:
        """Return the tool steps in order."""
        return tuple(s for s in self.steps if s.kind == "tool")

    @property
    def timed_out(self) -> bool:
        return self.failure in ("limit:timeout", "target:timeout")


def totals_of(steps: Iterable[Step], wall_ms: float | None = None) -> Totals:
    """Return the totals of `steps`; latency is the wall clock when known, else the sum of the steps."""
    items = list(steps)
    llm = [s for s in items if s.kind == "llm"]
    tools = [s for s in items if s.kind == "tool"]
    costs = [s.cost_usd for s in llm]
    latencies = [s.latency_ms for s in items if s.latency_ms is not None]
    if wall_ms is not None:
        latency: float | None = wall_ms
    else:
        latency = sum(latencies) if latencies else None
    return Totals(
        steps=len(llm),
        llm_calls=len(llm),
        tool_calls=len(tools),
        tool_errors=sum(1 for s in tools if s.error is not None),
        cost_usd=None if None in costs else sum(c for c in costs if c is not None),
        latency_ms=latency,
    )
