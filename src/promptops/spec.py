"""A prompt as data: PromptSpec and its messages, the vocabulary most modules share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Message:
    role: str
    content: str
    line: int | None = None  # line of `content` in the source file, for template errors


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
        data["messages"] = [{"role": m.role, "content": m.content} for m in self.messages]
        if self.examples:
            data["examples"] = [dict(e) for e in self.examples]
        if self.tags:
            data["tags"] = list(self.tags)
        return data
