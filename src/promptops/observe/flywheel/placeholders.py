"""Placeholders: personal data and secrets in production text become stable, indexed tokens.

A flat `[REDACTED]` breaks a case (two different e-mails become the same text, a template that
compares them goes wrong), so each distinct value gets its own token (`[EMAIL_1]`, `[EMAIL_2]`) and
the same value gets the same token everywhere in one file. Secret shapes come from promptops.secrets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from promptops.secrets import MIN_SECRET, PATTERNS, secret_values

# personal data, most specific first; secrets are matched before all of them
PERSONAL: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b")),
    ("CARD", re.compile(r"\b(?:\d[ \-]?){12,18}\d\b")),
    ("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")),
    # international (+CC and groups) or a separated national number; a bare digit run is an id, not a phone
    (
        "PHONE",
        re.compile(
            r"(?<![\w+])(?:\+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,4}" r"|\(?\d{3}\)?[ .\-]\d{3}[ .\-]\d{4})\b"
        ),
    ),
    ("IP", re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")),
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


@dataclass
class Placeholders:
    """One table of value -> token for a whole file, so a value reads the same in every case."""

    secrets: Sequence[str] = field(default_factory=secret_values)
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def token(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self.tokens:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.tokens[key] = f"[{kind}_{self.counts[kind]}]"
        return self.tokens[key]

    def text(self, text: str) -> str:
        """Return `text` with every secret and personal value replaced by its token."""
        for value in self.secrets:
            if len(value) >= MIN_SECRET and value in text:
                text = text.replace(value, self.token("SECRET", value))
        for _, pattern in PATTERNS:
            text = pattern.sub(lambda m: self.token("SECRET", m.group(0)), text)
        for kind, pattern in PERSONAL:
            text = pattern.sub(self._replacer(kind), text)
        return text

    def _replacer(self, kind: str) -> Callable[[re.Match[str]], str]:
        return lambda match: self._personal(kind, match.group(0))

    def _personal(self, kind: str, value: str) -> str:
        if kind == "CARD" and not _luhn(re.sub(r"\D", "", value)):
            return value  # an order number or a long id, not a card
        return self.token(kind, value)

    def value(self, value: Any) -> Any:
        """Return `value` (strings, lists and mappings, recursively) with its text replaced."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    @property
    def replaced(self) -> dict[str, int]:
        """Return how many distinct values of each kind were replaced."""
        return dict(sorted(self.counts.items()))
