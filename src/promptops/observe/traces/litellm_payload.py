"""litellm's standard logging payload (`kwargs["standard_logging_object"]`) to a trace record."""

from __future__ import annotations

import hashlib
from typing import Any

from promptops.observe.traces.agent import TOOLS_HASH, openai_tool_calls, workflow_from_keys
from promptops.observe.traces.attributes import PURPOSE, VARIABLES, keys_from_tags, prompt_from_keys
from promptops.observe.traces.record import ModelRef, RecordError, TraceRecord, Usage, iso


def is_payload(data: Any) -> bool:
    """Return whether a decoded object looks like a litellm standard logging payload."""
    return (
        isinstance(data, dict) and "startTime" in data and ("litellm_call_id" in data or "call_type" in data)
    )


def is_tool_call(data: Any) -> bool:
    """Return whether a payload logs an MCP tool call (`call_type: call_mcp_tool`), which is no LLM call."""
    return isinstance(data, dict) and data.get("call_type") in MCP_CALL_TYPES


MCP_CALL_TYPES = ("call_mcp_tool", "list_mcp_tools")


def record(data: Any) -> TraceRecord:
    """Return the TraceRecord of one standard logging payload; RecordError naming what is missing."""
    if not is_payload(data):
        raise RecordError("expected a litellm standard logging payload (startTime, litellm_call_id, ...)")
    call_id = data.get("litellm_call_id") or data.get("id")
    start, end = _seconds(data, "startTime"), _seconds(data, "endTime")
    if not isinstance(call_id, str) or not call_id or start is None:
        raise RecordError("litellm_call_id: required")
    metadata = _dict(data.get("metadata"))
    nested = _dict(metadata.get("requester_metadata"))
    keys = {**keys_from_tags(data.get("request_tags") or []), **nested}
    response = _dict(data.get("response"))
    hidden = _dict(data.get("hidden_params"))
    first = _first_choice(response)
    failed = data.get("status") == "failure"
    error = _dict(data.get("error_information"))
    cost = data.get("response_cost")
    priced = isinstance(cost, int | float) and not (
        cost == 0 and data.get("response_cost_failure_debug_info")
    )
    first_token = _seconds(data, "completionStartTime")
    variables = nested.get(VARIABLES)
    messages = data.get("messages")
    user = data.get("end_user")
    message = _dict(first.get("message"))
    tools_hash = nested.get(TOOLS_HASH)
    return TraceRecord(
        id=call_id,
        ts_start=iso(start * 1000),
        source="litellm",
        trace_id=_text(data.get("trace_id")),
        response_id=_text(response.get("id")) or (_text(data.get("id")) if not failed else None),
        ts_end=iso(end * 1000) if end is not None else None,
        prompt=prompt_from_keys(keys),
        model=ModelRef(
            _text(hidden.get("litellm_model_name")) or _text(data.get("model")),
            _text(response.get("model")) or (_text(data.get("model")) if not failed else None),
            _text(data.get("custom_llm_provider")),
        ),
        usage=Usage(_int(data.get("prompt_tokens")), _int(data.get("completion_tokens")), _cached(data)),
        cost_usd=float(cost) if priced else None,
        cost_source="computed" if priced else "unknown",
        latency_ms=(end - start) * 1000 if end is not None else None,
        ttft_ms=_ttft_ms(data, start, end, first_token),
        status="error" if failed else "ok",
        error_type=(_text(error.get("error_class")) or "error") if failed else None,
        finish_reason=_text(first.get("finish_reason")),
        purpose=_text(nested.get(PURPOSE)) or "prod",
        variables=variables if isinstance(variables, dict) else None,
        input_messages=messages if isinstance(messages, list) else None,
        output=_text(message.get("content")),
        user_key_hash="sha256:" + hashlib.sha256(user.encode()).hexdigest()
        if isinstance(user, str) and user
        else None,
        tool_calls=openai_tool_calls(message.get("tool_calls")),
        tools_hash=tools_hash if isinstance(tools_hash, str) and tools_hash else None,
        workflow=workflow_from_keys(nested),
    )


def _ttft_ms(data: dict[str, Any], start: float, end: float | None, first: float | None) -> float | None:
    """Return the time to first token; None when it is not real: litellm sets completionStartTime to
    endTime for a call that did not stream, so equal values (or `stream: false`) say nothing."""
    if first is None or data.get("stream") is False or first == end or first < start:
        return None
    return (first - start) * 1000


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _seconds(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"{key}: expected seconds since the epoch")
    return float(value)


def _first_choice(response: dict[str, Any]) -> dict[str, Any]:
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return {}


def _cached(data: dict[str, Any]) -> int | None:
    metadata = data.get("metadata") or {}
    usage = metadata.get("usage_object") if isinstance(metadata, dict) else None
    details = usage.get("prompt_tokens_details") if isinstance(usage, dict) else None
    return _int(details.get("cached_tokens")) if isinstance(details, dict) else None


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
