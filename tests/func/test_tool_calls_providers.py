"""Tool calls on both model paths against the local server: tools, tool choice and response format
go out; text, tool calls and the finish reason come back; malformed calls are recorded, never raised."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from promptops.evals.cache import cache_key, open_cache
from promptops.evals.calls import CallRequest, Provider, Reply, RetryPolicy, ToolCall, close, complete
from promptops.evals.openai_http import OpenAIHTTPProvider
from promptops.evals.providers import LiteLLMProvider
from promptops.formats import content_hash
from support.openai_server import FakeOpenAI

MODEL = "openai/gpt-4o-mini-2024-07-18"
FAST = RetryPolicy(retries=1, timeout_s=5.0, backoff_s=0.01, backoff_max_s=0.05)
SEARCH = {
    "type": "function",
    "function": {
        "name": "search_orders",
        "description": "Find an order.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["order_id"],
        },
    },
}
REFUND = {
    "type": "function",
    "function": {
        "name": "refund",
        "parameters": {"type": "object", "properties": {"amount": {"type": "number"}}},
    },
}
FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
}


@pytest.fixture(params=["litellm", "http"])
def provider(request: pytest.FixtureRequest) -> Callable[[], Provider]:
    def build() -> Provider:
        litellm = LiteLLMProvider()
        return litellm if request.param == "litellm" else OpenAIHTTPProvider(litellm)

    return build


def run(provider: Provider, request: CallRequest) -> Reply:
    async def call() -> Reply:
        try:
            return await complete(provider, request, FAST)
        finally:
            await close(provider)

    return asyncio.run(call())


def ask(text: str, **extra: object) -> CallRequest:
    return CallRequest(
        model=MODEL,
        messages=(("system", "Help."), ("user", text)),
        params={"temperature": 0},
        tools=(SEARCH, REFUND),
        **extra,  # type: ignore[arg-type]
    )


def test_tools_go_out_and_calls_come_back(
    provider: Callable[[], Provider], openai_server: FakeOpenAI
) -> None:
    reply = run(
        provider(), ask("Where is order_id=ORD-12345 limit=3?", tool_choice="auto", response_format=FORMAT)
    )
    assert reply.text == ""
    assert reply.finish_reason == "tool_calls"
    assert reply.tool_calls == (
        ToolCall(id="call_1", name="search_orders", arguments={"order_id": "ORD-12345", "limit": 3}),
    )
    body = openai_server.requests[0].body
    assert [t["function"]["name"] for t in body["tools"]] == ["search_orders", "refund"]
    assert body["tool_choice"] == "auto"
    assert body["response_format"] == FORMAT


def test_named_tool_choice_and_two_calls(provider: Callable[[], Provider], openai_server: FakeOpenAI) -> None:
    named = {"type": "function", "function": {"name": "refund"}}
    reply = run(provider(), ask("amount=12.5 please", tool_choice=named))
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("refund", {"amount": 12.5})]
    both = run(provider(), ask("search_orders then refund amount=1"))
    assert [c.name for c in both.tool_calls] == ["search_orders", "refund"]


def test_malformed_arguments_are_recorded(
    provider: Callable[[], Provider], openai_server: FakeOpenAI
) -> None:
    openai_server.tool_answers = {
        "broken": [{"name": "search_orders", "arguments": "{order_id: ORD-1"}],
        "list": [{"name": "nope", "arguments": "[1, 2]"}],
    }
    reply = run(provider(), ask("broken call"))
    (call,) = reply.tool_calls
    assert call.arguments == "{order_id: ORD-1"
    assert call.arguments_error is not None
    assert call.arguments_error.startswith("arguments are not valid JSON: Expecting property name")
    (other,) = run(provider(), ask("a list")).tool_calls
    assert (other.name, other.arguments, other.arguments_error) == (
        "nope",
        "[1, 2]",
        "arguments are not a JSON object",
    )


def test_a_tool_result_is_answered_with_text(
    provider: Callable[[], Provider], openai_server: FakeOpenAI
) -> None:
    openai_server.answers = {"Where": "It shipped."}
    first = run(provider(), ask("Where is order_id=ORD-1"))
    follow = CallRequest(
        model=MODEL,
        messages=(
            ("user", "Where is order_id=ORD-1"),
            first.message(),
            {"role": "tool", "tool_call_id": first.tool_calls[0].id, "content": '{"status": "shipped"}'},
        ),
        tools=(SEARCH,),
    )
    reply = run(provider(), follow)
    assert (reply.text, reply.tool_calls, reply.finish_reason) == ("It shipped.", (), "stop")
    sent = openai_server.requests[-1].body["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {
        "name": "search_orders",
        "arguments": '{"order_id": "ORD-1"}',
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'}


def test_multi_part_content_is_sent_as_is(
    provider: Callable[[], Provider], openai_server: FakeOpenAI
) -> None:
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]
    reply = run(provider(), CallRequest(model=MODEL, messages=({"role": "user", "content": parts},)))
    assert reply.text == "OK" and reply.finish_reason == "stop"
    assert openai_server.requests[0].body["messages"][0]["content"] == parts


def test_tool_choice_none_and_no_tools_answer_text(
    provider: Callable[[], Provider], openai_server: FakeOpenAI
) -> None:
    assert run(provider(), ask("order_id=ORD-1", tool_choice="none")).tool_calls == ()
    plain = run(provider(), CallRequest(model=MODEL, messages=(("user", "hi"),)))
    assert (plain.text, plain.tool_calls, plain.finish_reason) == ("OK", (), "stop")
    assert "tools" not in openai_server.requests[-1].body


def test_cache_key_covers_tools_and_keeps_old_keys() -> None:
    plain = CallRequest(model=MODEL, messages=(("user", "hi"),), params={"temperature": 0})
    # the key of a request without tools is the one promptops wrote before tools existed
    old = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "params": {"temperature": 0}}
    assert cache_key(plain, 0) == content_hash({"format": 1, "request": old, "repeat": 0})
    keys = {
        cache_key(plain, 0),
        cache_key(CallRequest(model=MODEL, messages=plain.messages, params=plain.params, tools=(SEARCH,)), 0),
        cache_key(
            CallRequest(
                model=MODEL,
                messages=plain.messages,
                params=plain.params,
                tools=(SEARCH,),
                tool_choice="required",
            ),
            0,
        ),
        cache_key(
            CallRequest(model=MODEL, messages=plain.messages, params=plain.params, response_format=FORMAT), 0
        ),
    }
    assert len(keys) == 4


def test_cache_keeps_tool_calls_and_reads_old_rows(tmp_path: Path) -> None:
    cache = open_cache(tmp_path)
    reply = Reply(
        text="",
        tool_calls=(
            ToolCall(
                id="c1", name="refund", arguments="{bad", arguments_error="arguments are not valid JSON"
            ),
        ),
        finish_reason="tool_calls",
    )
    cache.put("k", "m", reply)
    assert open_cache(tmp_path).get("k") == reply
    assert Reply.from_dict({"text": "old", "input_tokens": 1}) == Reply(text="old", input_tokens=1)


def test_secrets_in_arguments_are_redacted(openai_server: FakeOpenAI) -> None:
    key = "sk-" + "a" * 40
    openai_server.tool_answers = {"leak": [{"name": "refund", "arguments": {"note": f"key {key}"}}]}
    reply = run(OpenAIHTTPProvider(LiteLLMProvider()), ask("leak it"))
    assert reply.tool_calls[0].arguments == {"note": "key [REDACTED]"}
