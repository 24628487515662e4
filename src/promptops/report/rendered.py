"""A rendered prompt as JSON (`promptops render --format json`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from promptops.formats import dump_json
from promptops.prompts.messages import RenderedMessage
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
        }
    )
