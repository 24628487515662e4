"""Secrets out of trace records before they are stored: promptops.secrets applied to the content fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from promptops.observe.traces.record import TraceRecord
from promptops.secrets import scrub_data

__all__ = ["CONTENT", "scrub_record"]

CONTENT = ("variables", "input_messages", "output", "error_type")  # the fields holding text from outside


def scrub_record(record: TraceRecord, values: Sequence[str]) -> TraceRecord:
    """Return `record` with secrets redacted from its content fields (itself when there were none)."""
    changes = {}
    for key in CONTENT:
        value = getattr(record, key)
        if value is not None:
            cleaned = scrub_data(value, values)
            if cleaned != value:
                changes[key] = cleaned
    return replace(record, **changes) if changes else record
