"""The built-in loop against the local OpenAI-compatible server: tool calls answered from the doubles,
followed until the model answers; every limit ends the case run with its reason."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from promptops.evals.calls import CallRequest, Reply, RetryPolicy, ToolCall, close, complete
from promptops.evals.openai_http import OpenAIHTTPProvider
from promptops.evals.providers import LiteLLMProvider
from promptops.evals.trajectory import Trajectory
from promptops.evals.workflow.doubles import Doubles
from promptops.evals.workflow.loop import run_loop
from promptops.evals.workflow_config import Deny, LoopLimits, Mock
from support.openai_server import FakeOpenAI

MODEL = "openai/gpt-4o-mini-2024-07-18"
FAST = RetryPolicy(retries=1, timeout_s=5.0, backoff_s=0.01, backoff_max_s=0.05)


def tool(name: str, *params: str) -> dict[str, object]:
    properties = {p: {"type": "string"} for p in params}
    return {
        "type": "function",
        "function": {"name": name, "parameters": {"type": "object", "properties": properties}},
    }


TOOLS = (tool("search_orders", "order_id"), tool("issue_refund", "order_id"))
DOUBLES = {
    "search_orders": Mock(
        tool="search_orders",
        by="order_id",
        responses={"ORD-12345": {"status": "shipped"}, "*": {"error": "not_found"}},
    ),
    "issue_refund": Deny(tool="issue_refund"),
}


def loop_against(server: FakeOpenAI, question: str, limits: LoopLimits, litellm: bool = False) -> Trajectory:
    request = CallRequest(model=MODEL, messages=(("user", question),), tools=TOOLS, tool_choice="auto")

    async def go() -> Trajectory:
        backend = LiteLLMProvider()
        provider = backend if litellm else OpenAIHTTPProvider(backend)

        async def call(r: CallRequest) -> Reply:
            return await complete(provider, r, FAST)

        try:
            return await run_loop(request, Doubles(DOUBLES), limits, call)
        finally:
            await close(provider)

    return asyncio.run(go())


@pytest.mark.parametrize("litellm", [False, True], ids=["http", "litellm"])
def test_the_loop_answers_tool_calls_and_follows_the_results(
    openai_server: FakeOpenAI, litellm: bool
) -> None:
    openai_server.answers = lambda messages: (
        "shipped" if "shipped" in str(messages[-1].get("content")) else "?"
    )
    got = loop_against(openai_server, "search_orders order_id=ORD-12345", LoopLimits(), litellm)
    assert got.failure is None
    assert got.output == "shipped"
    assert [(s.kind, s.name) for s in got.steps] == [
        ("llm", MODEL),
        ("tool", "search_orders"),
        ("llm", MODEL),
    ]
    assert got.steps[1].arguments == {"order_id": "ORD-12345"} and got.steps[1].result == {
        "status": "shipped"
    }
    assert (got.totals.steps, got.totals.tool_calls, got.totals.tool_errors) == (2, 1, 0)
    # the second request carried the assistant's call and the tool's answer
    second = openai_server.requests[-1].body["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "tool"]
    assert second[2] == {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'}


def test_a_denied_tool_ends_the_case_run_at_once(openai_server: FakeOpenAI) -> None:
    got = loop_against(openai_server, "issue_refund order_id=ORD-12345", LoopLimits())
    assert got.failure == "tool:denied issue_refund"
    assert [(s.kind, s.name, s.error) for s in got.steps] == [
        ("llm", MODEL, None),
        ("tool", "issue_refund", "denied"),
    ]
    assert len(openai_server.requests) == 1


def test_the_timeout_is_the_wall_clock_of_the_case_run(openai_server: FakeOpenAI) -> None:
    openai_server.latency = 0.3
    got = loop_against(openai_server, "search_orders order_id=ORD-12345", LoopLimits(timeout_s=0.45))
    assert got.failure == "limit:timeout"
    assert [s.kind for s in got.steps] == ["llm", "tool"]


class Scripted:
    """A model that always asks for `calls` more tool calls, at `cost` per call."""

    def __init__(self, calls: Sequence[str], cost: float = 0.01) -> None:
        self.calls = calls
        self.cost = cost
        self.made = 0

    async def __call__(self, request: CallRequest) -> Reply:
        self.made += 1
        tool_calls = tuple(
            ToolCall(id=f"c{self.made}_{i}", name=n, arguments={"order_id": "ORD-12345"})
            for i, n in enumerate(self.calls)
        )
        return Reply(text="", tool_calls=tool_calls, cost_usd=self.cost, input_tokens=3, output_tokens=2)


def scripted(limits: LoopLimits, calls: Sequence[str] = ("search_orders",), cost: float = 0.01) -> Trajectory:
    request = CallRequest(model=MODEL, messages=(("user", "hi"),), tools=TOOLS)
    return asyncio.run(run_loop(request, Doubles(DOUBLES), limits, Scripted(calls, cost)))


def test_each_limit_ends_the_case_run_with_its_reason() -> None:
    steps = scripted(LoopLimits(max_steps=3))
    assert (steps.failure, steps.totals.steps, steps.totals.tool_calls) == ("limit:steps", 3, 3)
    tools = scripted(LoopLimits(max_tool_calls=4), calls=("search_orders", "search_orders"))
    assert (tools.failure, tools.totals.steps, tools.totals.tool_calls) == ("limit:tool_calls", 3, 4)
    cost = scripted(LoopLimits(max_cost_usd=0.025))
    assert (cost.failure, cost.totals.steps) == ("limit:cost", 3)
    assert cost.totals.cost_usd == pytest.approx(0.03)
    undoubled = scripted(LoopLimits(), calls=("cancel_order",))
    assert undoubled.failure == "tool:no-double cancel_order"
