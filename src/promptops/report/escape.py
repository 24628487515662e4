"""Untrusted text made safe for reports: the one markdown escape, code spans, excerpts, secrets redacted."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from promptops.gate.result import GateResult
from promptops.secrets import redact

MARKER = "<!-- promptops-report -->"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MD_INLINE = re.compile(r"([\\`*_\[\]|~$])")
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])://|\bwww\.")
_MD_LINE_START = re.compile(r"^([#+\-=>]|\d+(?=[.)]))")


def scrub_result(result: GateResult, secrets: Sequence[str]) -> GateResult:
    """Return `result` with secrets redacted from every output and error message it carries."""
    cases = tuple(
        replace(
            c,
            output=None if c.output is None else redact(c.output, secrets),
            error=None if c.error is None else redact(c.error, secrets),
            workflow_detail=None if c.workflow_detail is None else redact(c.workflow_detail, secrets),
        )
        for c in result.cases
    )
    return replace(result, cases=cases, reason=redact(result.reason, secrets))


def clean(text: str) -> str:
    """Return `text` without control characters (they break XML and terminals)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def escape(text: str, line_start: bool = False) -> str:
    """Return one line of inline markdown showing `text` literally (no links, HTML, tables or mentions).

    With `line_start`, also neutralize what only means something at the start of a line (`#`, `-`, `1.`).
    """
    text = clean(text).replace("\n", " ⏎ ").replace("\t", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)  # no bare links
    if line_start:
        text = _MD_LINE_START.sub(
            lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), text
        )
    return text.replace("@", "@\u200b")  # no @mentions from model output


def excerpt(text: str | None, limit: int = 120) -> str:
    """Return an escaped excerpt of at most `limit` characters of `text`, marking an empty or cut one."""
    if text is None:
        return "—"
    flat = " ".join(clean(text).split("\n")).strip()
    if not flat:
        return "*(empty)*"
    cut = flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
    return escape(cut)


def code(text: str) -> str:
    """Return `text` as inline code (for ids and hashes); backticks and pipes cannot escape it."""
    text = clean(text).replace("\n", " ").replace("`", "'").replace("|", "¦")
    text = text.replace("<", "\u2039").replace(">", "\u203a")
    return f"`{text}`" if text.strip() else "` `"


def ids(values: Iterable[str]) -> str:
    return ", ".join(code(v) for v in values)


def span(text: str) -> str:
    """Return `text` as an inline code span that keeps it whole: a fence longer than any backtick run."""
    text = text.replace("\n", " ").replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def block(text: str) -> list[str]:
    """Return `text` as a fenced code block whose fence no line of it can close."""
    body = clean(text)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *body.split("\n"), fence]
