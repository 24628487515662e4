"""The tool doubles of one case run: mock, deny, replay — a small executor of the model's tool calls."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promptops.evals.trajectory import Step
from promptops.evals.workflow_config import WILDCARD, Deny, Double, Mock, Replay
from promptops.jsontext import content_hash


@dataclass(frozen=True, kw_only=True)
class Answered:
    """A tool call answered: the step to record and the content the model reads in the tool message."""

    step: Step
    content: str


@dataclass(frozen=True, kw_only=True)
class Failed:
    """A tool call that ends the case run as failed (a §9.3 reason)."""

    step: Step
    reason: str


def tool_content(value: Any) -> str:
    """Return a tool result as the model reads it: text as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _arguments_text(arguments: Mapping[str, Any] | str | None) -> str:
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Doubles:
    """Answers a case run's tool calls; a replay's cassette lines are used once per case run."""

    def __init__(self, doubles: Mapping[str, Double]) -> None:
        self.doubles = doubles
        self.used: dict[str, set[int]] = {}

    async def call(self, name: str, arguments: Mapping[str, Any] | str | None) -> Answered | Failed:
        """Return the answer to one tool call, or the failure that ends the case run."""
        double = self.doubles.get(name)
        if double is None:
            return Failed(
                step=Step(kind="tool", name=name, arguments=arguments, error="no double"),
                reason=f"tool:no-double {name}",
            )
        if isinstance(double, Deny):
            return Failed(
                step=Step(kind="tool", name=name, arguments=arguments, error="denied"),
                reason=f"tool:denied {name}",
            )
        if isinstance(double, Mock):
            return await self._mock(double, arguments)
        return self._replay(double, arguments)

    async def _mock(self, mock: Mock, arguments: Mapping[str, Any] | str | None) -> Answered | Failed:
        started = time.perf_counter()
        if mock.latency_ms:
            await asyncio.sleep(mock.latency_ms / 1000)
        key = WILDCARD
        if mock.by is not None and isinstance(arguments, Mapping) and mock.by in arguments:
            value = arguments[mock.by]
            key = value if isinstance(value, str) else json.dumps(value)
        if key not in mock.responses:
            key = WILDCARD
        latency = (time.perf_counter() - started) * 1000
        if key not in mock.responses:
            error = f"no mock response for {mock.by}={_arguments_text(arguments)}"
            step = Step(kind="tool", name=mock.tool, arguments=arguments, error=error, latency_ms=latency)
            return Answered(step=step, content=tool_content({"error": error}))
        result = mock.responses[key]
        step = Step(kind="tool", name=mock.tool, arguments=arguments, result=result, latency_ms=latency)
        return Answered(step=step, content=tool_content(result))

    def _replay(self, replay: Replay, arguments: Mapping[str, Any] | str | None) -> Answered | Failed:
        used = self.used.setdefault(replay.tool, set())
        key = content_hash(arguments) if isinstance(arguments, Mapping) else None
        for index, recorded in enumerate(replay.calls):
            if index in used or recorded.tool != replay.tool or recorded.key != key:
                continue
            used.add(index)
            step = Step(
                kind="tool",
                name=replay.tool,
                arguments=arguments,
                result=recorded.result,
                error=recorded.error,
                latency_ms=0.0,
            )
            content = recorded.result if recorded.error is None else {"error": recorded.error}
            return Answered(step=step, content=tool_content(content))
        step = Step(kind="tool", name=replay.tool, arguments=arguments, error="replay:no-match")
        return Failed(step=step, reason=f"replay:no-match {replay.tool} {_arguments_text(arguments)}")
