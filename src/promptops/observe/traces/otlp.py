"""OTLP JSON (the Collector's file exporter, one ExportTraceServiceRequest a line) to trace records.

Both the current GenAI semantic conventions and the older names are read (`gen_ai.provider.name` or
`gen_ai.system`, `gen_ai.usage.input_tokens` or `prompt_tokens`, `gen_ai.input.messages` or
`gen_ai.prompt.N.*`), and the attribution from `Prompt.span_attributes()` or, on litellm's own `otel`
spans, from the nested metadata litellm writes as `metadata.requester_metadata`.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
from typing import Any

from promptops.observe.traces import otlp_agent
from promptops.observe.traces.agent import ToolCall, WorkflowRef
from promptops.observe.traces.attributes import prompt_from_keys
from promptops.observe.traces.record import ModelRef, RecordError, TraceRecord, Usage, iso

STATUS_ERROR = (2, "STATUS_CODE_ERROR")
LLM_KEYS = (
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.operation.name",
    "gen_ai.system",
    "gen_ai.provider.name",
)
AGENT_OPERATIONS = ("invoke_agent", "invoke_workflow", "execute_tool")


def parse(data: Any) -> tuple[list[TraceRecord], int, list[WorkflowRef]]:
    """Return the records of the LLM-call spans in a decoded OTLP JSON object, how many spans are neither
    a call nor a run, and the outcome of each run span in it."""
    if not isinstance(data, dict) or not isinstance(data.get("resourceSpans"), list):
        raise RecordError("expected an OTLP JSON object with resourceSpans")
    out, other, agent_spans = [], 0, []
    for resource in data["resourceSpans"]:
        for scope in _list(resource, "scopeSpans", "instrumentationLibrarySpans"):
            for span in _list(scope, "spans"):
                if not isinstance(span, dict):
                    raise RecordError("resourceSpans[].scopeSpans[].spans[]: expected an object")
                attrs = attributes(span.get("attributes"))
                operation = attrs.get("gen_ai.operation.name")
                if operation in AGENT_OPERATIONS:
                    agent_spans.append(_agent_span(span, attrs))
                elif any(k in attrs for k in LLM_KEYS):
                    out.append((_record(span, attrs), _parent(span), _nanos(span, "startTimeUnixNano") or 0))
                else:
                    other += 1
    records, unjoined = otlp_agent.join(out, agent_spans)
    runs = otlp_agent.outcomes(agent_spans)
    return records, other + unjoined, runs


def _parent(span: dict[str, Any]) -> str | None:
    return _hex_id(span.get("parentSpanId"), 8)


def _agent_span(span: dict[str, Any], attrs: dict[str, Any]) -> otlp_agent.AgentSpan:
    span_id = _hex_id(span.get("spanId"), 8)
    start = _nanos(span, "startTimeUnixNano")
    if span_id is None or start is None:
        raise RecordError("an agent or tool span needs spanId and startTimeUnixNano")
    end = _nanos(span, "endTimeUnixNano")
    failed = (span.get("status") or {}).get("code") in STATUS_ERROR or "error.type" in attrs
    return otlp_agent.AgentSpan(
        operation=str(attrs["gen_ai.operation.name"]),
        span_id=span_id,
        parent_id=_parent(span),
        trace_id=_hex_id(span.get("traceId"), 16),
        start_ns=start,
        latency_ms=(end - start) / 1e6 if end is not None else None,
        failed=failed,
        error_type=(_text(attrs.get("error.type")) or (_exception(span) or "error")) if failed else None,
        attrs=attrs,
    )


def _list(holder: Any, *keys: str) -> list[Any]:
    if not isinstance(holder, dict):
        raise RecordError("resourceSpans: expected objects")
    for key in keys:
        value = holder.get(key)
        if isinstance(value, list):
            return value
    return []


def attributes(items: Any) -> dict[str, Any]:
    """Return OTLP KeyValue attributes (typed AnyValue) as a plain dict."""
    out: dict[str, Any] = {}
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _value(item.get("value"))
    return out


def _value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for kind in ("stringValue", "boolValue", "doubleValue"):
        if kind in value:
            return value[kind]
    if "intValue" in value:
        return int(value["intValue"])  # int64 is a string in OTLP JSON
    if "arrayValue" in value:
        return [_value(v) for v in (value["arrayValue"] or {}).get("values", [])]
    if "kvlistValue" in value:
        return attributes((value["kvlistValue"] or {}).get("values"))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def _hex_id(value: Any, size: int) -> str | None:
    # the Collector writes hex ids; protobuf's generic JSON mapping writes the bytes as base64
    if not isinstance(value, str) or not value:
        return None
    if len(value) == size * 2:
        try:
            bytes.fromhex(value)
            return value.lower()
        except ValueError:
            pass
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        raise RecordError(f"'{value}' is not a hex or base64 id") from None


def _nanos(span: dict[str, Any], key: str) -> int | None:
    value = span.get(key)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RecordError(f"{key}: expected nanoseconds since the epoch") from None


def _record(span: dict[str, Any], attrs: dict[str, Any]) -> TraceRecord:
    span_id = _hex_id(span.get("spanId"), 8)
    start = _nanos(span, "startTimeUnixNano")
    if span_id is None or start is None:
        raise RecordError("an LLM span needs spanId and startTimeUnixNano")
    end = _nanos(span, "endTimeUnixNano")
    status = span.get("status") or {}
    failed = status.get("code") in STATUS_ERROR
    cost = _first(attrs, "gen_ai.usage.cost", "gen_ai.cost.total_cost", "llm.usage.cost")
    ttft = _first(attrs, "gen_ai.response.time_to_first_chunk", "gen_ai.server.time_to_first_token")
    return TraceRecord(
        id=span_id,
        ts_start=iso(start / 1e6),
        source="otlp",
        trace_id=_hex_id(span.get("traceId"), 16),
        response_id=_text(_first(attrs, "gen_ai.response.id")),
        ts_end=iso(end / 1e6) if end is not None else None,
        prompt=prompt_from_keys(_attribution(attrs)),
        model=ModelRef(
            _text(_first(attrs, "gen_ai.request.model")),
            _text(_first(attrs, "gen_ai.response.model")),
            _text(_first(attrs, "gen_ai.provider.name", "gen_ai.system")),
        ),
        usage=Usage(
            _int(_first(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")),
            _int(_first(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")),
            _int(
                _first(attrs, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens")
            ),
        ),
        cost_usd=float(cost) if isinstance(cost, int | float) else None,
        cost_source="reported" if isinstance(cost, int | float) else "unknown",
        latency_ms=(end - start) / 1e6 if end is not None else None,
        ttft_ms=float(ttft) * 1000 if isinstance(ttft, int | float) else None,
        status="error" if failed or "error.type" in attrs else "ok",
        error_type=_text(attrs.get("error.type")) or (_exception(span) if failed else None),
        finish_reason=_finish(attrs),
        purpose=_text(attrs.get("promptops.purpose")) or "prod",
        variables=_variables(attrs),
        input_messages=_input(attrs),
        output=_output(attrs),
        tool_calls=_tool_calls(attrs),
        tools_hash=_text(attrs.get("promptops.prompt.tools_hash")),
        workflow=otlp_agent.workflow_of(attrs),
    )


def _attribution(attrs: dict[str, Any]) -> dict[str, Any]:
    nested = attrs.get("metadata.requester_metadata")  # litellm's `otel` callback: str() of a dict
    found: dict[str, Any] = {}
    if isinstance(nested, str) and nested.startswith("{"):
        try:
            value = ast.literal_eval(nested)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = None
        if isinstance(value, dict):
            found.update(value)
    elif isinstance(nested, dict):
        found.update(nested)
    found.update({k: v for k, v in attrs.items() if k.startswith(("promptops.", "gen_ai.prompt.name"))})
    if "llm.prompt_template.version" in attrs:
        found.setdefault("promptops.prompt.version", attrs["llm.prompt_template.version"])
    return found


def _first(attrs: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if attrs.get(key) is not None:
            return attrs[key]
    return None


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _finish(attrs: dict[str, Any]) -> str | None:
    reasons = _json(attrs.get("gen_ai.response.finish_reasons"))
    if isinstance(reasons, list) and reasons:
        return str(reasons[0])
    return _text(attrs.get("gen_ai.completion.0.finish_reason"))


def _variables(attrs: dict[str, Any]) -> dict[str, Any] | None:
    value = _json(_first(attrs, "llm.prompt_template.variables", "promptops.prompt.variables"))
    return value if isinstance(value, dict) else None


def _input(attrs: dict[str, Any]) -> list[Any] | None:
    value = _json(attrs.get("gen_ai.input.messages"))
    if isinstance(value, list):
        return value
    old: list[dict[str, Any]] = []
    while f"gen_ai.prompt.{len(old)}.content" in attrs or f"gen_ai.prompt.{len(old)}.role" in attrs:
        i = len(old)
        old.append(
            {"role": attrs.get(f"gen_ai.prompt.{i}.role"), "content": attrs.get(f"gen_ai.prompt.{i}.content")}
        )
    return old or None


def _output(attrs: dict[str, Any]) -> str | None:
    value = _json(attrs.get("gen_ai.output.messages"))
    if isinstance(value, list) and value and isinstance(value[0], dict):
        parts = value[0].get("parts") or []
        texts = [str(p.get("content", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text"]
        return "".join(texts) if texts else None
    return _text(attrs.get("gen_ai.completion.0.content"))


def _tool_calls(attrs: dict[str, Any]) -> tuple[ToolCall, ...]:
    # gen_ai.output.messages: [{role, parts: [{type: tool_call, id, name, arguments}]}]
    value = _json(attrs.get("gen_ai.output.messages"))
    out = []
    for message in value if isinstance(value, list) else []:
        for part in (message.get("parts") or []) if isinstance(message, dict) else []:
            if isinstance(part, dict) and part.get("type") == "tool_call" and _text(part.get("name")):
                arguments = _json(part.get("arguments"))
                out.append(
                    ToolCall(
                        name=str(part["name"]),
                        arguments=arguments if isinstance(arguments, dict) else None,
                        id=_text(part.get("id")),
                    )
                )
    return tuple(out)


def _exception(span: dict[str, Any]) -> str | None:
    for event in span.get("events") or []:
        if isinstance(event, dict) and event.get("name") == "exception":
            return _text(attributes(event.get("attributes")).get("exception.type"))
    return "error"
