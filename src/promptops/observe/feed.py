"""The production records the flywheel and the budget read, behind one function (`read_calls`).

Until the trace store's query API lands this reads the store's JSON Lines segments
(`.promptops/traces/*.jsonl`, DESIGN §8.1) directly, de-duplicated by record id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.project import Project, read_bytes

TRACES_DIR = "traces"  # below .promptops/
MAX_SEGMENT_BYTES = 500_000_000


@dataclass(frozen=True)
class Score:
    name: str
    value: float
    source: str  # judge | user | code


@dataclass(frozen=True)
class Call:
    """One recorded LLM call, reduced to what the flywheel and the budget need."""

    id: str
    trace_id: str
    at: datetime
    prompt: str | None
    version: str | None
    environment: str | None
    purpose: str  # prod | shadow | judge | eval
    status: str  # ok | error
    cost_usd: float | None
    variables: Mapping[str, Any] | None
    output: str | None
    scores: tuple[Score, ...] = ()
    messages: tuple[Mapping[str, Any], ...] | None = None  # the rendered input messages, when recorded

    def score(self, name: str) -> float | None:
        """Return the latest value of the score `name`, or None."""
        found = [s.value for s in self.scores if s.name == name]
        return found[-1] if found else None

    @property
    def feedback(self) -> float | None:
        """Return the latest user score (1 thumbs up, 0 thumbs down), or None."""
        found = [s.value for s in self.scores if s.source == "user"]
        return found[-1] if found else None


def traces_dir(project: Project) -> Path:
    return project.state_dir / TRACES_DIR


def read_calls(project: Project) -> list[Call]:
    """Return every stored record once, oldest first."""
    seen: dict[str, Call] = {}
    folder = traces_dir(project)
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        label = project.relative(path)
        text = read_bytes(path, label, MAX_SEGMENT_BYTES).decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                call = _call(line, label, number)
                seen.setdefault(call.id, call)
    return sorted(seen.values(), key=lambda c: (c.at, c.id))


def parse_time(value: str) -> datetime:
    """Return an ISO 8601 timestamp (`Z` or an offset; naive means UTC) as an aware datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _call(line: str, label: str, number: int) -> Call:
    try:
        data = json.loads(line)
        prompt = data.get("prompt") or {}
        cost = data.get("cost_usd")
        return Call(
            id=str(data["id"]),
            trace_id=str(data.get("trace_id") or data["id"]),
            at=parse_time(str(data["ts_start"])),
            prompt=prompt.get("name"),
            version=prompt.get("version"),
            environment=prompt.get("environment"),
            purpose=str(data.get("purpose") or "prod"),
            status=str(data.get("status") or "ok"),
            # a cost the source marked unknown stays unknown, whatever number sits beside it
            cost_usd=None if cost is None or data.get("cost_source") == "unknown" else float(cost),
            variables=data.get("variables"),
            output=data.get("output"),
            messages=tuple(data["input_messages"]) if data.get("input_messages") else None,
            scores=tuple(
                Score(str(s["name"]), float(s["value"]), str(s.get("source") or "code"))
                for s in data.get("scores") or ()
                if s.get("value") is not None
            ),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        what = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise FileFormatError([Problem(label, number, "", f"not a trace record: {what}")]) from None
