"""A rendered prompt as JSON (`promptops render --format json`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from promptops.formats import dump_json
from promptops.prompts.messages import RenderedMessage, plain_data
from promptops.spec import PromptSpec


def rendered_json(spec: PromptSpec, values: Mapping[str, Any], messages: Sequence[RenderedMessage]) -> str:
    """Return the rendered messages with the prompt's name, version, model, params and variables."""
    return dump_json(
        {
            "name": spec.name,
            "version": spec.version,
            "model": spec.model,
            "params": dict(spec.params),
            "variables": dict(values),
            "messages": [m.as_dict() for m in messages],
            **_call_extras(spec),
        }
    )


def _call_extras(spec: PromptSpec) -> dict[str, Any]:
    """Return the tools, tool choice, response format and config a call with this prompt carries."""
    out: dict[str, Any] = {}
    if spec.tools:
        out["tools"] = spec.openai_tools()
    if spec.tool_choice is not None:
        out["tool_choice"] = spec.openai_tool_choice()
    response_format = spec.response_format()
    if response_format is not None:
        out["response_format"] = response_format
    if spec.config is not None:
        out["config"] = plain_data(spec.config)
    return out


def rendered_text(messages: Sequence[RenderedMessage]) -> str:
    """Return the rendered messages for a terminal: a header per message, its text, parts and calls."""
    blocks = []
    for m in messages:
        header = f"--- {m.role} ({m.tool_call_id}) ---" if m.tool_call_id is not None else f"--- {m.role} ---"
        lines = [m.content.rstrip("\n")] if m.content and not m.parts else []
        for part in m.parts:
            if part.get("type") == "text":
                lines.append(str(part.get("text", "")).rstrip("\n"))
            else:
                url = str((part.get("image_url") or {}).get("url", ""))
                lines.append(f"[image {url[:40] + '...' if len(url) > 43 else url}]")
        for call in m.tool_calls:
            function = call.get("function") or {}
            lines.append(f"[tool call {call.get('id')}] {function.get('name')}({function.get('arguments')})")
        blocks.append(header + "\n" + "\n".join(lines))
    return "\n\n".join(blocks)
