"""Scorers that compare text: equals, contains, regex, similarity, max_length."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from promptops.evals.scoring.base import (
    Outcome,
    ScorerError,
    Subject,
    Unchecked,
    expected_of,
    output_json,
    register,
    same_json,
    text_of,
)
from promptops.formats import search
from promptops.spec import PromptSpec

MAX_SIMILARITY_WORK = 4_000_000  # character pairs difflib may compare for one case (about half a second)


def _fold(text: str, options: Mapping[str, Any]) -> str:
    return text.casefold() if options.get("ignore_case") else text


def _short(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


class Equals(Unchecked):
    """The output equals `expected` (whitespace-trimmed unless `strip: false`)."""

    schema: Mapping[str, Any] = {
        "properties": {
            "expected": {},
            "ignore_case": {"type": "boolean"},
            "strip": {"type": "boolean"},
        }
    }
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        expected = expected_of(options, subject, nullable=True)
        output = subject.output
        if not isinstance(expected, str):  # structured expectations compare as JSON values, types too
            try:
                if same_json(output_json(output), expected):
                    return Outcome(value=1.0)
            except ValueError:
                pass
            expected = text_of(expected)
        if options.get("strip", True):
            output, expected = output.strip(), expected.strip()
        same = _fold(output, options) == _fold(expected, options)
        return Outcome(
            value=1.0 if same else 0.0,
            detail=None if same else f"expected {_short(expected)}, got {_short(output)}",
        )


class Contains:
    """The output contains `value` (one string or a list; `mode: all` (default) or `any`)."""

    schema: Mapping[str, Any] = {
        "required": ["value"],
        "properties": {
            "value": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]
            },
            "mode": {"enum": ["all", "any"]},
            "ignore_case": {"type": "boolean"},
        },
    }
    threshold: float = 1.0

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        raw = options["value"]
        if "" in (raw if isinstance(raw, list) else [raw]):
            return [("value", "must not be empty: every output contains the empty string")]
        return []

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        raw = options["value"]
        needles = [text_of(v) for v in raw] if isinstance(raw, list) else [text_of(raw)]
        if "" in needles:  # a template that rendered empty: "" is in every output
            raise ScorerError("`value` is empty for this case")
        haystack = _fold(subject.output, options)
        found = [n for n in needles if _fold(n, options) in haystack]
        missing = [n for n in needles if n not in found]
        if options.get("mode", "all") == "any":
            value = 1.0 if found else 0.0
            return Outcome(
                value=value,
                detail=None if found else f"none of {', '.join(_short(n) for n in needles)} found",
            )
        return Outcome(
            value=len(found) / len(needles),
            detail=f"missing {', '.join(_short(n) for n in missing)}" if missing else None,
        )


class NotContains(Unchecked):
    """The output contains none of `value` (one string or a list): a case's "must not say" assertion."""

    schema: Mapping[str, Any] = {
        "required": ["value"],
        "properties": {
            "value": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]
            },
            "ignore_case": {"type": "boolean"},
        },
    }
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        raw = options["value"]
        needles = [text_of(v) for v in raw] if isinstance(raw, list) else [text_of(raw)]
        haystack = _fold(subject.output, options)
        found = [n for n in needles if _fold(n, options) in haystack]
        return Outcome(
            value=0.0 if found else 1.0,
            detail=f"contains {', '.join(_short(n) for n in found)}" if found else None,
        )


# `\d`, `\w`, `\s` and `\b` are ASCII unless `flags` has `u` (as in JavaScript, so `ORD-\d{5}` does not
# accept Arabic-Indic or full-width digits)
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "u": re.UNICODE}


class Regex:
    """The output matches `pattern` (re.search; `flags` from `imsu`; ASCII classes unless `u`)."""

    schema: Mapping[str, Any] = {
        "required": ["pattern"],
        "properties": {
            "pattern": {"type": "string"},
            "flags": {"type": "string", "pattern": "^[imsu]*$"},
        },
    }
    threshold: float = 1.0

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        if not options["pattern"]:
            return [("pattern", "must not be empty: an empty pattern matches every output")]
        if "{{" in options["pattern"]:
            return []  # templated: checked per case
        try:
            re.compile(options["pattern"])
        except re.error as exc:
            return [("pattern", f"invalid regular expression: {exc}")]
        return []

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        letters = options.get("flags", "")
        flags = 0 if "u" in letters else re.ASCII
        for letter in letters:
            flags |= _FLAGS[letter]
        if not options["pattern"]:  # a template that rendered empty would match every output
            raise ScorerError("`pattern` is empty for this case")
        try:
            matched = search(options["pattern"], subject.output, flags)  # bounded in time
        except re.error as exc:
            raise ScorerError(f"invalid regular expression: {exc}") from None
        except TimeoutError as exc:
            raise ScorerError(f"{exc} on this output; avoid nested repetition such as (a+)+") from None
        return Outcome(
            value=1.0 if matched else 0.0,
            detail=None if matched else f"{_short(subject.output)} does not match",
        )


class Similarity(Unchecked):
    """difflib's ratio between the output and `expected` (default threshold 0.8)."""

    schema: Mapping[str, Any] = {
        "properties": {"expected": {"type": "string"}, "ignore_case": {"type": "boolean"}}
    }
    threshold: float = 0.8

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        expected = expected_of(options, subject)
        a = _fold(subject.output.strip(), options)
        b = _fold(text_of(expected).strip(), options)
        if len(a) * len(b) > MAX_SIMILARITY_WORK:  # difflib is quadratic: minutes for two 20,000-char texts
            raise ScorerError(
                f"similarity would compare {len(a)} with {len(b)} characters, more than "
                f"{MAX_SIMILARITY_WORK:,} pairs; use contains, regex or max_length for long outputs"
            )
        ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
        return Outcome(value=ratio, detail=f"similarity {ratio:.3f} to {_short(text_of(expected))}")


class MaxLength(Unchecked):
    """The output is at most `max` characters (or `unit: words` / `tokens`)."""

    schema: Mapping[str, Any] = {
        "required": ["max"],
        "properties": {
            "max": {"type": "integer", "minimum": 0},
            "unit": {"enum": ["chars", "words", "tokens"]},
        },
    }
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        unit = options.get("unit", "chars")
        if unit == "tokens":
            size = subject.reply.output_tokens if subject.reply is not None else None
            if size is None:
                raise ScorerError("the provider reported no output token count")
        else:
            size = len(subject.output.split()) if unit == "words" else len(subject.output)
        ok = size <= options["max"]
        return Outcome(value=1.0 if ok else 0.0, detail=None if ok else f"{size} {unit} > {options['max']}")


register("equals", Equals())
register("contains", Contains())
register("not_contains", NotContains())
register("regex", Regex())
register("similarity", Similarity())
register("max_length", MaxLength())
