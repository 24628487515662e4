"""The trace record (DESIGN §8.1): one LLM call, its prompt version, model, usage, cost, outcome, scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from promptops.observe.traces.agent import (
    AgentDataError,
    ToolCall,
    WorkflowRef,
    tool_call_data,
    tool_calls_from_data,
    workflow_data,
    workflow_from_data,
)

ARMS = ("control", "canary", "shadow")
SOURCES = ("otlp", "litellm", "promptops")
COST_SOURCES = ("reported", "computed", "unknown")
STATUSES = ("ok", "error")
PURPOSES = ("prod", "shadow", "judge", "eval")
SCORE_SOURCES = ("judge", "user", "code")


class RecordError(ValueError):
    """A record that does not have the trace record's shape; the message names the key."""


@dataclass(frozen=True, slots=True)
class PromptRef:
    name: str | None = None
    version: str | None = None
    hash: str | None = None
    environment: str | None = None
    arm: str | None = None
    pair_id: str | None = None


@dataclass(frozen=True, slots=True)
class ModelRef:
    requested: str | None = None
    served: str | None = None
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    input: int | None = None
    output: int | None = None
    cache_read: int | None = None


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    value: float | None
    source: str = "code"
    evaluator: str | None = None
    at: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class TraceRecord:
    id: str
    ts_start: str
    source: str
    trace_id: str | None = None
    response_id: str | None = None
    ts_end: str | None = None
    prompt: PromptRef = field(default_factory=PromptRef)
    model: ModelRef = field(default_factory=ModelRef)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = None
    cost_source: str = "unknown"
    latency_ms: float | None = None
    ttft_ms: float | None = None
    status: str = "ok"
    error_type: str | None = None
    finish_reason: str | None = None
    purpose: str = "prod"
    variables: dict[str, Any] | None = None
    input_messages: list[Any] | None = None
    output: str | None = None
    scores: tuple[Score, ...] = ()
    user_key_hash: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tools_hash: str | None = None
    workflow: WorkflowRef | None = None

    @property
    def ts_ms(self) -> int:
        """Return the start as milliseconds since the epoch."""
        return parse_ms(self.ts_start)


