"""Agent traffic made by real producers: the SDK's `workflow_span` / `tool_span` on the OpenTelemetry SDK
(global tracer provider, in-memory exporter, official OTLP encoding) with GenAI chat spans inside."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from promptops import Prompt
from promptops.sdk import tool_span, workflow_span

_EXPORTER = InMemorySpanExporter()
_INSTALLED: list[bool] = []


def exporter() -> InMemorySpanExporter:
    """Return the exporter of the global tracer provider (installed once per process), emptied."""
    if not _INSTALLED:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider(shutdown_on_exit=False)
            trace.set_tracer_provider(provider)
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        _INSTALLED.append(True)
    _EXPORTER.clear()
    return _EXPORTER


def chat(
    prompt: Prompt,
    *,
    tool_calls: Sequence[tuple[str, str, dict[str, Any]]] = (),
    answer: str = "",
    message: str | None = None,
) -> None:
    """Record one chat span (current GenAI names) asking for `tool_calls` (id, name, arguments) or answering."""
    parts: list[dict[str, Any]] = [
        {"type": "tool_call", "id": cid, "name": name, "arguments": args} for cid, name, args in tool_calls
    ]
    if answer:
        parts.append({"type": "text", "content": answer})
    tracer = trace.get_tracer("shop")
    with tracer.start_as_current_span("chat gpt-4o-mini") as span:
        span.set_attributes(
            {
                **(prompt.span_attributes(message=message) if message else prompt.span_attributes()),
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 100,
                "gen_ai.usage.output_tokens": 10,
                "gen_ai.usage.cost": 0.001,
                "gen_ai.output.messages": json.dumps(
                    [
                        {
                            "role": "assistant",
                            "parts": parts,
                            "finish_reason": "tool_call" if tool_calls else "stop",
                        }
                    ]
                ),
            }
        )


def agent_run(prompt: Prompt, order: str, *, fail_tool: bool = False, timeout: bool = False) -> None:
    """One support-agent run: look the order up (a tool), answer; a failing lookup or a timeout on demand."""
    try:
        with workflow_span("support-agent"):
            chat(
                prompt,
                tool_calls=[(f"call-{order}", "search_orders", {"order_id": order})],
                message=f"Where is {order}? Mail me at jane.doe@example.com",
            )
            try:
                with tool_span("search_orders", f"call-{order}", {"order_id": order}) as tool:
                    if fail_tool:
                        raise LookupError(order)
                    tool.result({"status": "shipped", "email": "jane.doe@example.com"})
            except LookupError:
                pass
            if timeout:
                raise TimeoutError("the run took too long")
            chat(prompt, answer=f"{order} has shipped")
    except TimeoutError:
        pass


def otlp_line(spans: Sequence[ReadableSpan]) -> str:
    """Return one OTLP JSON line (the Collector's file exporter: hex ids) of `spans`."""
    data = MessageToDict(encode_spans(spans))
    for resource in data["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(data)
