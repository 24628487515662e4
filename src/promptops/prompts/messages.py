"""Rendered messages in the OpenAI chat shape: the type render returns, `{history: VAR}` placeholders
filled from a variable (checked), and image `path:` parts read into data URLs."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptops.errors import InputError
from promptops.spec import PromptSpec

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True, kw_only=True)
class RenderedMessage:
    """A rendered message. `content` is its text (for a multi-part message: the text parts joined);
    `parts`, `tool_calls` (OpenAI shape) and `tool_call_id` hold the rest."""

    role: str
    content: str
    parts: tuple[Mapping[str, Any], ...] = ()
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    tool_call_id: str | None = None

    @property
    def plain(self) -> bool:
        return not (self.parts or self.tool_calls or self.tool_call_id is not None)

    def text(self) -> str:
        """Return the message for reading: its text, image parts as `[image URL]`, tool calls as
        `[tool call ID] name(arguments)` lines."""
        lines = [self.content.rstrip("\n")] if self.content and not self.parts else []
        for part in self.parts:
            if part.get("type") == "text":
                lines.append(str(part.get("text", "")).rstrip("\n"))
            else:
                url = str((part.get("image_url") or {}).get("url", ""))
                lines.append(f"[image {url[:40] + '...' if len(url) > 43 else url}]")
        for call in self.tool_calls:
            function = call.get("function") or {}
            lines.append(f"[tool call {call.get('id')}] {function.get('name')}({function.get('arguments')})")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """Return the message in the OpenAI chat shape (a plain message: exactly `{role, content}`)."""
        out: dict[str, Any] = {"role": self.role}
        if self.parts:
            out["content"] = [plain_data(p) for p in self.parts]
        elif self.tool_calls and not self.content:
            out["content"] = None
        else:
            out["content"] = self.content
        if self.tool_calls:
            out["tool_calls"] = [plain_data(c) for c in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out


def history_messages(spec: PromptSpec, variable: str, values: Mapping[str, Any]) -> list[RenderedMessage]:
    """Return the messages a `{history: VAR}` placeholder stands for: the variable, a list of
    OpenAI-shaped messages (never templates); InputError naming the first one that is not."""
    if variable not in values:
        raise InputError(
            f"variable '{variable}' is required by {spec.name} (its history placeholder)",
            hint="pass a list of messages, e.g. [] for a conversation's first turn",
        )
    history = values[variable]
    if not isinstance(history, list | tuple):
        raise InputError(f"variable '{variable}' of {spec.name}: expected a list of messages")
    out = []
    for i, item in enumerate(history):
        where = f"variable '{variable}' of {spec.name}: [{i}]"
        if not isinstance(item, Mapping) or item.get("role") not in ROLES:
            raise InputError(f"{where}: expected a message with a role of {', '.join(ROLES)}")
        content = item.get("content")
        calls = item.get("tool_calls") or ()
        if not (isinstance(content, str | list) or (content is None and calls)):
            raise InputError(f"{where}: content must be text or a list of parts")
        if item["role"] == "tool" and not isinstance(item.get("tool_call_id"), str):
            raise InputError(f"{where}: a tool message needs its tool_call_id")
        parts = tuple(plain_data(p) for p in content) if isinstance(content, list) else ()
        text = (
            content
            if isinstance(content, str)
            else "\n".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")
        )
        out.append(
            RenderedMessage(
                role=item["role"],
                content=text,
                parts=parts,
                tool_calls=tuple(plain_data(c) for c in calls),
                tool_call_id=item.get("tool_call_id"),
            )
        )
    return out


def data_url(path: str, root: Path | None, where: str) -> str:
    """Return the data URL of the image at `path` (relative to the project `root`, never outside it)."""
    if root is None:
        raise InputError(f"{where}: image path '{path}' needs the project to read it")
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_TYPES:
        raise InputError(f"{where}: image path '{path}': expected one of {', '.join(sorted(IMAGE_TYPES))}")
    full = (root / path).resolve()
    if root.resolve() not in full.parents:
        raise InputError(f"{where}: image path '{path}' leaves the project root")
    if not full.is_file():
        raise InputError(f"{where}: image path '{path}': no such file")
    if full.stat().st_size > MAX_IMAGE_BYTES:
        raise InputError(f"{where}: image path '{path}' is larger than {MAX_IMAGE_BYTES} bytes")
    encoded = base64.b64encode(full.read_bytes()).decode("ascii")
    return f"data:{IMAGE_TYPES[suffix]};base64,{encoded}"


def plain_data(value: Any) -> Any:
    """Return `value` as plain JSON data (mappings to dicts, sequences to lists)."""
    if isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    return value
