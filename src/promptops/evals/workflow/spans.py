"""OTel `execute_tool` spans (OTLP/HTTP JSON) read as tool steps of a trajectory (GenAI conventions)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from typing import Any

from promptops.evals.trajectory import Step

NS_PER_MS = 1_000_000


def tool_steps(data: Any) -> list[tuple[str, int, Step]]:
    """Return (trace id, start ns, step) for every `execute_tool` span in an OTLP JSON export."""
    out = []
    for span in _spans(data):
        attributes = _attributes(span.get("attributes"))
        operation = attributes.get("gen_ai.operation.name")
        name = attributes.get("gen_ai.tool.name")
        if operation != "execute_tool" and not str(span.get("name", "")).startswith("execute_tool"):
            continue
        if not isinstance(name, str) or not name:
            continue
        start, end = _int(span.get("startTimeUnixNano")), _int(span.get("endTimeUnixNano"))
        raw_status = span.get("status")
        status: Mapping[str, Any] = raw_status if isinstance(raw_status, Mapping) else {}
        error = attributes.get("error.type")
        if error is None and status.get("code") in (2, "STATUS_CODE_ERROR"):
            error = status.get("message") or "error"
        arguments = _json(attributes.get("gen_ai.tool.call.arguments"))
        step = Step(
            kind="tool",
            name=name,
            arguments=arguments if isinstance(arguments, dict | str) else None,
            result=_json(attributes.get("gen_ai.tool.call.result")),
            error=None if error is None else str(error),
            latency_ms=(end - start) / NS_PER_MS if start and end and end >= start else None,
        )
        out.append((_trace_id(span.get("traceId")), start, step))
    return out


def _trace_id(value: Any) -> str:
    # the Collector writes hex ids; protobuf's generic JSON mapping writes the bytes as base64
    if not isinstance(value, str):
        return ""
    if len(value) == 32:
        return value.lower()
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return ""


def _spans(data: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(data, Mapping):
        return
    for resource in data.get("resourceSpans") or ():
        for scope in (resource or {}).get("scopeSpans") or ():
            for span in (scope or {}).get("spans") or ():
                if isinstance(span, Mapping):
                    yield span


def _attributes(raw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in raw or ():
        if isinstance(item, Mapping) and isinstance(item.get("key"), str):
            value = item.get("value")
            if isinstance(value, Mapping) and value:
                out[item["key"]] = next(iter(value.values()))
    return out


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