def iso(ms: float) -> str:
    """Return milliseconds since the epoch as `2026-12-01T10:00:00.123Z`."""
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_ms(text: str) -> int:
    """Return an ISO 8601 time (Z or an offset) as milliseconds since the epoch; RecordError otherwise."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise RecordError(f"'{text}' is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def to_data(record: TraceRecord) -> dict[str, Any]:
    """Return the record as the plain JSON object of the record format (content fields only when set)."""
    p, m, u = record.prompt, record.model, record.usage
    out: dict[str, Any] = {
        "id": record.id,
        "trace_id": record.trace_id,
        "response_id": record.response_id,
        "ts_start": record.ts_start,
        "ts_end": record.ts_end,
        "source": record.source,
        "prompt": {
            "name": p.name,
            "version": p.version,
            "hash": p.hash,
            "environment": p.environment,
            "arm": p.arm,
            "pair_id": p.pair_id,
        },
        "model": {"requested": m.requested, "served": m.served, "provider": m.provider},
        "usage": {"input": u.input, "output": u.output, "cache_read": u.cache_read},
        "cost_usd": record.cost_usd,
        "cost_source": record.cost_source,
        "latency_ms": record.latency_ms,
        "ttft_ms": record.ttft_ms,
        "status": record.status,
        "error_type": record.error_type,
        "finish_reason": record.finish_reason,
        "purpose": record.purpose,
        "scores": [_score_data(s) for s in record.scores],
        "user_key_hash": record.user_key_hash,
    }
    for key in ("variables", "input_messages", "output"):
        value = getattr(record, key)
        if value is not None:
            out[key] = value
    if record.tool_calls:
        out["tool_calls"] = [tool_call_data(c) for c in record.tool_calls]
    if record.tools_hash is not None:
        out["tools_hash"] = record.tools_hash
    if record.workflow is not None:
        out["workflow"] = workflow_data(record.workflow)
    return out


def _score_data(score: Score) -> dict[str, Any]:
    out = {
        "name": score.name,
        "value": score.value,
        "source": score.source,
        "evaluator": score.evaluator,
        "at": score.at,
    }
    if score.label is not None:
        out["label"] = score.label
    return out


def from_data(data: Any) -> TraceRecord:
    """Return the TraceRecord in a decoded JSON object; RecordError naming the first bad key."""
    # an import reads a million of these: one pass per group of keys rather than a call per key
    if not isinstance(data, dict):
        raise RecordError("a trace record must be a JSON object")
    prompt, model, usage = _object(data, "prompt"), _object(data, "model"), _object(data, "usage")
    scores = data.get("scores") or []
    if not isinstance(scores, list):
        raise RecordError("scores: expected a list")
    record_id, ts_start = _required(data, "id"), _required(data, "ts_start")
    try:
        parse_ms(ts_start)
    except RecordError as exc:
        raise RecordError(f"ts_start: {exc}") from None
    trace_id, response_id, ts_end, error_type, finish, output, user = _texts(data, _TOP_TEXT, "")
    name, version, digest, environment, pair = _texts(prompt, _PROMPT_TEXT, "prompt.")
    cost, latency, ttft = _numbers(data, _NUMBERS)
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RecordError("variables: expected an object")
    try:
        tool_calls = tool_calls_from_data(data.get("tool_calls"))
        workflow = workflow_from_data(data.get("workflow"))
    except AgentDataError as exc:
        raise RecordError(str(exc)) from None
    tools_hash = data.get("tools_hash")
    if tools_hash is not None and type(tools_hash) is not str:
        raise RecordError("tools_hash: expected a string")
    return TraceRecord(
        id=record_id,
        ts_start=ts_start,
        source=_choice(data, "source", SOURCES, "promptops"),
        trace_id=trace_id,
        response_id=response_id,
        ts_end=ts_end,
        prompt=PromptRef(
            name, version, digest, environment, _choice(prompt, "arm", ARMS, None, "prompt."), pair
        ),
        model=ModelRef(*_texts(model, _MODEL_TEXT, "model.")),
        usage=Usage(_count(usage, "input"), _count(usage, "output"), _count(usage, "cache_read")),
        cost_usd=cost,
        cost_source=_choice(data, "cost_source", COST_SOURCES, "unknown"),
        latency_ms=latency,
        ttft_ms=ttft,
        status=_choice(data, "status", STATUSES, "ok"),
        error_type=error_type,
        finish_reason=finish,
        purpose=_choice(data, "purpose", PURPOSES, "prod"),
        variables=variables,
        input_messages=_list(data, "input_messages"),
        output=output,
        scores=tuple(score_from_data(s, f"scores[{i}]") for i, s in enumerate(scores)),
        user_key_hash=user,
        tool_calls=tool_calls,
        tools_hash=tools_hash,
        workflow=workflow,
    )


_TOP_TEXT = ("trace_id", "response_id", "ts_end", "error_type", "finish_reason", "output", "user_key_hash")
_PROMPT_TEXT = ("name", "version", "hash", "environment", "pair_id")
_MODEL_TEXT = ("requested", "served", "provider")
_NUMBERS = ("cost_usd", "latency_ms", "ttft_ms")


def _texts(data: dict[str, Any], keys: tuple[str, ...], at: str) -> list[Any]:
    values = [data.get(k) for k in keys]
    for key, value in zip(keys, values, strict=True):
        if value is not None and type(value) is not str:
            raise RecordError(f"{at}{key}: expected a string")
    return values


def _numbers(data: dict[str, Any], keys: tuple[str, ...]) -> list[float | None]:
    out: list[float | None] = []
    for key in keys:
        value = data.get(key)
        if value is not None:
            if type(value) is not float and (isinstance(value, bool) or not isinstance(value, int)):
                raise RecordError(f"{key}: expected a number")
            value = float(value)
        out.append(value)
    return out


def score_from_data(data: Any, where: str) -> Score:
    """Return the Score in a decoded JSON object (`where` names it in errors)."""
    if not isinstance(data, dict):
        raise RecordError(f"{where}: expected an object")
    return Score(
        _required(data, "name", f"{where}."),
        _number(data, "value", f"{where}."),
        _choice(data, "source", SCORE_SOURCES, "code", f"{where}."),
        _text(data, "evaluator", f"{where}."),
        _text(data, "at", f"{where}."),
        _text(data, "label", f"{where}."),
    )


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"{key}: expected an object")
    return value


def _list(data: dict[str, Any], key: str) -> list[Any] | None:
    value = data.get(key)
    if value is not None and not isinstance(value, list):
        raise RecordError(f"{key}: expected a list")
    return value


def _text(data: dict[str, Any], key: str, at: str = "", required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise RecordError(f"{at}{key}: required")
        return None
    if not isinstance(value, str):
        raise RecordError(f"{at}{key}: expected a string")
    return value


def _required(data: dict[str, Any], key: str, at: str = "") -> str:
    value = _text(data, key, at)
    if not value:
        raise RecordError(f"{at}{key}: required")
    return value


def _number(data: dict[str, Any], key: str, at: str = "") -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"{at}{key}: expected a number")
    return float(value)


def _count(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecordError(f"usage.{key}: expected a whole number of tokens")
    return value


def _choice(
    data: dict[str, Any], key: str, allowed: tuple[str, ...], default: str | None, at: str = ""
) -> Any:
    value = data.get(key)
    if value is None:
        return default
    if value not in allowed:
        raise RecordError(f"{at}{key}: '{value}' is not one of {', '.join(allowed)}")
    return value
