"""Scorers that bound what a call spent: max_cost, max_latency_ms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptops.evals.scoring.base import Outcome, ScorerError, Subject, Unchecked, register


class MaxCost(Unchecked):
    """The call cost at most `max` USD; an unknown price is an error, never a pass."""

    schema: Mapping[str, Any] = {"required": ["max"], "properties": {"max": {"type": "number", "minimum": 0}}}
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        cost = subject.reply.cost_usd if subject.reply is not None else None
        if subject.trajectory is not None:  # a workflow: the whole case run
            cost = subject.trajectory.totals.cost_usd
        if cost is None:
            raise ScorerError(
                f"the cost of {subject.spec.model if subject.reply is None else 'this call'} is unknown; "
                "add the model's price under `prices` in promptops.yaml"
            )
        ok = cost <= options["max"]
        return Outcome(
            value=1.0 if ok else 0.0, detail=None if ok else f"cost ${cost:.6g} > ${options['max']:g}"
        )


class MaxLatency(Unchecked):
    """The call took at most `max` milliseconds (as measured when it was made, also when cached)."""

    schema: Mapping[str, Any] = {"required": ["max"], "properties": {"max": {"type": "number", "minimum": 0}}}
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        latency = subject.reply.latency_ms if subject.reply is not None else None
        if subject.trajectory is not None:  # a workflow: the whole case run
            latency = subject.trajectory.totals.latency_ms
        if latency is None:
            raise ScorerError("the call's latency is unknown")
        ok = latency <= options["max"]
        return Outcome(
            value=1.0 if ok else 0.0,
            detail=None if ok else f"latency {latency:.0f} ms > {options['max']:g} ms",
        )


register("max_cost", MaxCost())
register("max_latency_ms", MaxLatency())
