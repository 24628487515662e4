"""Scorers of tool calls: tool_calls_valid, tool_called, tool_args, tool_selection (DESIGN.md §9.2).

They read `subject.reply.tool_calls` (a reply without calls has none). Arguments are validated with the
prompt's own parameter schemas: formats caches one compiled validator per schema object, so a suite
compiles each tool's schema once, never per call.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from promptops.evals.calls import ToolCall
from promptops.evals.scoring.base import Outcome, Subject, Unchecked, register, same_json, text_of
from promptops.formats import find, validate_data
from promptops.spec import PromptSpec

MATCHERS = ("regex", "any", "one_of", "approx")
DEFAULT_APPROX = 0.01


def _calls(subject: Subject) -> tuple[ToolCall, ...]:
    return subject.reply.tool_calls if subject.reply is not None else ()


def _templated(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _unknown_tool(name: Any, spec: PromptSpec) -> str | None:
    if not isinstance(name, str) or _templated(name) or spec.tool(name) is not None:
        return None
    known = ", ".join(t.name for t in spec.tools) or "none"
    return f"'{name}' is not a tool of prompt '{spec.name}' (tools: {known})"


class ToolCallsValid(Unchecked):
    """Every tool call names a declared tool and its arguments validate against that tool's schema."""

    schema: Mapping[str, Any] = {"properties": {}}
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        for call in _calls(subject):
            tool = subject.spec.tool(call.name)
            if tool is None:
                return Outcome(value=0.0, detail=f"{call.id}: '{call.name}' is not a declared tool")
            if call.arguments_error is not None:
                return Outcome(value=0.0, detail=f"{call.id} {call.name}: {call.arguments_error}")
            problems = validate_data(call.arguments, tool.parameters)
            if problems:
                first = problems[0]
                where = f"{first.path}: " if first.path else ""
                return Outcome(value=0.0, detail=f"{call.id} {call.name}: {where}{first.message}")
        return Outcome(value=1.0)


class ToolCalled:
    """Calls to a tool (by `name` or `pattern`) number between `min` (default 1) and `max`;
    `absent: true`: the tool must not be called."""

    schema: Mapping[str, Any] = {
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "pattern": {"type": "string", "minLength": 1},
            "min": {"type": "integer", "minimum": 0},
            "max": {"type": "integer", "minimum": 0},
            "absent": {"type": "boolean"},
        }
    }
    threshold: float = 1.0

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        if ("name" in options) == ("pattern" in options):
            return [("name", "needs exactly one of `name` or `pattern`")]
        if options.get("absent") and ("min" in options or "max" in options):
            return [("absent", "`absent: true` takes no `min` or `max`")]
        if "min" in options and "max" in options and options["min"] > options["max"]:
            return [("min", f"min {options['min']} is greater than max {options['max']}")]
        if "pattern" in options and not _templated(options["pattern"]):
            try:
                re.compile(options["pattern"])
            except re.error as exc:
                return [("pattern", f"invalid regular expression: {exc}")]
        unknown = _unknown_tool(options.get("name"), spec)
        return [("name", unknown)] if unknown else []

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        if "name" in options:
            label = f"`{options['name']}`"
            count = sum(1 for c in _calls(subject) if c.name == options["name"])
        else:
            label = f"a tool matching /{options['pattern']}/"
            count = sum(1 for c in _calls(subject) if find(options["pattern"], c.name) is not None)
        low, high = (0, 0) if options.get("absent") else (int(options.get("min", 1)), options.get("max"))
        if count < low or (high is not None and count > high):
            wanted = "no call" if high == 0 else f"at least {low}" if high is None else f"{low} to {high}"
            return Outcome(value=0.0, detail=f"{count} call(s) to {label}, expected {wanted}")
        return Outcome(value=1.0)


class ToolArgs:
    """A call to `name` has arguments matching `args` (`mode: subset`, the default: the listed fields;
    `exact`: no other fields). A field may be a matcher: `{regex: ...}`, `{any: true}`,
    `{one_of: [...]}`, `{approx: VALUE, tolerance: 0.01}`. 1 equals 1.0; true never equals 1.
    The value is the best call's share of matching fields."""

    schema: Mapping[str, Any] = {
        "required": ["name", "args"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "args": {"type": ["object", "string"]},
            "mode": {"enum": ["exact", "subset"]},
        },
    }
    threshold: float = 1.0

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        unknown = _unknown_tool(options["name"], spec)
        if unknown:
            return [("name", unknown)]
        args = options["args"]
        if isinstance(args, str) and not _templated(args):
            return [("args", "expected a mapping of argument names to values or matchers")]
        for path, matcher in _matchers(args if isinstance(args, Mapping) else {}, "args"):
            problem = _matcher_problem(matcher)
            if problem:
                return [("args", f"{path}: {problem}")]
        return []

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        name, expected = options["name"], options["args"]
        if not isinstance(expected, Mapping):
            return Outcome(value=0.0, detail=f"args is not a mapping once templated: {text_of(expected)}")
        exact = options.get("mode", "subset") == "exact"
        candidates = [c for c in _calls(subject) if c.name == name]
        if not candidates:
            return Outcome(value=0.0, detail=f"no call to `{name}`")
        best: tuple[float, str | None] = (-1.0, None)
        for call in candidates:
            found: tuple[float, str | None]
            if call.arguments_error is not None or not isinstance(call.arguments, Mapping):
                found = (0.0, f"{call.id}: {call.arguments_error or 'arguments are not an object'}")
            else:
                found = _fields(expected, call.arguments, exact, "")
            if found[0] > best[0]:
                best = found
            if found[0] >= 1.0:
                break
        value, detail = best
        return Outcome(value=value, detail=None if value >= 1.0 else detail)


