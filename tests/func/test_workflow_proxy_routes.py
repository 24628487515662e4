"""The proxy's routes: a case run found by its path token or its traceparent; OTLP spans joined by trace
id; what it refuses (unknown case, streaming, non-JSON spans)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from promptops.evals.calls import CallRequest, Reply, ToolCall
from promptops.evals.workflow.proxy import Proxy, Session
from promptops.evals.workflow.spans import tool_steps
from promptops.evals.workflow_config import LoopLimits

TRACE = "0af7651916cd43dd8448eb211c80319c"


def span(name: str, *, error: bool = False, trace: str = TRACE) -> dict[str, Any]:
    attributes = [
        {"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}},
        {"key": "gen_ai.tool.name", "value": {"stringValue": name}},
        {"key": "gen_ai.tool.call.arguments", "value": {"stringValue": '{"order_id": "ORD-1"}'}},
    ]
    out: dict[str, Any] = {
        "traceId": trace,
        "spanId": "b7ad6b7169203331",
        "name": f"execute_tool {name}",
        "startTimeUnixNano": "1000000000",
        "endTimeUnixNano": "1250000000",
        "attributes": attributes,
    }
    if error:
        out["status"] = {"code": 2, "message": "upstream 503"}
    return {"resourceSpans": [{"scopeSpans": [{"spans": [out]}]}]}


def test_execute_tool_spans_read_as_tool_steps() -> None:
    ((trace, start, step),) = tool_steps(span("search_orders", error=True))
    assert (trace, start) == (TRACE, 1_000_000_000)
    assert (step.kind, step.name, step.arguments, step.error, step.latency_ms) == (
        "tool",
        "search_orders",
        {"order_id": "ORD-1"},
        "upstream 503",
        250.0,
    )
    as_base64 = span("search_orders", trace=base64.b64encode(bytes.fromhex(TRACE)).decode())
    assert tool_steps(as_base64)[0][0] == TRACE  # protobuf's JSON mapping writes ids as base64
    chat = {"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "chat", "attributes": []}]}]}]}
    assert tool_steps(chat) == [] and tool_steps([1, 2]) == []


async def _post(port: int, path: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{head}"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode() + data
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    status = int(raw.split(b" ", 2)[1])
    return status, json.loads(raw.split(b"\r\n\r\n", 1)[1])


def test_routes() -> None:
    async def go() -> tuple[list[tuple[int, Any]], Session]:
        proxy = Proxy()
        await proxy.start()

        async def forward(request: CallRequest) -> Reply:
            call = ToolCall(id="c1", name="search_orders", arguments={"order_id": "ORD-1"})
            return Reply(text="", tool_calls=(call,), input_tokens=5, output_tokens=3, cost_usd=0.01)

        proxy.open("t1", TRACE, forward, LoopLimits(max_steps=2, max_cost_usd=0.015))
        chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}
        traceparent = {"traceparent": f"00-{TRACE}-b7ad6b7169203331-01"}
        port = proxy.port
        try:
            answers = [
                await _post(port, "/v1/chat/completions", chat, traceparent),
                await _post(port, "/case/nope/v1/chat/completions", chat),
                await _post(port, "/case/t1/v1/chat/completions", {**chat, "stream": True}),
                await _post(port, "/v1/traces", span("search_orders")),
                await _post(port, "/case/t1/v1/chat/completions", chat),
                await _post(port, "/case/t1/v1/chat/completions", chat),
            ]
        finally:
            session = proxy.close("t1")
            await proxy.stop()
        return answers, session

    answers, session = asyncio.run(go())
    status, first = answers[0]
    assert status == 200
    assert first["choices"][0]["finish_reason"] == "tool_calls"
    assert first["choices"][0]["message"]["tool_calls"][0]["function"] == {
        "name": "search_orders",
        "arguments": '{"order_id": "ORD-1"}',
    }
    assert first["usage"] == {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
    assert [a[0] for a in answers[1:]] == [404, 400, 200, 200, 429]
    assert answers[2][1]["error"]["message"] == "the promptops proxy does not stream; send stream: false"
    assert answers[5][1]["error"]["message"] == "limit:steps: this case run may make 2 model calls"
    assert session.failure == "limit:cost"  # the second call passed $0.015; the third was refused
    assert [s.kind for _, s in sorted(session.steps, key=lambda item: item[0])] == ["tool", "llm", "llm"]
