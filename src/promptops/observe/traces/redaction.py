"""Secrets out of trace records before they are stored: promptops.secrets applied to the content fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from promptops.observe.traces.agent import ToolCall
from promptops.observe.traces.record import TraceRecord
from promptops.secrets import scrub_data

__all__ = ["CONTENT", "scrub_record"]

CONTENT = ("variables", "input_messages", "output", "error_type")  # the fields holding text from outside


def scrub_record(record: TraceRecord, values: Sequence[str]) -> TraceRecord:
    """Return `record` with secrets redacted from its content fields (itself when there were none)."""
    changes: dict[str, Any] = {}
    for key in CONTENT:
        value = getattr(record, key)
        if value is not None:
            cleaned = scrub_data(value, values)
            if cleaned != value:
                changes[key] = cleaned
    if record.tool_calls:  # arguments, results and error texts come from outside too
        calls = tuple(_scrub_call(call, values) for call in record.tool_calls)
        if any(a is not b for a, b in zip(calls, record.tool_calls, strict=True)):
            changes["tool_calls"] = calls
    return replace(record, **changes) if changes else record


def _scrub_call(call: ToolCall, values: Sequence[str]) -> ToolCall:
    """Return `call` with secrets redacted from its arguments, result and error (itself when none)."""
    found = {}
    for key in ("arguments", "result", "error_type"):
        value = getattr(call, key)
        if value is not None:
            cleaned = scrub_data(value, values)
            if cleaned != value:
                found[key] = cleaned
    return replace(call, **found) if found else call
