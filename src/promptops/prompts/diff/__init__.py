"""Semantic + text diff of prompts between two sides, and the semver bump check [owns deepdiff]."""

from __future__ import annotations

from promptops.prompts.diff.compare import (
    Bump,
    BumpMade,
    Diff,
    ExamplePreview,
    MessageDiff,
    PromptDiff,
    RenderedSide,
    bump_made,
    compare,
    is_unchanged,
    message_diffs,
    next_version,
    preview,
)
from promptops.prompts.diff.schema import FieldChange, SchemaChange, schema_changes
from promptops.prompts.diff.sides import default_base, diff_refs

__all__ = [
    "Bump",
    "BumpMade",
    "Diff",
    "ExamplePreview",
    "FieldChange",
    "MessageDiff",
    "PromptDiff",
    "RenderedSide",
    "SchemaChange",
    "bump_made",
    "compare",
    "default_base",
    "diff_refs",
    "is_unchanged",
    "message_diffs",
    "next_version",
    "preview",
    "schema_changes",
]
