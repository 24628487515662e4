"""What a trace record says about the agent around its call (DESIGN §9.4): tool calls and the workflow run.

`tool_calls` are the calls the model asked for (`[{name, arguments?}]`, arguments only when content is
captured); an importer that also saw the tool run (an OTel `execute_tool` span, litellm's MCP metadata)
adds its call id, outcome, latency and (content) result. `workflow` names the run the call belongs to:
`{id, name, step}`, plus the run's own outcome when the importer saw the run span.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RUN_STATUSES = ("ok", "error")
TIMEOUT = "timeout"
WORKFLOW_ID = "promptops.workflow.id"  # the SDK's attribution of a call to its run (span and metadata)
WORKFLOW_NAME = "promptops.workflow.name"
WORKFLOW_STEP = "promptops.workflow.step"
TOOLS_HASH = "promptops.prompt.tools_hash"


class AgentDataError(ValueError):
    """A `tool_calls` or `workflow` value without the record format's shape; the message names the key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """One tool call the model asked for, and how it ran when that was recorded."""

    name: str
    arguments: dict[str, Any] | None = None
    id: str | None = None
    status: str | None = None  # ok | error: known when the execution was recorded
    error_type: str | None = None
    latency_ms: float | None = None
    result: Any = None  # the tool's answer (content: kept only when content is captured)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowRef:
    """The workflow run a call belongs to; `status`/`error_type` are the run span's, when it was seen."""

    id: str
    name: str | None = None
    step: int | None = None
    status: str | None = None
    error_type: str | None = None


def tool_call_data(call: ToolCall) -> dict[str, Any]:
    """Return a tool call as its JSON object (only the keys that are set, name always)."""
    out: dict[str, Any] = {"name": call.name}
    for key in ("arguments", "id", "status", "error_type", "latency_ms", "result"):
        value = getattr(call, key)
        if value is not None:
            out[key] = value
    return out


def workflow_data(ref: WorkflowRef) -> dict[str, Any]:
    """Return a workflow block as its JSON object (`id`, `name`, `step`; the run outcome when known)."""
    out: dict[str, Any] = {"id": ref.id, "name": ref.name, "step": ref.step}
    if ref.status is not None:
        out["status"] = ref.status
        out["error_type"] = ref.error_type
    return out


def tool_calls_from_data(value: Any) -> tuple[ToolCall, ...]:
    """Return the tool calls of a record's `tool_calls` value; AgentDataError naming the bad key."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise AgentDataError("tool_calls: expected a list")
    return tuple(_tool_call(item, i) for i, item in enumerate(value))


def _tool_call(item: Any, i: int) -> ToolCall:
    # an import reads a million of these: checks first, the key path only in a message
    if type(item) is not dict:
        raise AgentDataError(f"tool_calls[{i}]: expected an object")
    get = item.get
    name, arguments, status, latency = get("name"), get("arguments"), get("status"), get("latency_ms")
    call_id, error_type = get("id"), get("error_type")
    if type(name) is not str or not name:
        raise AgentDataError(f"tool_calls[{i}].name: required")
    if arguments is not None and type(arguments) is not dict:
        raise AgentDataError(f"tool_calls[{i}].arguments: expected an object")
    if status is not None and status not in RUN_STATUSES:
        raise AgentDataError(f"tool_calls[{i}].status: '{status}' is not one of ok, error")
    if latency is not None and type(latency) is not float and type(latency) is not int:
        raise AgentDataError(f"tool_calls[{i}].latency_ms: expected a number")
    for key, text in (("id", call_id), ("error_type", error_type)):
        if text is not None and type(text) is not str:
            raise AgentDataError(f"tool_calls[{i}].{key}: expected a string")
    return ToolCall(
        name=name,
        arguments=arguments,
        id=call_id or None,
        status=status,
        error_type=error_type or None,
        latency_ms=float(latency) if latency is not None else None,
        result=get("result"),
    )


def workflow_from_data(value: Any) -> WorkflowRef | None:
    """Return the workflow block of a record; AgentDataError naming the bad key."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AgentDataError("workflow: expected an object")
    run_id = value.get("id")
    if not isinstance(run_id, str) or not run_id:
        raise AgentDataError("workflow.id: required")
    step = value.get("step")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 0):
        raise AgentDataError("workflow.step: expected a whole number")
    status = value.get("status")
    if status is not None and status not in RUN_STATUSES:
        raise AgentDataError(f"workflow.status: '{status}' is not one of ok, error")
    return WorkflowRef(
        id=run_id,
        name=_text(value, "name", "workflow"),
        step=step,
        status=status,
        error_type=_text(value, "error_type", "workflow"),
    )


def _text(data: dict[str, Any], key: str, at: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise AgentDataError(f"{at}.{key}: expected a string")
    return value or None


def is_timeout(error_type: str | None) -> bool:
    """Return whether an error type names a timeout (`timeout`, `TimeoutError`, `litellm.Timeout`...)."""
    return error_type is not None and TIMEOUT in error_type.lower()


def workflow_from_keys(found: dict[str, Any]) -> WorkflowRef | None:
    """Return the run named by `promptops.workflow.id|name|step` keys (span attributes, litellm metadata)."""
    run_id = found.get(WORKFLOW_ID)
    if not isinstance(run_id, str) or not run_id:
        return None
    step = found.get(WORKFLOW_STEP)
    try:
        number = int(step) if step is not None else None
    except (TypeError, ValueError):
        number = None
    name = found.get(WORKFLOW_NAME)
    return WorkflowRef(id=run_id, name=str(name) if name else None, step=number)


def openai_tool_calls(value: Any, content: bool = True) -> tuple[ToolCall, ...]:
    """Return the tool calls of an OpenAI-style message's `tool_calls` (function name, JSON arguments)."""
    import json

    out = []
    for item in value if isinstance(value, list) else []:
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            continue
        arguments: Any = function.get("arguments")
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except ValueError:
                arguments = {"_raw": arguments}  # a malformed call is kept as such, never dropped
        call_id = item.get("id")
        out.append(
            ToolCall(
                name=function["name"],
                arguments=arguments if content and isinstance(arguments, dict) else None,
                id=call_id if isinstance(call_id, str) and call_id else None,
            )
        )
    return tuple(out)
