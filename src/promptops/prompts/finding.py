"""A lint rule (stable code, slug, severity) and the findings it makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One lint finding with a stable rule code."""

    code: str
    slug: str
    severity: Severity
    file: str
    line: int | None
    message: str
    hint: str | None = None


@dataclass(frozen=True, kw_only=True)
class Rule:
    code: str
    slug: str
    severity: Severity
    summary: str

    def finding(self, file: str, line: int | None, message: str, hint: str | None = None) -> Finding:
        return Finding(
            code=self.code,
            slug=self.slug,
            severity=self.severity,
            file=file,
            line=line,
            message=message,
            hint=hint,
        )
