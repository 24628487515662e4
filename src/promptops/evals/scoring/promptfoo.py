"""promptfoo's assertion types as scorers, with promptfoo's names and semantics.

The semantics are those of promptfoo 0.121 (checked row by row against it: tests/fixtures/promptfoo/
conformance.jsonl). Values are compared as JavaScript compares them: `toLowerCase` (not casefold),
substring tests on the text as written, no trimming, and Levenshtein distances counted in UTF-16 code
units. `equals`, `contains` and `regex` keep promptops's own scorers (the importer writes promptfoo's
values in their form); every type here, and those three, also exist negated as `not-TYPE`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from promptops.evals.scoring import text as _builtins  # registers equals, contains, regex first
from promptops.evals.scoring.base import (
    SCORERS,
    Outcome,
    Scorer,
    ScorerError,
    Subject,
    Unchecked,
    output_json,
    register,
)
from promptops.formats import validate_data
from promptops.spec import PromptSpec

MAX_LEVENSHTEIN_WORK = 4_000_000  # code-unit pairs one distance may compare (about a second)
VALUES = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": ["string", "number"]}, "minItems": 1},
    ]
}


def comma_values(value: str) -> list[str]:
    """Return the fields of a `contains-any` string as promptfoo splits it (quoted fields keep commas)."""
    fields: list[str] = []
    i = 0
    while i < len(value):
        while i < len(value) and (value[i].isspace() or value[i] == ","):
            i += 1
        if i >= len(value):
            break
        if value[i] == '"':
            j, field = i + 1, []
            while j < len(value):
                if value[j] == '"' and j + 1 < len(value) and value[j + 1] == '"':
                    field.append('"')
                    j += 2
                elif value[j] == '"':
                    j += 1
                    break
                else:
                    field.append(value[j])
                    j += 1
            fields.append("".join(field))
            while j < len(value) and value[j].isspace():
                j += 1
            if j < len(value) and value[j] != ",":
                raise ScorerError("expected a comma after a quoted field in `value`")
            i = j
        else:
            j = value.find(",", i)
            j = len(value) if j < 0 else j
            fields.append(value[i:j].strip())
            i = j
    return fields


def js_string(value: Any) -> str:
    """Return `String(value)` as JavaScript writes it (true, 1 for 1.0, NaN, 1e-7)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        text = repr(value)
        if "e" in text:
            mantissa, exponent = text.split("e")
            sign = "-" if exponent.startswith("-") else "+"
            text = f"{mantissa}e{sign}{int(exponent.lstrip('+-'))}"
        return text
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def _values(options: Mapping[str, Any]) -> list[str]:
    value = options["value"]
    items = comma_values(value) if isinstance(value, str) else list(value)
    return [js_string(v) for v in items]


def _pass(ok: bool, detail: str) -> Outcome:
    return Outcome(value=1.0 if ok else 0.0, detail=None if ok else detail)


class IContains(Unchecked):
    """The output contains `value`, both lower-cased as JavaScript's toLowerCase does."""

    schema: Mapping[str, Any] = {
        "required": ["value"],
        "properties": {"value": {"type": ["string", "number"]}},
    }
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        value = js_string(options["value"])
        return _pass(value.lower() in subject.output.lower(), f"does not contain {value!r} (any case)")


class ContainsSome(Unchecked):
    """The output contains any (or all) of `value` (a list, or a comma-separated string)."""

    schema: Mapping[str, Any] = {"required": ["value"], "properties": {"value": VALUES}}
    threshold: float = 1.0

    def __init__(self, *, every: bool, fold: bool) -> None:
        self.every = every
        self.fold = fold

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        values = _values(options)
        output = subject.output.lower() if self.fold else subject.output
        missing = [v for v in values if (v.lower() if self.fold else v) not in output]
        ok = not missing if self.every else len(missing) < len(values)
        return _pass(ok, f"missing {missing}" if self.every else f"contains none of {values}")


class StartsWith(Unchecked):
    """The output starts with `value` (no trimming)."""

    schema: Mapping[str, Any] = {
        "required": ["value"],
        "properties": {"value": {"type": "string", "minLength": 1}},
    }
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        return _pass(subject.output.startswith(options["value"]), f"does not start with {options['value']!r}")


def _conforms(value: Any, options: Mapping[str, Any]) -> bool:
    rules = options.get("schema")
    return rules is None or not validate_data(value, rules, file="schema")


class IsJson(Unchecked):
    """The whole output is JSON (and matches `schema` when one is given)."""

    schema: Mapping[str, Any] = {"properties": {"schema": {"type": "object"}}}
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        try:
            value = output_json(subject.output)
        except ValueError:
            return Outcome(value=0.0, detail="not valid JSON")
        return _pass(_conforms(value, options), "JSON does not conform to the schema")


