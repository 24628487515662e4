"""The attribution vocabulary: span attribute / nested-metadata names and litellm tags, read back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from promptops.observe.traces.record import ARMS, PromptRef

NAME = "gen_ai.prompt.name"
VERSION = "promptops.prompt.version"
HASH = "promptops.prompt.hash"
ENVIRONMENT = "promptops.environment"
ARM = "promptops.arm"
PAIR = "promptops.pair_id"
VARIABLES = "promptops.prompt.variables"
PURPOSE = "promptops.purpose"
TAGS = {
    "promptops.prompt": NAME,
    "promptops.version": VERSION,
    "promptops.arm": ARM,
    "promptops.environment": ENVIRONMENT,
    "promptops.hash": HASH,
}


def prompt_from_keys(found: Mapping[str, Any]) -> PromptRef:
    """Return the PromptRef named by attribution keys (span attributes or nested litellm metadata)."""

    def text(key: str) -> str | None:
        value = found.get(key)
        return None if value is None or value == "" else str(value)

    arm = text(ARM)
    return PromptRef(
        text(NAME), text(VERSION), text(HASH), text(ENVIRONMENT), arm if arm in ARMS else None, text(PAIR)
    )


def keys_from_tags(tags: Sequence[Any]) -> dict[str, str]:
    """Return the attribution keys carried by litellm tags (`promptops.prompt:NAME`, ...)."""
    out = {}
    for tag in tags:
        if isinstance(tag, str):
            key, colon, value = tag.partition(":")
            if colon and key in TAGS:
                out[TAGS[key]] = value
    return out
