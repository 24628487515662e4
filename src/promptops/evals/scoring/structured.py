"""Scorers that read structure: json_valid, json_schema, json_field, numeric."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from promptops.errors import InputError
from promptops.evals.scoring.base import (
    Outcome,
    ScorerError,
    Subject,
    Unchecked,
    output_json,
    register,
    same_json,
    text_of,
)
from promptops.formats import find, validate_data
from promptops.spec import PromptSpec

_FENCE = re.compile(r"^```[\w-]*\s*\n(.*?)\n?```\s*$", re.DOTALL)
# a sign only where it cannot be a hyphen: `ORD-12345` holds 12345, not -12345
_NUMBER = re.compile(r"(?:(?<![\w.])[-+])?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
_PATH_PART = re.compile(r"[^.\[\]]+|\[\d+\]")


def parse_json(output: str) -> Any:
    """Return the JSON value of an output (a fenced ```json block counts); raise ValueError."""
    text = output.strip()
    try:
        fenced = find(_FENCE.pattern, text, _FENCE.flags, at_start=True)  # bounded: the text is a model's
    except TimeoutError as exc:
        raise ScorerError(f"{exc} looking for a code fence in this output") from None
    return output_json(fenced.group(1) if fenced else text)


def _json_or_fail(output: str) -> Outcome | Any:
    try:
        return parse_json(output)
    except ValueError as exc:
        return Outcome(value=0.0, detail=f"not valid JSON: {exc}")


def field_path(path: str) -> list[str | int]:
    """Return the parts of `a.b[0].c` (or `a.b.0.c`)."""
    parts: list[str | int] = []
    for token in _PATH_PART.findall(path):
        if token.startswith("["):
            parts.append(int(token[1:-1]))
        else:
            parts.append(int(token) if token.isdigit() else token)
    return parts


class JsonValid(Unchecked):
    """The output parses as JSON."""

    schema: Mapping[str, Any] = {"properties": {}}
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        parsed = _json_or_fail(subject.output)
        return parsed if isinstance(parsed, Outcome) else Outcome(value=1.0)


class JsonSchema:
    """The output is JSON valid under `schema` (default: the prompt's `output.schema`)."""

    schema: Mapping[str, Any] = {"properties": {"schema": {"type": "object"}}}
    threshold: float = 1.0

    def _rules(self, options: Mapping[str, Any], spec: PromptSpec) -> Mapping[str, Any] | None:
        rules = options.get("schema", spec.output.get("schema"))
        return rules if isinstance(rules, Mapping) else None

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        rules = self._rules(options, spec)
        if rules is None:
            return [("schema", f"needs `schema`: prompt '{spec.name}' declares no output schema")]
        try:
            validate_data(None, rules)
        except InputError as exc:
            return [("schema", exc.message.lstrip(": "))]
        return []

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        rules = self._rules(options, subject.spec)
        if rules is None:
            raise ScorerError(f"prompt '{subject.spec.name}' declares no output schema")
        parsed = _json_or_fail(subject.output)
        if isinstance(parsed, Outcome):
            return parsed
        problems = validate_data(parsed, rules)
        if problems:
            first = problems[0]
            where = f"{first.path}: " if first.path else ""
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            return Outcome(value=0.0, detail=f"{where}{first.message}{more}")
        return Outcome(value=1.0)


class JsonField:
    """The JSON output's field at `path` (e.g. `order.items[0].sku`) equals `expected`."""

    schema: Mapping[str, Any] = {
        "required": ["path", "expected"],
        "properties": {"path": {"type": "string", "minLength": 1}, "expected": {}},
    }
    threshold: float = 1.0

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        return [] if field_path(options["path"]) else [("path", "is not a field path such as a.b[0].c")]

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        parsed = _json_or_fail(subject.output)
        if isinstance(parsed, Outcome):
            return parsed
        value: Any = parsed
        for part in field_path(options["path"]):
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return Outcome(value=0.0, detail=f"no field {options['path']}")
        expected = options["expected"]
        same = same_json(value, expected) or (isinstance(expected, str) and text_of(value) == expected)
        if same:
            return Outcome(value=1.0)
        return Outcome(
            value=0.0, detail=f"{options['path']}: expected {text_of(expected)}, got {text_of(value)}"
        )


def _number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        match = _NUMBER.search(cleaned)
        if match is None:
            return None
        value = float(match.group(0))
    return value if math.isfinite(value) else None


class Numeric(Unchecked):
    """The first number in the output is within `tolerance` of `expected` (`relative: true`: a share)."""

    schema: Mapping[str, Any] = {
        "properties": {
            "expected": {"type": ["number", "string"]},
            "tolerance": {"type": "number", "minimum": 0},
            "relative": {"type": "boolean"},
        }
    }
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        raw = options.get("expected", subject.case.expected)
        expected = raw if isinstance(raw, int | float) and not isinstance(raw, bool) else _number(str(raw))
        if raw is None or expected is None:
            raise ScorerError(f"expected value {raw!r} is not a number")
        got = _number(subject.output)
        if got is None:
            return Outcome(value=0.0, detail=f"no number in {subject.output.strip()[:80]!r}")
        tolerance = float(options.get("tolerance", 0.0))
        if options.get("relative"):
            tolerance *= abs(float(expected))
        ok = abs(got - float(expected)) <= tolerance + 1e-12
        return Outcome(
            value=1.0 if ok else 0.0,
            detail=None if ok else f"expected {expected:g} ± {tolerance:g}, got {got:g}",
        )


register("json_valid", JsonValid())
register("json_schema", JsonSchema())
register("json_field", JsonField())
register("numeric", Numeric())
