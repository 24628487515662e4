"""A prompt as data: PromptSpec and its messages, the vocabulary most modules share."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Part:
    """One part of a multi-part user message: text, or an image by URL or by project file path."""

    type: str  # text | image
    text: str | None = None
    url: str | None = None
    path: str | None = None
    detail: str | None = None
    line: int | None = None

    def as_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for key in ("text", "url", "path", "detail"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True, kw_only=True)
class FewShotCall:
    """A tool call written in a few-shot assistant message; `arguments` strings are templates."""

    id: str
    name: str
    arguments: Mapping[str, Any]
    line: int | None = None

    def as_data(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": _plain(self.arguments)}


@dataclass(frozen=True, kw_only=True)
class Message:
    """A prompt message: text, multi-part content, a few-shot assistant tool call or tool result, or a
    `{history: VAR}` placeholder filled at render from a list of messages (then `role` is "history")."""

    role: str
    content: str
    line: int | None = None  # line of `content` in the source file, for template errors
    parts: tuple[Part, ...] = ()  # multi-part content (then `content` is "")
    tool_calls: tuple[FewShotCall, ...] = ()
    tool_call_id: str | None = None
    history: str | None = None  # the variable a placeholder reads

    @property
    def plain(self) -> bool:
        """Return whether this is a plain `{role, content}` message (the only form before tools)."""
        return not (
            self.parts or self.tool_calls or self.tool_call_id is not None or self.history is not None
        )

    def templates(self) -> list[tuple[str, str, int | None]]:
        """Return every template string of the message: (key path below the message, text, line)."""
        if self.history is not None:
            return []
        out: list[tuple[str, str, int | None]] = []
        if self.parts:
            for i, part in enumerate(self.parts):
                for key in ("text", "url"):
                    value = getattr(part, key)
                    if isinstance(value, str):
                        out.append((f"content[{i}].{key}", value, part.line))
        else:
            out.append(("content", self.content, self.line))
        for i, call in enumerate(self.tool_calls):
            for key, value in _strings(call.arguments, f"tool_calls[{i}].arguments"):
                out.append((key, value, call.line))
        return out

    def text(self) -> str:
        """Return the message as text (diffs, previews): its content, or its parts, calls and result."""
        if self.history is not None:
            return f"{{history: {self.history}}}"
        pieces = [self.content] if self.content else []
        for part in self.parts:
            pieces.append(
                part.text
                if part.type == "text" and part.text is not None
                else f"[image {part.url or part.path}]"
            )
        for call in self.tool_calls:
            pieces.append(
                f"[tool call {call.id}] {call.name}({json.dumps(_plain(call.arguments), sort_keys=True)})"
            )
        if self.tool_call_id is not None:
            pieces.insert(0, f"[tool result {self.tool_call_id}]")
        return "\n".join(pieces)

    def as_data(self) -> dict[str, Any]:
        """Return the message as the file holds it (a plain message: exactly `{role, content}`)."""
        if self.history is not None:
            return {"history": self.history}
        out: dict[str, Any] = {"role": self.role}
        if self.parts:
            out["content"] = [p.as_data() for p in self.parts]
        elif self.content or not self.tool_calls:
            out["content"] = self.content
        if self.tool_calls:
            out["tool_calls"] = [c.as_data() for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out


@dataclass(frozen=True, kw_only=True)
class Tool:
    """A function the model may call: OpenAI/OTel-neutral, resolved (a `use:` tool holds its file's
    definition; `use` names the shared file for display)."""

    name: str
    parameters: Mapping[str, Any]
    description: str | None = None
    strict: bool | None = None
    use: str | None = field(default=None, compare=False)

    def as_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            out["description"] = self.description
        out["parameters"] = _plain(self.parameters)
        if self.strict is not None:
            out["strict"] = self.strict
        return out

    def openai(self) -> dict[str, Any]:
        """Return the tool in the OpenAI chat shape litellm takes."""
        return {"type": "function", "function": self.as_data()}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _strings(value: Any, at: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(at, value)]
    if isinstance(value, Mapping):
        return [x for k, v in value.items() for x in _strings(v, f"{at}.{k}")]
    if isinstance(value, list | tuple):
        return [x for i, v in enumerate(value) for x in _strings(v, f"{at}[{i}]")]
    return []


@dataclass(frozen=True, kw_only=True)
class PromptSpec:
    name: str
    version: str
    model: str
    messages: tuple[Message, ...]
    description: str | None = None
    owner: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    fallbacks: tuple[str, ...] = ()
    inputs: Mapping[str, Any] | None = None
    output: Mapping[str, Any] = field(default_factory=lambda: {"format": "text"})
    examples: tuple[Mapping[str, Any], ...] = ()
    tags: tuple[str, ...] = ()
    tools: tuple[Tool, ...] = ()
    tool_choice: str | Mapping[str, Any] | None = None  # auto | none | required | {name: TOOL}
    config: Mapping[str, Any] | None = None
    config_schema: Mapping[str, Any] | None = None
    source: str = ""  # file the spec was read from (path or `ref:path`)
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def content(self) -> dict[str, Any]:
        """Return the file content as plain data (what the content hash covers)."""
        data: dict[str, Any] = {"name": self.name, "version": self.version, "model": self.model}
        if self.description is not None:
            data["description"] = self.description
        if self.owner is not None:
            data["owner"] = self.owner
        if self.params:
            data["params"] = dict(self.params)
        if self.fallbacks:
            data["fallbacks"] = list(self.fallbacks)
        if self.inputs is not None:
            data["inputs"] = self.inputs
        data["output"] = dict(self.output)
        if self.tools:
            data["tools"] = [t.as_data() for t in self.tools]
        if self.tool_choice is not None:
            data["tool_choice"] = _plain(self.tool_choice)
        if self.config is not None:
            data["config"] = _plain(self.config)
        if self.config_schema is not None:
            data["config_schema"] = _plain(self.config_schema)
        data["messages"] = [m.as_data() for m in self.messages]
        if self.examples:
            data["examples"] = [dict(e) for e in self.examples]
        if self.tags:
            data["tags"] = list(self.tags)
        return data

    def tool(self, name: str) -> Tool | None:
        """Return the tool called `name`, or None."""
        return next((t for t in self.tools if t.name == name), None)

    def openai_tools(self) -> list[dict[str, Any]]:
        """Return the tools in the OpenAI chat shape (empty when the prompt has none)."""
        return [t.openai() for t in self.tools]

    def openai_tool_choice(self) -> str | dict[str, Any] | None:
        """Return `tool_choice` in the OpenAI chat shape (`{name: X}` becomes a function choice)."""
        if self.tool_choice is None or isinstance(self.tool_choice, str):
            return self.tool_choice
        return {"type": "function", "function": {"name": self.tool_choice["name"]}}

    def response_format(self) -> dict[str, Any] | None:
        """Return the provider structured-output format of `output: {format: json, strict: true}`."""
        if self.output.get("format") != "json" or not self.output.get("strict"):
            return None
        name = self.output.get("name") or re.sub(r"[^A-Za-z0-9_-]", "_", self.name)[:64]
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": _plain(self.output.get("schema") or {}), "strict": True},
        }
