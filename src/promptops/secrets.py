"""Secrets: one list of key shapes, the secret values of the environment, and one redaction.

Everything promptops writes or prints that may carry text it did not write (model answers, provider
error bodies, API error bodies, trace records) goes through `redact` first, and is cut only after.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

REDACTED = "[REDACTED]"
MIN_SECRET = 8  # shorter values are not real keys, and replacing them would mangle ordinary text
SECRET_NAMES = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIALS")  # variable-name endings

# What each shape is, for lint's message, and its pattern. Matching is case-sensitive unless marked.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an API key (sk-...)", re.compile(r"\b(?:sk|pk|rk)-(?:[a-z]+-)?[A-Za-z0-9_\-]{16,}")),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("a bearer token", re.compile(r"(?i:\bbearer)\s+(?=[A-Za-z0-9._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{6,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a URL with credentials", re.compile(r"\b(?i:[a-z][a-z0-9+.\-]*)://[^\s/:@]+:[^\s/@]+@")),
)
_ANY = re.compile("|".join(f"(?:{p.pattern})" for _, p in PATTERNS))
# Every pattern above contains one of these literals: text holding none of them (and no secret value) is
# clean, and this search is an order of magnitude faster than the patterns (trace import checks each field).
_MARKERS = re.compile(r"[spr]k-|A[KS]IA|gh[pousr]_|github_pat_|AIza|xox|hf_|(?i:bearer)|-----BEGIN|://")


def is_secret_name(name: str) -> bool:
    """Return whether an environment variable of this name holds a secret (`*_API_KEY`, `*_TOKEN`, ...)."""
    return name.upper().endswith(SECRET_NAMES)


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the values of secret-named variables worth redacting, longest first."""
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if is_secret_name(k) and len(v.strip()) >= MIN_SECRET}
    return tuple(sorted(found, key=lambda v: (-len(v), v)))


def find(text: str) -> tuple[str, re.Match[str]] | None:
    """Return what the first key-shaped string in `text` looks like, and its match; None when clean."""
    for kind, pattern in PATTERNS:
        match = pattern.search(text)
        if match:
            return kind, match
    return None


def suspect(text: str, values: Sequence[str]) -> bool:
    """Return whether `text` may hold a secret: a key-shape marker or one of `values` occurs in it."""
    return _MARKERS.search(text) is not None or any(v in text for v in values if len(v) >= MIN_SECRET)


def redact(text: str, values: Sequence[str] | None = None) -> str:
    """Return `text` with every secret value and key-shaped string replaced by [REDACTED].

    `values` defaults to the secret values of this process's environment.
    """
    for value in secret_values() if values is None else values:
        if len(value) >= MIN_SECRET:
            text = text.replace(value, REDACTED)
    return _ANY.sub(REDACTED, text)


def clip(text: str, limit: int, values: Sequence[str] | None = None) -> str:
    """Return `text` redacted, then cut to `limit` characters, with no piece of a secret left at the end.

    Redaction comes before the cut (a cut key no longer matches its value or shape); a trailing prefix of
    a secret value of MIN_SECRET characters or more (what is left of a key the provider had already cut,
    or that this cut leaves) is replaced too.
    """
    found = secret_values() if values is None else values
    redacted = redact(text, found)
    clean, size = _redact_tail(redacted, found), limit
    while len(clean) > limit:  # [REDACTED] may be longer than the prefix it replaces: cut a little more
        clean, size = _redact_tail(redacted[:size], found), size - 1
    return clean


def _redact_tail(text: str, values: Sequence[str]) -> str:
    for value in values:
        for size in range(min(len(value), len(text)), MIN_SECRET - 1, -1):
            if text.endswith(value[:size]):
                return text[:-size] + REDACTED
    return text


def scrub_data(value: Any, values: Sequence[str] | None = None) -> Any:
    """Return plain data (what a JSON file will hold) with `redact` applied to every string in it
    (keys too); a string `suspect` clears is kept as it is, without running the patterns."""
    found = secret_values() if values is None else values
    if isinstance(value, str):
        return redact(value, found) if suspect(value, found) else value
    if isinstance(value, Mapping):
        return {scrub_data(k, found): scrub_data(v, found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(v, found) for v in value]
    return value
