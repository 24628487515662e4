"""Reading trace files line by line (bounded memory): each line's records, or the problem with it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.observe.traces import litellm_payload, otlp
from promptops.observe.traces.agent import WorkflowRef
from promptops.observe.traces.record import RecordError, TraceRecord, from_data

FORMATS = ("auto", "promptops", "otlp", "litellm")
KEYS = frozenset(f.name for f in fields(TraceRecord))


@dataclass(frozen=True, kw_only=True)
class Line:
    """One line of a trace file: the records it holds, spans that are no LLM call, or its problem."""

    number: int
    records: list[TraceRecord]
    other_spans: int = 0
    problem: Problem | None = None
    runs: tuple[WorkflowRef, ...] = ()  # OTLP: the outcomes of the run spans in the line
    text: str | None = None  # the line itself when it is one record in the record format, with no other keys


def parse(data: Any, fmt: str) -> tuple[list[TraceRecord], int, list[WorkflowRef]]:
    """Return the records in one decoded line, how many spans were no LLM call, and the run outcomes."""
    if fmt == "otlp" or (fmt == "auto" and isinstance(data, dict) and "resourceSpans" in data):
        return otlp.parse(data)
    if fmt == "litellm" or (fmt == "auto" and litellm_payload.is_payload(data)):
        if litellm_payload.is_tool_call(data):  # an MCP tool call is no LLM call: skipped, counted
            return [], 1, []
        return [litellm_payload.record(data)], 0, []
    return [from_data(data)], -1, []  # -1: the line is in the record format


def lines(path: Path, label: str, fmt: str) -> Iterator[Line]:
    """Yield every non-blank line of `path` parsed as `fmt` (auto: detected per line)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise FileFormatError([Problem(file=label, line=None, path="", message="no such file")]) from None
    except OSError as exc:
        raise FileFormatError(
            [Problem(file=label, line=None, path="", message=f"cannot read: {exc.strerror}")]
        ) from None
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except UnicodeDecodeError:
                yield Line(
                    number=number,
                    records=[],
                    problem=Problem(file=label, line=number, path="", message="not UTF-8 text"),
                )
                continue
            except ValueError as exc:
                what = (
                    f"not JSON ({exc.msg} at column {exc.colno})"
                    if isinstance(exc, json.JSONDecodeError)
                    else "not JSON"
                )
                yield Line(
                    number=number, records=[], problem=Problem(file=label, line=number, path="", message=what)
                )
                continue
            try:
                found, other, runs = parse(data, fmt)
            except RecordError as exc:
                yield Line(
                    number=number,
                    records=[],
                    problem=Problem(file=label, line=number, path="", message=str(exc)),
                )
                continue
            if other == -1:
                plain = data.keys() <= KEYS
                yield Line(
                    number=number,
                    records=found,
                    other_spans=0,
                    problem=None,
                    text=raw.decode("utf-8").strip() if plain else None,
                )
            else:
                yield Line(number=number, records=found, other_spans=other, runs=tuple(runs))
