"""A tool call as a model returns it (`ToolCall`), and reading the calls out of an answer's message.

Both provider paths read calls with `read_tool_calls`; results, scorers and reports use `ToolCall`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """One tool call a model asked for. `arguments` is the parsed JSON; when the model sent arguments
    that are not a JSON object, it is the raw text and `arguments_error` says what is wrong."""

    id: str
    name: str
    arguments: Any
    arguments_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the call as results files record it: `{id, name, arguments[, arguments_error]}`."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "arguments": self.arguments}
        if self.arguments_error is not None:
            out["arguments_error"] = self.arguments_error
        return out

    def openai(self) -> dict[str, Any]:
        """Return the call in the OpenAI message shape (an assistant message's `tool_calls` item)."""
        raw = self.arguments if self.arguments_error is not None else json.dumps(self.arguments)
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": raw}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolCall:
        """Return the call `as_dict` wrote."""
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            arguments=data.get("arguments"),
            arguments_error=data.get("arguments_error"),
        )


def read_tool_calls(raw: Any) -> tuple[ToolCall, ...]:
    """Return the tool calls of an answer's message (`message.tool_calls`, OpenAI shape: a list of
    `{id, type, function: {name, arguments}}`, plain data or objects with those attributes).

    Never raises for what a model wrote: arguments that are not JSON, or not a JSON object, are kept
    as text with `arguments_error`; a call without a name keeps the name "" (the scorers judge it).
    """
    if not raw:
        return ()
    calls: list[ToolCall] = []
    for index, item in enumerate(raw if isinstance(raw, list | tuple) else ()):
        function = _get(item, "function")
        name = _get(function, "name")
        arguments = _get(function, "arguments")
        call_id = _get(item, "id")
        parsed, error = _arguments(arguments)
        calls.append(
            ToolCall(
                id=call_id if isinstance(call_id, str) and call_id else f"call_{index}",
                name=name if isinstance(name, str) else "",
                arguments=parsed,
                arguments_error=error,
            )
        )
    return tuple(calls)


def _get(item: Any, key: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(key)
    return getattr(item, key, None)


def _arguments(raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, Mapping):
        return dict(raw), None
    if raw is None or raw == "":
        return {}, None  # a call with no parameters: some providers send nothing
    if not isinstance(raw, str):
        return str(raw), "arguments are not a JSON object"
    try:
        value = json.loads(raw)
    except ValueError as exc:
        return raw, f"arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return raw, "arguments are not a JSON object"
    return value, None