def _fields(
    expected: Mapping[str, Any], actual: Mapping[str, Any], exact: bool, at: str
) -> tuple[float, str | None]:
    keys = list(expected)
    extra = sorted(set(actual) - set(expected)) if exact else []
    total = len(keys) + len(extra)
    if total == 0:
        return 1.0, None
    good = 0
    first: str | None = f"unexpected argument {at}{extra[0]}" if extra else None
    for key in keys:
        path = f"{at}{key}"
        if key not in actual:
            first = first or f"missing argument {path}"
            continue
        ok, why = _match(expected[key], actual[key], exact, path)
        if ok:
            good += 1
        else:
            first = first or why
    return good / total, first


def _match(expected: Any, actual: Any, exact: bool, path: str) -> tuple[bool, str | None]:
    if _is_matcher(expected):
        return _apply(expected, actual, path)
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        value, why = _fields(expected, actual, exact, f"{path}.")
        return value >= 1.0, why
    if same_json(_plain(expected), actual):
        return True, None
    return False, f"{path}: expected {text_of(expected)}, got {text_of(actual)}"


def _apply(matcher: Mapping[str, Any], actual: Any, path: str) -> tuple[bool, str | None]:
    if "any" in matcher:
        return True, None
    if "regex" in matcher:
        ok = isinstance(actual, str) and find(matcher["regex"], actual) is not None
        return ok, None if ok else f"{path}: {text_of(actual)} does not match /{matcher['regex']}/"
    if "one_of" in matcher:
        ok = any(same_json(_plain(option), actual) for option in matcher["one_of"])
        return (
            ok,
            None if ok else f"{path}: {text_of(actual)} is not one of {text_of(_plain(matcher['one_of']))}",
        )
    target, tolerance = matcher["approx"], float(matcher.get("tolerance", DEFAULT_APPROX))
    number = isinstance(actual, int | float) and not isinstance(actual, bool) and math.isfinite(actual)
    ok = number and abs(float(actual) - float(target)) <= tolerance + 1e-12
    return ok, None if ok else f"{path}: expected {target} ± {tolerance:g}, got {text_of(actual)}"


def _is_matcher(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and len(set(value) & set(MATCHERS)) == 1
        and set(value) <= {*MATCHERS, "tolerance"}
    )


def _matchers(value: Mapping[str, Any], at: str) -> list[tuple[str, Mapping[str, Any]]]:
    out: list[tuple[str, Mapping[str, Any]]] = []
    for key, item in value.items():
        if _is_matcher(item):
            out.append((f"{at}.{key}", item))
        elif isinstance(item, Mapping):
            out += _matchers(item, f"{at}.{key}")
    return out


def _matcher_problem(matcher: Mapping[str, Any]) -> str | None:
    if "any" in matcher and matcher["any"] is not True:
        return "`any` must be true"
    if "regex" in matcher and not _templated(matcher["regex"]):
        if not isinstance(matcher["regex"], str):
            return "`regex` must be text"
        try:
            re.compile(matcher["regex"])
        except re.error as exc:
            return f"invalid regular expression: {exc}"
    if "one_of" in matcher and not isinstance(matcher["one_of"], list | tuple):
        return "`one_of` must be a list"
    if (
        "approx" in matcher
        and not isinstance(matcher["approx"], int | float)
        and not _templated(matcher["approx"])
    ):
        return "`approx` must be a number"
    if "tolerance" in matcher and (
        "approx" not in matcher or not isinstance(matcher["tolerance"], int | float)
    ):
        return "`tolerance` is a number that goes with `approx`"
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


class ToolSelection:
    """The tools called match `expected` (names): `metric` f1 (default), precision or recall; with
    `multiset: true` each call counts (two calls to one tool are not one)."""

    schema: Mapping[str, Any] = {
        "required": ["expected"],
        "properties": {
            "expected": {"type": ["array", "string"], "items": {"type": "string"}},
            "metric": {"enum": ["f1", "precision", "recall"]},
            "multiset": {"type": "boolean"},
        },
    }
    threshold: float = 1.0

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        expected = options["expected"]
        if isinstance(expected, str):
            return [] if _templated(expected) else [("expected", "expected a list of tool names")]
        for name in expected:
            unknown = _unknown_tool(name, spec)
            if unknown:
                return [("expected", unknown)]
        return []

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        expected = options["expected"]
        if not isinstance(expected, Sequence) or isinstance(expected, str):
            return Outcome(value=0.0, detail=f"expected is not a list once templated: {text_of(expected)}")
        wanted, got = Counter(str(n) for n in expected), Counter(c.name for c in _calls(subject))
        if not options.get("multiset"):
            wanted, got = Counter(set(wanted)), Counter(set(got))
        hit = sum((wanted & got).values())
        precision = hit / sum(got.values()) if got else (1.0 if not wanted else 0.0)
        recall = hit / sum(wanted.values()) if wanted else (1.0 if not got else 0.0)
        metric = options.get("metric", "f1")
        if metric == "precision":
            value = precision
        elif metric == "recall":
            value = recall
        else:
            value = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        if value >= 1.0:
            return Outcome(value=1.0)
        shown = ", ".join(sorted(got.elements())) or "no tool"
        hoped = ", ".join(sorted(wanted.elements())) or "no tool"
        return Outcome(value=value, detail=f"{metric} {value:.2f}: called {shown}; expected {hoped}")


register("tool_calls_valid", ToolCallsValid())
register("tool_called", ToolCalled())
register("tool_args", ToolArgs())
register("tool_selection", ToolSelection())
