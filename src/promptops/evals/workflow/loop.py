"""The built-in loop: call the model, answer its tool calls from the doubles, repeat until it answers
without tool calls or a limit ends the case run (`limit:steps|tool_calls|cost|timeout`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from promptops.evals.calls import CallRequest, ChatMessage, Reply
from promptops.evals.trajectory import Step, Trajectory
from promptops.evals.workflow.doubles import Doubles, Failed
from promptops.evals.workflow_config import LoopLimits

Call = Callable[[CallRequest], Awaitable[Reply]]  # one model call (cached per repeat, retried)


def llm_step(model: str, reply: Reply) -> Step:
    """Return the trajectory step of one model call."""
    tokens = None
    if reply.input_tokens is not None and reply.output_tokens is not None:
        tokens = reply.input_tokens + reply.output_tokens
    return Step(
        kind="llm",
        name=model,
        result=reply.text or None,
        latency_ms=reply.latency_ms,
        cost_usd=reply.cost_usd,
        tokens=tokens,
    )


async def run_loop(request: CallRequest, doubles: Doubles, limits: LoopLimits, call: Call) -> Trajectory:
    """Return the trajectory of one case run of the built-in loop (ProviderError propagates: an error)."""
    steps: list[Step] = []
    started = time.perf_counter()
    outcome: dict[str, Any] = {"output": None, "failure": None}
    try:
        async with asyncio.timeout(limits.timeout_s):
            outcome = await _turns(request, doubles, limits, call, steps)
    except TimeoutError:
        outcome = {"output": None, "failure": "limit:timeout"}
    wall = (time.perf_counter() - started) * 1000
    return Trajectory(steps=tuple(steps), output=outcome["output"], failure=outcome["failure"], wall_ms=wall)


async def _turns(
    request: CallRequest, doubles: Doubles, limits: LoopLimits, call: Call, steps: list[Step]
) -> dict[str, Any]:
    messages: list[ChatMessage] = list(request.messages)
    llm_calls = tool_calls = 0
    cost = 0.0
    while True:
        if llm_calls >= limits.max_steps:
            return {"output": None, "failure": "limit:steps"}
        reply = await call(replace(request, messages=tuple(messages)))
        llm_calls += 1
        steps.append(llm_step(request.model, reply))
        cost += reply.cost_usd or 0.0
        if limits.max_cost_usd is not None and cost > limits.max_cost_usd:
            return {"output": None, "failure": "limit:cost"}
        if not reply.tool_calls:
            return {"output": reply.text, "failure": None}
        messages.append(reply.message())
        for tool_call in reply.tool_calls:
            if tool_calls >= limits.max_tool_calls:
                return {"output": None, "failure": "limit:tool_calls"}
            tool_calls += 1
            answer = await doubles.call(tool_call.name, tool_call.arguments)
            steps.append(answer.step)
            if isinstance(answer, Failed):
                return {"output": None, "failure": answer.reason}
            messages.append({"role": "tool", "tool_call_id": tool_call.id, "content": answer.content})
