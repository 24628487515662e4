"""The Scorer protocol, its registry, and what a scorer judges."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from promptops.evals.calls import CallRequest, Reply
from promptops.evals.cases import Case
from promptops.evals.trajectory import Trajectory
from promptops.spec import PromptSpec

Judge = Callable[[CallRequest], Awaitable[Reply]]
COMMON_KEYS = ("type", "name", "weight", "required", "threshold")


@dataclass(frozen=True, kw_only=True)
class Subject:
    """One model output and everything a scorer may compare it with."""

    output: str
    case: Case
    spec: PromptSpec
    messages: tuple[tuple[str, str], ...] = ()  # the rendered prompt (role, content)
    reply: Reply | None = None  # tokens, cost and latency of the call
    root: Path = Path()
    judge: Judge | None = None  # cached, retried model calls for llm_judge
    trajectory: Trajectory | None = None  # a workflow case run: its steps and totals


@dataclass(frozen=True, kw_only=True)
class Outcome:
    value: float  # in [0, 1]
    detail: str | None = None


class ScorerError(Exception):
    """The scorer could not decide; recorded as an error, never as a pass or a 0."""


class Scorer(Protocol):
    schema: Mapping[str, Any]  # JSON Schema of the scorer's own keys (besides COMMON_KEYS)
    threshold: float  # default pass mark

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        """Return (key, problem) pairs for options that can never work (checked before any call)."""
        ...

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        """Return the value of `subject.output`, or raise ScorerError."""
        ...


class Unchecked:
    """Base for scorers whose options need no check beyond their JSON Schema."""

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        return []


def expected_of(options: Mapping[str, Any], subject: Subject, *, nullable: bool = False) -> Any:
    """Return the scorer's `expected`, else the case's; raise ScorerError when neither is set.

    With `nullable`, an explicit `expected: null` is a value to compare with, not a missing one.
    """
    if "expected" in options:
        expected = options["expected"]
    else:
        expected = subject.case.expected
        if expected is None and not subject.case.has_expected:
            raise ScorerError("no expected value (set `expected` on the case or the scorer)")
    if expected is None and not nullable:
        raise ScorerError("no expected value (set `expected` on the case or the scorer)")
    return expected


def _finite_only(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def output_json(text: str) -> Any:
    """Return the JSON value of `text` as a JSON parser would (NaN and Infinity are not JSON);
    raise ValueError, also for nesting too deep to read."""
    try:
        return json.loads(text, parse_constant=_finite_only)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def same_json(a: Any, b: Any) -> bool:
    """Return whether two JSON values are equal as JSON sees them: true is not 1, "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


SCORERS: dict[str, Scorer] = {}


def register(name: str, scorer: Scorer) -> None:
    """Make `scorer` available as `type: NAME` in suite files."""
    SCORERS[name] = scorer


def options_schema(scorer: Scorer) -> dict[str, Any]:
    """Return the full JSON Schema of a scorer entry (common keys plus the scorer's own)."""
    own = dict(scorer.schema)
    properties = {
        "type": {"type": "string"},
        "name": {"type": "string", "minLength": 1},
        "weight": {"type": "number", "minimum": 0},
        "required": {"type": "boolean"},
        "threshold": {"type": "number", "minimum": 0, "maximum": 1},
        **own.get("properties", {}),
    }
    return {
        "type": "object",
        "properties": properties,
        "required": ["type", *own.get("required", [])],
        "additionalProperties": False,
    }


def text_of(value: Any) -> str:
    """Return `value` as the text a model would write (JSON for non-strings)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
