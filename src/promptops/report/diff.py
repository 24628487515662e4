"""Prompt diffs as markdown (PR comments) and stable JSON; pure functions of diff data."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from promptops.formats import dump_json
from promptops.prompts.diff.compare import Diff, ExamplePreview, PromptDiff, RenderedSide
from promptops.prompts.diff.schema import FieldChange
from promptops.report.escape import escape, span

JSON_SCHEMA_VERSION = 1


# --- markdown ------------------------------------------------------------------


def prompts_markdown(diff: Diff, heading: str = "###") -> str:
    """Return the markdown section for a PR comment: summary table first, details collapsed."""
    title = f"{heading} Prompt changes: {_side(diff.base, diff.base_sha)} → {_side(diff.head, diff.head_sha)}"
    if not diff.prompts:
        return f"{title}\n\nNo prompt changes.\n"
    out = [title, "", "| prompt | change | version | bump | needs | |", "|---|---|---|---|---|---|"]
    out += [_summary_row(p) for p in diff.prompts]
    for change in diff.prompts:
        out += ["", *_prompt_section(change, heading + "#")]
    return "\n".join(out) + "\n"


def _side(label: str, sha: str | None) -> str:
    return f"{escape(label)} ({span(sha[:7])})" if sha and not sha.startswith(label) else escape(label)


def _summary_row(p: PromptDiff) -> str:
    name = span(p.name) + (f" (was {span(p.old_name)})" if p.old_name else "")
    version = f"{p.old_version or '—'} → {p.new_version or '—'}"
    if p.status in ("added", "removed"):
        return f"| {name} | {p.status} | {escape(version)} | | | |"
    verdict = "✅" if p.bump_ok else "❌"
    return f"| {name} | {p.status} | {escape(version)} | {p.bump} | {p.required} | {verdict} |"


def _prompt_section(p: PromptDiff, heading: str) -> list[str]:
    out = [f"{heading} {span(p.name)} {escape(p.status)}"]
    if p.old_name:
        out += ["", f"Renamed from {span(p.old_name)} ({span(p.old_path or '')} → {span(p.new_path or '')})."]
    if p.status not in ("added", "removed"):
        out += ["", _bump_line(p)]
    if p.fields or p.metadata:
        out += ["", "| field | before | after |", "|---|---|---|"]
        out += [f"| {span(c.path)} | {_value(c.old)} | {_value(c.new)} |" for c in (*p.fields, *p.metadata)]
    if p.schema:
        out += [""]
        out += [
            f"- {'**breaking**' if c.breaking else 'compatible'} ({escape(c.field)}): {escape(c.change)}"
            for c in p.schema
        ]
    if p.messages:
        n = len(p.messages)
        out += ["", f"<details><summary>Template diff ({n} message{'s' if n != 1 else ''})</summary>", ""]
        out += fenced("diff", "".join(m.unified for m in p.messages))
        out += ["", "</details>"]
    if p.example is not None:
        out += ["", *_example(p.example)]
    return out


def _bump_line(p: PromptDiff) -> str:
    reasons = f" ({escape(', '.join(p.reasons))})" if p.reasons else ""
    made = "no bump" if p.bump == "none" else f"{p.bump} bump"
    if p.bump == "downgrade":
        return f"❌ **Version went down** {escape(p.old_version or '')} → {escape(p.new_version or '')}."
    if p.bump_ok:
        need = "no bump" if p.required == "none" else f"a {p.required} bump"
        return f"✅ {made}; the changes need {need}{reasons}."
    minimum = f" Set `version: {p.minimum_version}` or higher." if p.minimum_version else ""
    return f"❌ **Insufficient bump**: {made}; the changes need a {p.required} bump{reasons}.{minimum}"


def _example(example: ExamplePreview) -> list[str]:
    out = ["<details><summary>First example, rendered</summary>", ""]
    out += fenced("json", json.dumps(dict(example.values), ensure_ascii=False, sort_keys=True))
    sides = [("Before", example.before), ("After", example.after)]
    if example.before == example.after:
        sides = [("Before and after (the same)", example.after)]
    for title, side in sides:
        if side is not None:
            out += ["", f"**{title}**", "", *fenced("text", _rendered(side))]
    return [*out, "", "</details>"]


def _rendered(side: RenderedSide) -> str:
    if side.error is not None:
        return f"(could not render: {side.error})\n"
    return "".join(f"[{m.role}]\n{m.content}\n" for m in side.messages)


def _value(value: Any) -> str:
    if value is None:
        return "—"
    return span(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True))


def fenced(language: str, text: str) -> list[str]:
    """Return a fenced code block whose fence is longer than any backtick run in `text`."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *text.rstrip("\n").split("\n"), fence]


# --- JSON ----------------------------------------------------------------------


def diff_json(diff: Diff) -> str:
    """Return the diff as stable JSON (sorted keys, trailing newline); docs/guide/versions.md describes it."""
    return dump_json(diff_data(diff))


def diff_data(diff: Diff) -> dict[str, Any]:
    """Return the diff as plain JSON-able data."""
    counts = {
        s: sum(1 for p in diff.prompts if p.status == s) for s in ("added", "removed", "renamed", "changed")
    }
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "base": {"ref": diff.base, "sha": diff.base_sha},
        "head": {"ref": diff.head, "sha": diff.head_sha},
        "summary": {
            **counts,
            "breaking": sum(1 for p in diff.prompts if p.breaking),
            "bump_errors": sum(1 for p in diff.prompts if not p.bump_ok),
        },
        "prompts": [_prompt_data(p) for p in diff.prompts],
    }


def _prompt_data(p: PromptDiff) -> dict[str, Any]:
    return {
        "name": p.name,
        "status": p.status,
        "old_name": p.old_name,
        "old_path": p.old_path,
        "new_path": p.new_path,
        "old_version": p.old_version,
        "new_version": p.new_version,
        "bump": {
            "made": p.bump,
            "required": p.required,
            "ok": p.bump_ok,
            "reasons": list(p.reasons),
            "minimum": p.minimum_version,
        },
        "breaking": p.breaking,
        "fields": _changes(p.fields),
        "metadata": _changes(p.metadata),
        "schema": [
            {"field": c.field, "path": c.path, "change": c.change, "breaking": c.breaking} for c in p.schema
        ],
        "messages": [
            {
                "status": m.status,
                "old_index": m.old_index,
                "new_index": m.new_index,
                "old_role": m.old_role,
                "new_role": m.new_role,
                "diff": m.unified,
            }
            for m in p.messages
        ],
        "example": None if p.example is None else _example_data(p.example),
    }


def _changes(changes: Sequence[FieldChange]) -> list[dict[str, Any]]:
    return [{"path": c.path, "old": c.old, "new": c.new} for c in changes]


def _example_data(example: ExamplePreview) -> dict[str, Any]:
    def side(s: RenderedSide | None) -> dict[str, Any] | None:
        if s is None:
            return None
        return {"error": s.error, "messages": [{"role": m.role, "content": m.content} for m in s.messages]}

    return {"values": dict(example.values), "before": side(example.before), "after": side(example.after)}
