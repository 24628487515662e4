"""The production records the flywheel and the budget read, reduced to what they need (`read_calls`).

They come from the trace store (`.promptops/traces/`, observe.store) through its query API, attributed
to their version or not: spend counts either way, and the flywheel checks variables against the prompt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from promptops.observe.traces.agent import ToolCall, WorkflowRef
from promptops.observe.traces.record import Score, TraceRecord, parse_ms
from promptops.observe.traces.store import Query, TraceStore, location
from promptops.project import Project


@dataclass(frozen=True, kw_only=True)
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
    run: WorkflowRef | None = None  # the workflow run the call belongs to (DESIGN §9.4)
    tool_calls: tuple[ToolCall, ...] = ()
    error_type: str | None = None

    def score(self, name: str) -> float | None:
        """Return the latest value of the score `name`, or None."""
        found = [s.value for s in self.scores if s.name == name]
        return found[-1] if found else None

    @property
    def feedback(self) -> float | None:
        """Return the latest user score (1 thumbs up, 0 thumbs down), or None."""
        found = [s.value for s in self.scores if s.source == "user"]
        return found[-1] if found else None


def read_calls(
    project: Project,
    prompt: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    source: str | None = None,
) -> list[Call]:
    """Return the stored records (of `prompt`, from `since` to before `until`), oldest first; with `source`,
    the records of that window where it lives (`--from`, observe.traces.source) instead of the store's."""
    if source is not None:
        from promptops.observe.traces.source import records_between

        return [_call(r) for r in records_between(source, prompt, _ms(since), _ms(until))]
    folder = location(project)
    if not (folder / "index.sqlite").is_file():
        return []  # no store yet: nothing recorded (and nothing created by a read)
    window = Query(prompt=prompt, since_ms=_ms(since), until_ms=_ms(until), attributed=None)
    with TraceStore.open(folder) as store:
        return [_call(record) for record in store.records(window)]


def _ms(at: datetime | None) -> int | None:
    return None if at is None else int(at.timestamp() * 1000)


def _call(record: TraceRecord) -> Call:
    known = record.cost_usd is not None and record.cost_source != "unknown"
    return Call(
        id=record.id,
        trace_id=record.trace_id or record.id,
        at=datetime.fromtimestamp(parse_ms(record.ts_start) / 1000, UTC),
        prompt=record.prompt.name,
        version=record.prompt.version,
        environment=record.prompt.environment,
        purpose=record.purpose,
        status=record.status,
        # a cost the source marked unknown stays unknown, whatever number sits beside it
        cost_usd=record.cost_usd if known else None,
        variables=record.variables,
        output=record.output,
        scores=tuple(
            Score(name=s.name, value=s.value, source=s.source) for s in record.scores if s.value is not None
        ),
        messages=tuple(record.input_messages) if record.input_messages else None,
        run=record.workflow,
        tool_calls=record.tool_calls,
        error_type=record.error_type,
    )
