"""The `--format` choices of every command, and the one check that turns a string into one."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

from promptops.errors import InputError


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"


class RenderFormat(str, Enum):
    text = "text"
    json = "json"


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


class CanaryFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


class ReportFormat(str, Enum):
    markdown = "markdown"
    json = "json"


class CostFormat(str, Enum):
    text = "text"
    json = "json"


class BudgetFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


Choice = TypeVar("Choice", bound=Enum)


def choose(value: str, kind: type[Choice]) -> Choice:
    """Return the member of `kind` named `value`; InputError (exit 2) naming the choices otherwise."""
    try:
        return kind(value)
    except ValueError:
        allowed = [str(m.value) for m in kind]
        raise InputError(f"--format '{value}': expected {', '.join(allowed[:-1])} or {allowed[-1]}") from None
