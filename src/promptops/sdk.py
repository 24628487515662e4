"""load_prompt() for applications: no git, no litellm, no rich (filled in by the environments issue)."""

from __future__ import annotations


class Prompt:
    """A loaded, immutable prompt version."""


def load_prompt(name: str) -> Prompt:
    """Return the prompt `name` (not implemented yet)."""
    raise NotImplementedError("load_prompt arrives with the environments issue")
