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
    """Return the rendered messages for a terminal: a header per message, then its text and calls."""
    blocks = []
    for m in messages:
        header = f"--- {m.role} ({m.tool_call_id}) ---" if m.tool_call_id is not None else f"--- {m.role} ---"
        blocks.append(header + "\n" + m.text())
    return "\n\n".join(blocks)
