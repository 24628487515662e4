"""Secrets out of trace records before they are stored: promptops.secrets applied to the content fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

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
    calls = tuple(
        replace(
            call,
            arguments=scrub_data(call.arguments, values),
            result=scrub_data(call.result, values),
            error_type=scrub_data(call.error_type, values),
        )
        for call in record.tool_calls
    )
    if calls != record.tool_calls:
        changes["tool_calls"] = calls
    return replace(record, **changes) if changes else record
