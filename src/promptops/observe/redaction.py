"""Secrets out of trace records before they are stored.

TODO(secrets.py): the lead's `promptops.secrets` (`redact(text, values)`, `secret_values(environ)`) replaces
the minimal copy below on merge; `redact_record` stays (it applies that redaction to a record's content).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from promptops.observe.record import TraceRecord

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


# Every key shape above contains one of these literals: a string holding none of them (and no secret
# value) is clean, and this search is an order of magnitude faster than the patterns.
_MARKERS = re.compile(r"[spr]k-|A[KS]IA|gh[pousr]_|github_pat_|AIza|xox|hf_|(?i:bearer)|-----BEGIN|://")
CONTENT = ("variables", "input_messages", "output", "error_type")  # the fields holding text from outside


def redact_record(record: TraceRecord, values: Sequence[str]) -> TraceRecord:
    """Return `record` with secrets redacted from its content fields (itself when there were none)."""
    changes = {}
    for key in CONTENT:
        value = getattr(record, key)
        if value is not None:
            cleaned = _deep(value, values)
            if cleaned != value:
                changes[key] = cleaned
    return replace(record, **changes) if changes else record


def _deep(value: Any, values: Sequence[str]) -> Any:
    if isinstance(value, str):
        return redact(value, values) if _suspect(value, values) else value
    if isinstance(value, dict):
        return {k: _deep(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v, values) for v in value]
    return value


def _suspect(text: str, values: Sequence[str]) -> bool:
    return _MARKERS.search(text) is not None or any(v in text for v in values)
