"""Secrets out of trace records before they are stored.

TODO(secrets.py): the lead's `promptops.secrets` (`redact(text, values)`, `secret_values(environ)`) replaces
the minimal copy below on merge; `redact_line` stays (it applies that redaction to a serialized record).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

REDACTED = "[REDACTED]"
MIN_SECRET = 8
SECRET_NAMES = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIALS")
_ANY = re.compile(
    r"\b(?:sk|pk|rk)-(?:[a-z]+-)?[A-Za-z0-9_\-]{16,}|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})|\bAIza[0-9A-Za-z_\-]{35}"
    r"|\bxox[abposr]-[A-Za-z0-9\-]{10,}|\bhf_[A-Za-z0-9]{30,}"
    r"|(?i:\bbearer)\s+(?=[A-Za-z0-9._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{6,}|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|\b(?i:[a-z][a-z0-9+.\-]*)://[^\s/:@]+:[^\s/@]+@"
)


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Return the values of secret-named variables worth redacting, longest first."""
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if k.upper().endswith(SECRET_NAMES) and len(v.strip()) >= MIN_SECRET}
    return tuple(sorted(found, key=lambda v: (-len(v), v)))


def redact(text: str, values: Sequence[str] | None = None) -> str:
    """Return `text` with every secret value and key-shaped string replaced by [REDACTED]."""
    for value in secret_values() if values is None else values:
        if len(value) >= MIN_SECRET:
            text = text.replace(value, REDACTED)
    return _ANY.sub(REDACTED, text)


def redact_line(line: str, values: Sequence[str]) -> str:
    """Return a serialized JSON record redacted; strings one by one when redacting the text broke the JSON."""
    cleaned = redact(line, values)
    if cleaned == line:
        return line
    try:
        json.loads(cleaned)
    except ValueError:
        return json.dumps(_deep(json.loads(line), values), ensure_ascii=False, separators=(",", ":"))
    return cleaned


def _deep(value: Any, values: Sequence[str]) -> Any:
    if isinstance(value, str):
        return redact(value, values)
    if isinstance(value, dict):
        return {k: _deep(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v, values) for v in value]
    return value
