"""A lint finding with its stable rule code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One lint finding with a stable rule code."""

    code: str
    slug: str
    severity: Severity
    file: str
    line: int | None
    message: str
    hint: str | None = None
