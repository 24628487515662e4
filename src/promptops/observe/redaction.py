"""Secrets out of trace records before they are stored: promptops.secrets applied to the content fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from promptops.observe.record import TraceRecord
from promptops.secrets import redact, suspect

__all__ = ["CONTENT", "redact_record"]

CONTENT = ("variables", "input_messages", "output", "error_type")  # the fields holding text from outside


def redact_record(record: TraceRecord, values: Sequence[str]) -> TraceRecord:
    """Return `record` with secrets redacted from its content fields (itself when there were none)."""
    changes = {}
    for key in CONTENT:
        value = getattr(record, key)
        if value is not None:
            cleaned = _deep(value, values)
            if cleaned != value:
                changes[key] = cleaned
    return replace(record, **changes) if changes else record


def _deep(value: Any, values: Sequence[str]) -> Any:
    if isinstance(value, str):
        return redact(value, values) if suspect(value, values) else value
    if isinstance(value, dict):
        return {k: _deep(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v, values) for v in value]
    return value