def json_objects(text: str) -> list[Any]:
    """Return the JSON objects embedded in `text`, found as promptfoo finds them."""
    found: list[Any] = []
    i = 0
    while i < len(text):
        if text[i] == "{":
            depth, j = 1, i + 1
            while j < len(text) and depth > 0:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            candidate = text[i:j] + "}" * depth
            try:  # JSON, as promptfoo documents it (0.121 also takes YAML such as `{a: 1}`: not followed)
                value = json.loads(candidate)
            except (ValueError, RecursionError):
                value = None
            if isinstance(value, dict | list):
                found.append(value)
                i = j - 1
        i += 1
    return found


class ContainsJson(Unchecked):
    """The output contains a JSON object (matching `schema` when one is given)."""

    schema: Mapping[str, Any] = {"properties": {"schema": {"type": "object"}}}
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        objects = json_objects(subject.output)
        ok = any(_conforms(o, options) for o in objects)
        return _pass(
            ok, "contains no JSON object" if not objects else "no JSON object conforms to the schema"
        )


def utf16_units(text: str) -> list[int]:
    """Return `text` as UTF-16 code units, the string JavaScript measures."""
    raw = text.encode("utf-16-le", "surrogatepass")
    return [raw[k] | raw[k + 1] << 8 for k in range(0, len(raw), 2)]


def levenshtein(a: str, b: str) -> int:
    """Return the edit distance of `a` and `b` in UTF-16 code units; raise ScorerError when too long."""
    x, y = utf16_units(a), utf16_units(b)
    if len(x) * len(y) > MAX_LEVENSHTEIN_WORK:
        raise ScorerError(f"the texts are too long to compare ({len(x)} x {len(y)} code units)")
    previous = list(range(len(y) + 1))
    for i, cx in enumerate(x, 1):
        current = [i]
        for j, cy in enumerate(y, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (cx != cy)))
        previous = current
    return previous[-1]


class Levenshtein(Unchecked):
    """The output is at most `max` edits (default 5, UTF-16 code units) from `value`."""

    schema: Mapping[str, Any] = {
        "required": ["value"],
        "properties": {"value": {"type": "string"}, "max": {"type": "number", "minimum": 0}},
    }
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        distance, limit = levenshtein(subject.output, options["value"]), options.get("max", 5)
        return _pass(distance <= limit, f"Levenshtein distance {distance} > {limit}")


class Bound(Unchecked):
    """The call's cost (USD) or latency (ms) is at most `max`; unknown is an error, never a pass."""

    schema: Mapping[str, Any] = {"required": ["max"], "properties": {"max": {"type": "number", "minimum": 0}}}
    threshold: float = 1.0

    def __init__(self, what: str) -> None:
        self.what = what

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        reply = subject.reply
        value = None if reply is None else reply.cost_usd if self.what == "cost" else reply.latency_ms
        if value is None:
            raise ScorerError(f"the {self.what} of this call is unknown")
        return _pass(value <= options["max"], f"{self.what} {value:g} > {options['max']:g}")


class Negated:
    """`not-TYPE`: passes exactly when TYPE fails; an error stays an error."""

    threshold: float = 1.0

    def __init__(self, inner: Scorer) -> None:
        self.inner = inner
        self.schema = inner.schema

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        return self.inner.check(options, spec, root)

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        outcome = await self.inner.score(options, subject)
        passed = outcome.value >= self.inner.threshold - 1e-9
        return Outcome(value=0.0 if passed else 1.0, detail="the negated check passed" if passed else None)


_ = _builtins  # imported for its registrations
register("icontains", IContains())
register("contains-any", ContainsSome(every=False, fold=False))
register("contains-all", ContainsSome(every=True, fold=False))
register("icontains-any", ContainsSome(every=False, fold=True))
register("icontains-all", ContainsSome(every=True, fold=True))
register("starts-with", StartsWith())
register("is-json", IsJson())
register("contains-json", ContainsJson())
register("levenshtein", Levenshtein())
register("cost", Bound("cost"))
register("latency", Bound("latency"))
NEGATABLE = (
    "equals",
    "contains",
    "regex",
    "icontains",
    "contains-any",
    "contains-all",
    "icontains-any",
    "icontains-all",
    "starts-with",
    "is-json",
    "contains-json",
    "levenshtein",
    "cost",
    "latency",
)
for _name in NEGATABLE:
    register(f"not-{_name}", Negated(SCORERS[_name]))
