"""Semantic and text diff of two PromptSpecs as plain data, and the semver bump check."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import semver

from promptops.errors import PromptOpsError
from promptops.prompts.diff.schema import FieldChange, SchemaChange, deep_changes, schema_changes
from promptops.prompts.diff.tools import tool_changes
from promptops.prompts.render import render
from promptops.spec import Message, PromptSpec

Bump = Literal["none", "patch", "minor", "major"]
BumpMade = Literal["none", "patch", "minor", "major", "downgrade"]
Status = Literal["added", "removed", "renamed", "changed"]
RANK: dict[str, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}
FIELDS = ("model", "params", "fallbacks")
METADATA = ("description", "owner", "tags", "examples")


@dataclass(frozen=True, kw_only=True)
class MessageDiff:
    """A unified diff of one message template; roles are part of the headers."""

    status: Literal["added", "removed", "changed"]
    old_index: int | None
    new_index: int | None
    old_role: str | None
    new_role: str | None
    unified: str


@dataclass(frozen=True, kw_only=True)
class RenderedSide:
    messages: tuple[Message, ...] = ()
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class ExamplePreview:
    """The first example rendered on each side (None where the prompt does not exist)."""

    values: Mapping[str, Any]
    before: RenderedSide | None
    after: RenderedSide | None


@dataclass(frozen=True, kw_only=True)
class PromptDiff:
    name: str
    status: Status
    old_name: str | None
    old_path: str | None
    new_path: str | None
    old_version: str | None
    new_version: str | None
    required: Bump
    bump: BumpMade
    bump_ok: bool
    reasons: tuple[str, ...]
    fields: tuple[FieldChange, ...]
    metadata: tuple[FieldChange, ...]
    schema: tuple[SchemaChange, ...]
    messages: tuple[MessageDiff, ...]
    example: ExamplePreview | None
    version_line: int | None = None  # line of `version` in the head file

    @property
    def breaking(self) -> bool:
        """Return whether an inputs/output schema change breaks callers."""
        return any(c.breaking for c in self.schema)

    @property
    def minimum_version(self) -> str | None:
        """Return the lowest version the head may carry under the bump rules (None: no rule applies)."""
        if self.old_version is None or self.new_version is None or self.required == "none":
            return None
        return next_version(self.old_version, self.required)


@dataclass(frozen=True, kw_only=True)
class Diff:
    base: str  # how the base side was named (a ref, or "empty")
    head: str  # a ref, or "working tree"
    base_sha: str | None
    head_sha: str | None
    prompts: tuple[PromptDiff, ...]


def bump_made(old: str, new: str) -> BumpMade:
    """Return the kind of version change from `old` to `new`."""
    a, b = semver.Version.parse(old), semver.Version.parse(new)
    if b < a:
        return "downgrade"
    if b == a:
        return "none"
    if b.major != a.major:
        return "major"
    if b.minor != a.minor:
        return "minor"
    return "patch"


def next_version(old: str, bump: Bump) -> str:
    """Return the smallest version after `old` that makes a `bump` bump."""
    version = semver.Version.parse(old)
    if bump == "major":
        return str(version.bump_major())
    if bump == "minor":
        return str(version.bump_minor())
    return str(version.bump_patch())


def compare(old: PromptSpec | None, new: PromptSpec | None, status: Status | None = None) -> PromptDiff:
    """Return what changed from `old` to `new` (either may be None: added or removed)."""
    if old is None and new is None:
        raise ValueError("compare needs at least one side")
    status = status or ("added" if old is None else "removed" if new is None else "changed")
    fields = _field_changes(old, new, FIELDS) if old and new else ()
    metadata = _field_changes(old, new, METADATA) if old and new else ()
    schema = (*schema_changes(old, new), *tool_changes(old, new)) if old and new else ()
    messages = message_diffs(old.messages if old else (), new.messages if new else ())
    required, reasons = _required(
        fields, metadata, schema, bool(messages) and old is not None and new is not None
    )
    made: BumpMade = bump_made(old.version, new.version) if old and new else "none"
    ok = made != "downgrade" and RANK[made] >= RANK[required]
    return PromptDiff(
        name=(new or old).name if new or old else "",  # type: ignore[union-attr]
        status=status,
        old_name=old.name if old and new and old.name != new.name else None,
        old_path=_path(old.source) if old else None,
        new_path=_path(new.source) if new else None,
        old_version=old.version if old else None,
        new_version=new.version if new else None,
        required=required,
        bump=made,
        bump_ok=ok,
        reasons=tuple(reasons),
        fields=fields,
        metadata=metadata,
        schema=schema,
        messages=messages,
        example=preview(old, new),
        version_line=new.lines.get("version") if new else None,
    )


def is_unchanged(old: PromptSpec, new: PromptSpec) -> bool:
    """Return whether two specs carry the same content (formatting and comments aside)."""
    return old.content() == new.content()


def _path(source: str) -> str:
    return source.split(":", 1)[1] if ":" in source else source


def _required(
    fields: tuple[FieldChange, ...],
    metadata: tuple[FieldChange, ...],
    schema: tuple[SchemaChange, ...],
    messages_changed: bool,
) -> tuple[Bump, list[str]]:
    if any(c.breaking for c in schema):
        return "major", [c.change for c in schema if c.breaking]
    reasons = ["messages changed"] if messages_changed else []
    reasons += sorted({f"{c.path.split('.')[0].split('[')[0]} changed" for c in fields})
    reasons += [c.change for c in schema]
    if reasons:
        return "minor", reasons
    if metadata:
        return "patch", sorted({f"{c.path.split('.')[0].split('[')[0]} changed" for c in metadata})
    return "none", []


def _field_changes(old: PromptSpec, new: PromptSpec, names: Iterable[str]) -> tuple[FieldChange, ...]:
    a, b = old.content(), new.content()
    out: list[FieldChange] = []
    for name in names:
        if a.get(name) == b.get(name):
            continue
        if name == "params" and isinstance(a.get(name), dict) and isinstance(b.get(name), dict):
            out.extend(deep_changes(a[name], b[name], (name,)))
        else:
            out.append(FieldChange(path=name, old=a.get(name), new=b.get(name)))
    return tuple(out)


def message_diffs(old: tuple[Message, ...], new: tuple[Message, ...]) -> tuple[MessageDiff, ...]:
    """Return a unified diff per changed, added or removed message, aligned by role and text."""
    keys_a = [(m.role, m.text()) for m in old]
    keys_b = [(m.role, m.text()) for m in new]
    out: list[MessageDiff] = []
    matcher = difflib.SequenceMatcher(a=keys_a, b=keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i = i1 + k if i1 + k < i2 else None
            j = j1 + k if j1 + k < j2 else None
            out.append(_message_diff(old, new, i, j))
    return tuple(out)


def _label(side: str, index: int | None, message: Message | None) -> str:
    if index is None or message is None:
        return "/dev/null"
    return f"{side}/messages[{index}] ({message.role})"


def _message_diff(
    old: tuple[Message, ...], new: tuple[Message, ...], i: int | None, j: int | None
) -> MessageDiff:
    a = old[i] if i is not None else None
    b = new[j] if j is not None else None
    status: Literal["added", "removed", "changed"] = (
        "added" if a is None else "removed" if b is None else "changed"
    )
    a_lines = a.text().splitlines() if a else []
    b_lines = b.text().splitlines() if b else []
    if a and b and a.text() == b.text():
        # only the role changed: show the whole message so the role headers carry the change
        a_lines, b_lines = [f"[{a.role}]", *a_lines], [f"[{b.role}]", *b_lines]
    unified = "\n".join(
        difflib.unified_diff(a_lines, b_lines, _label("a", i, a), _label("b", j, b), lineterm="", n=3)
    )
    return MessageDiff(
        status=status,
        old_index=i,
        new_index=j,
        old_role=a.role if a else None,
        new_role=b.role if b else None,
        unified=unified + "\n",
    )


def preview(old: PromptSpec | None, new: PromptSpec | None) -> ExamplePreview | None:
    """Return the first example rendered before and after (the head's example when it has one)."""
    source = new if new is not None and new.examples else old
    if source is None or not source.examples:
        return None
    values = dict(source.examples[0])
    return ExamplePreview(values=values, before=_render(old, values), after=_render(new, values))


def _render(spec: PromptSpec | None, values: Mapping[str, Any]) -> RenderedSide | None:
    if spec is None:
        return None
    try:
        return RenderedSide(
            messages=tuple(
                Message(role=m.role, content=m.content if m.plain else m.text()) for m in render(spec, values)
            )
        )
    except PromptOpsError as exc:
        return RenderedSide(error="; ".join(exc.lines()))
