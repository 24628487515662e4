"""Agents: the run and tool attribution of DESIGN §9.4 (`workflow_span`, `tool_span`); OpenTelemetry is
optional: without it the spans are no-ops and only the litellm metadata carries the run."""

from __future__ import annotations

import contextlib
import contextvars
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from promptops.sdk.values import json_safe


class WorkflowRun:
    """The workflow run `workflow_span` opened: its id (the span id when OpenTelemetry records it)."""

    def __init__(self, run_id: str, name: str) -> None:
        self.id = run_id
        self.name = name
        self.steps = 0
        self._lock = threading.Lock()

    def keys(self, advance: bool) -> dict[str, Any]:
        """Return the run's attribution keys: `advance` for one more model call (its step, from 1), else
        the step of the latest such call, if any."""
        found: dict[str, Any] = {"promptops.workflow.id": self.id, "promptops.workflow.name": self.name}
        with self._lock:
            if advance:
                self.steps += 1
            if self.steps:
                found["promptops.workflow.step"] = self.steps
        return found


class ToolRun:
    """The tool execution `tool_span` opened: `result(value)` records the tool's answer on the span."""

    def __init__(self, span: Any) -> None:
        self._span = span

    def result(self, value: Any) -> None:
        """Record the tool's answer (`gen_ai.tool.call.result`, JSON) for replay cassettes."""
        if self._span is not None:
            self._span.set_attribute(
                "gen_ai.tool.call.result", json.dumps(json_safe(value), ensure_ascii=False)
            )


CURRENT_RUN: contextvars.ContextVar[WorkflowRun | None] = contextvars.ContextVar(
    "promptops_run", default=None
)


def _tracer() -> Any:
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer("promptops.sdk")


@contextlib.contextmanager
def _span(name: str, attributes: dict[str, Any]) -> Iterator[Any]:
    tracer = _tracer()
    if tracer is None:
        yield None
        return
    from opentelemetry.trace import Status, StatusCode

    with tracer.start_as_current_span(name, attributes=attributes, record_exception=True) as span:
        try:
            yield span
        except BaseException as exc:
            kind = "timeout" if isinstance(exc, TimeoutError) else type(exc).__qualname__
            span.set_attribute("error.type", kind)
            span.set_status(Status(StatusCode.ERROR, kind))
            raise


@contextlib.contextmanager
def workflow_span(name: str) -> Iterator[WorkflowRun]:
    """Open a workflow run: an `invoke_workflow` span named `name` (with OpenTelemetry installed), and the
    run's id and step on the litellm metadata and span attributes of every prompt call made inside it.

    An exception leaving the block marks the run failed (`error.type`; a TimeoutError: `timeout`).
    """
    attributes = {
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.agent.name": name,
        "gen_ai.workflow.name": name,
    }
    with _span(f"invoke_workflow {name}", attributes) as span:
        context = span.get_span_context() if span is not None else None
        run_id = (
            f"{context.span_id:016x}" if context is not None and context.span_id else uuid.uuid4().hex[:16]
        )
        token = CURRENT_RUN.set(WorkflowRun(run_id, name))
        try:
            yield CURRENT_RUN.get() or WorkflowRun(run_id, name)
        finally:
            CURRENT_RUN.reset(token)


@contextlib.contextmanager
def tool_span(name: str, call_id: str | None = None, arguments: Any = None) -> Iterator[ToolRun]:
    """Open a tool execution: an `execute_tool` span (`gen_ai.tool.name`, `gen_ai.tool.call.id`), a no-op
    without OpenTelemetry. An exception leaving the block records `error.type` on it."""
    attributes: dict[str, Any] = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
    if call_id:
        attributes["gen_ai.tool.call.id"] = call_id
    if arguments is not None:
        attributes["gen_ai.tool.call.arguments"] = json.dumps(json_safe(arguments), ensure_ascii=False)
    with _span(f"execute_tool {name}", attributes) as span:
        yield ToolRun(span)
