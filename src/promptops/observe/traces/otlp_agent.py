"""The agent spans of one OTLP export joined onto its chat-call records (DESIGN §9.4).

`invoke_agent` / `invoke_workflow` spans are runs: each chat span below one (through its parents in the
same export) gets `workflow: {id, name, step}` with the run's outcome. `execute_tool` spans are tool
executions: each is joined to the tool call with the same `gen_ai.tool.call.id`, else to the run's
latest chat call started before it. The SDK's `workflow_span` also writes `promptops.workflow.*` on the
calls made inside it, which wins: such a call keeps its run even when the run span is exported apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from promptops.observe.traces.agent import WORKFLOW_ID, ToolCall, WorkflowRef, workflow_from_keys
from promptops.observe.traces.record import TraceRecord

RUN_OPERATIONS = ("invoke_agent", "invoke_workflow")
MAX_DEPTH = 64


@dataclass(frozen=True, kw_only=True)
class AgentSpan:
    """An `invoke_agent`, `invoke_workflow` or `execute_tool` span, reduced to what the join needs."""

    operation: str
    span_id: str
    parent_id: str | None
    trace_id: str | None
    start_ns: int
    latency_ms: float | None
    failed: bool
    error_type: str | None
    attrs: dict[str, Any]

    @property
    def name(self) -> str | None:
        keys = ("gen_ai.tool.name",) if self.operation == "execute_tool" else _RUN_NAMES
        for key in keys:
            value = self.attrs.get(key)
            if isinstance(value, str) and value:
                return value
        return None


_RUN_NAMES = ("gen_ai.agent.name", "gen_ai.workflow.name")


def workflow_of(attrs: dict[str, Any]) -> WorkflowRef | None:
    """Return the run named on a chat span by the SDK (`promptops.workflow.*`, also in litellm's nested
    metadata), None when it names none."""
    found = dict(attrs)
    nested = attrs.get("metadata.requester_metadata")
    if isinstance(nested, dict):
        found.update(nested)
    elif isinstance(nested, str) and WORKFLOW_ID in nested:
        import ast

        try:
            value = ast.literal_eval(nested)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = None
        if isinstance(value, dict):
            found.update(value)
    return workflow_from_keys(found)


def outcomes(spans: Sequence[AgentSpan]) -> list[WorkflowRef]:
    """Return the outcome of every run span in an export, for the store's run index: a run's calls may
    come in other exports (or files) than its run span."""
    return [
        WorkflowRef(
            id=s.span_id,
            name=s.name,
            status="error" if s.failed else "ok",
            error_type=s.error_type,
        )
        for s in spans
        if s.operation in RUN_OPERATIONS
    ]


def join(
    calls: Sequence[tuple[TraceRecord, str | None, int]], spans: Sequence[AgentSpan]
) -> tuple[list[TraceRecord], int]:
    """Return the chat records (with their parent span id and start in ns) joined to their run and tool
    executions, and how many tool spans found no call."""
    starts = {record.id: start for record, _, start in calls}
    if not spans:
        return [record for record, _, _ in calls], 0
    parent = {record.id: up for record, up, _ in calls}
    parent.update({s.span_id: s.parent_id for s in spans})
    runs = {s.span_id: s for s in spans if s.operation in RUN_OPERATIONS}
    records = {record.id: _with_run(record, _run_of(record.id, parent, runs)) for record, _, _ in calls}
    unjoined = 0
    for tool in sorted((s for s in spans if s.operation == "execute_tool"), key=lambda s: s.start_ns):
        target = _call_of(tool, records, starts, _run_of(tool.span_id, parent, runs))
        if target is None:
            unjoined += 1
        else:
            records[target.id] = _with_tool(target, tool)
    return _numbered(list(records.values()), starts, set(runs)), unjoined


def _run_of(span_id: str, parent: dict[str, str | None], runs: dict[str, AgentSpan]) -> AgentSpan | None:
    current = parent.get(span_id)
    for _ in range(MAX_DEPTH):
        if current is None:
            return None
        if current in runs:
            return runs[current]
        current = parent.get(current)
    return None


def _with_run(record: TraceRecord, run: AgentSpan | None) -> TraceRecord:
    if run is None:
        return record
    known = record.workflow
    if known is not None and known.id != run.span_id:
        return record  # the SDK named another run: its id wins (the run span may come in another export)
    status = "error" if run.failed else "ok"
    return replace(
        record,
        workflow=WorkflowRef(
            id=run.span_id,
            name=(known.name if known else None) or run.name,
            step=known.step if known else None,
            status=status,
            error_type=run.error_type,
        ),
    )


def _call_of(
    tool: AgentSpan, records: dict[str, TraceRecord], starts: dict[str, int], run: AgentSpan | None
) -> TraceRecord | None:
    call_id = tool.attrs.get("gen_ai.tool.call.id")
    if isinstance(call_id, str) and call_id:
        for record in records.values():
            if any(c.id == call_id for c in record.tool_calls):
                return record
    start_ms = tool.start_ns / 1e6
    best: TraceRecord | None = None
    for record in records.values():
        same = (record.workflow is not None and run is not None and record.workflow.id == run.span_id) or (
            run is None and record.trace_id == tool.trace_id
        )
        if same and record.ts_ms <= start_ms and (best is None or record.ts_ms >= best.ts_ms):
            best = record
    return best


def _with_tool(record: TraceRecord, tool: AgentSpan) -> TraceRecord:
    call_id = tool.attrs.get("gen_ai.tool.call.id")
    call_id = call_id if isinstance(call_id, str) and call_id else None
    ran = {
        "status": "error" if tool.failed else "ok",
        "error_type": tool.error_type,
        "latency_ms": tool.latency_ms,
        "result": _json(tool.attrs.get("gen_ai.tool.call.result")),
    }
    calls = list(record.tool_calls)
    for i, call in enumerate(calls):
        if call_id is not None and call.id == call_id:
            calls[i] = replace(call, **ran)
            break
    else:
        arguments = _json(tool.attrs.get("gen_ai.tool.call.arguments"))
        calls.append(
            ToolCall(
                name=tool.name or "unknown",
                id=call_id,
                arguments=arguments if isinstance(arguments, dict) else None,
                **ran,
            )
        )
    return replace(record, tool_calls=tuple(calls))


def _numbered(records: list[TraceRecord], starts: dict[str, int], whole: set[str]) -> list[TraceRecord]:
    """Number by start time (1, 2, ...) the calls without a step of each run whose run span is in this
    export. A run span ends after its calls, so they are in this export or an earlier one: with a batching
    exporter that splits a run, the numbers count from the first call in this export."""
    runs: dict[str, list[TraceRecord]] = {}
    for record in records:
        if record.workflow is not None and record.workflow.step is None and record.workflow.id in whole:
            runs.setdefault(record.workflow.id, []).append(record)
    if not runs:
        return records
    steps = {}
    for members in runs.values():
        for number, record in enumerate(sorted(members, key=lambda r: (starts[r.id], r.id)), 1):
            steps[record.id] = number
    return [
        replace(r, workflow=replace(r.workflow, step=steps[r.id]))
        if r.workflow is not None and r.id in steps
        else r
        for r in records
    ]


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
