"""promptfoo assertions as promptops scorer entries (the form a suite file holds), or the reason not.

Types promptfoo and promptops share a name for (`equals`, `contains`, `regex`) are written in the
promptops scorer's form with promptfoo's semantics kept: `equals` untrimmed and case-sensitive,
numbers and booleans as JavaScript's `String()` writes them, regexes rewritten from JavaScript's
dialect to Python's exactly (or refused). The other types keep promptfoo's names (see
`evals.scoring.promptfoo`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from promptops.errors import FileFormatError
from promptops.evals.scoring.promptfoo import js_string
from promptops.interop.nunjucks import Refused, scoped, translate
from promptops.yamltext import parse_yaml

_JS_SPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_NOT_CARRIED = {
    "javascript": "JavaScript assertions run code promptops does not execute; rewrite as a `python` scorer",
    "python": "promptfoo's python assertions take (output, context); rewrite as a promptops `python` scorer "
    "(module:function)",
    "webhook": "webhook assertions call a URL at eval time; promptops scorers do not reach the network",
    "similar": "embedding similarity needs an embedding provider; use `similarity` or `llm_judge`",
    "is-valid-openai-tools-call": "checks calls against the provider's tool definitions, which promptops "
    "prompt files do not hold yet (DESIGN section 9)",
    "select-best": "select-best compares outputs across providers; promptops scores each case on its own",
}
_TEXT_TYPES = ("icontains", "starts-with")
_LIST_TYPES = ("contains-any", "contains-all", "icontains-any", "icontains-all")
_BOUNDED = ("cost", "latency")
COMMON = ("type", "value", "threshold", "weight", "metric", "transform", "provider", "config")


class NotCarried(Exception):
    """The assertion cannot be expressed as a promptops scorer; the message says why."""


def js_regex(pattern: str) -> str:
    """Return a Python pattern (for the `regex` scorer's default ASCII classes) that matches what
    JavaScript's `new RegExp(pattern)` matches; raise NotCarried when there is no exact form."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                raise NotCarried("the regex ends with a lone backslash (invalid in JavaScript)")
            e = pattern[i + 1]
            i += 2
            if e == "s":
                out.append(_JS_SPACE if in_class else f"[{_JS_SPACE}]")
            elif e == "S":
                if in_class:
                    raise NotCarried(r"\S inside a character class has no exact Python form")
                out.append(f"[^{_JS_SPACE}]")
            elif e in "dDwWbBtnrfv0" or e.isdigit() or e in "xu":
                if e == "u" and pattern[i : i + 1] == "{":
                    raise NotCarried(r"\u{...} escapes need JavaScript's u flag")
                out.append("\\" + e)
            elif e == "k" and pattern[i : i + 1] == "<":
                end = pattern.find(">", i)
                if end < 0:
                    raise NotCarried(r"\k< without a closing > has no exact Python form")
                out.append(f"(?P={pattern[i + 1 : end]})")
                i = end + 1
            elif e == "c" and i < len(pattern) and pattern[i].isalpha():
                out.append(re.escape(chr(ord(pattern[i]) % 32)))
                i += 1
            elif e.isalpha():  # an identity escape: `\A` is the letter A in JavaScript
                out.append(e)
            else:
                out.append("\\" + e)
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(c)
        elif c == "[":
            if pattern.startswith("[^]", i) or pattern.startswith("[]", i):
                raise NotCarried("an empty character class ([] or [^]) has no Python form")
            in_class = True
            out.append(c)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
        elif c == "$":
            out.append(r"\Z")
        elif c == ".":
            out.append("[^\\n\\r\\u2028\\u2029]")
        elif c == "(" and pattern[i + 1 : i + 2] == "?":
            rest = pattern[i + 2 :]
            if rest.startswith(("<=", "<!", ":", "=", "!")):
                out.append(c)
            elif rest.startswith("<"):
                out.append("(?P<")
                i += 3
                continue
            else:
                raise NotCarried(
                    "JavaScript has no inline flags such as (?i): promptfoo 0.121 reports an invalid "
                    "regex and fails every output"
                )
        elif c == "{" and pattern[i + 1 : i + 2] == ",":
            raise NotCarried("`{,n}` is a literal in JavaScript but a quantifier in Python")
        else:
            out.append(c)
        i += 1
    if in_class:
        raise NotCarried("unterminated character class (invalid in JavaScript)")
    translated = "".join(out)
    try:
        re.compile(translated, re.ASCII)
    except re.error as exc:
        raise NotCarried(f"not a valid regular expression: {exc}") from None
    return translated


def _schema(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        if value.startswith("file://"):
            raise NotCarried("a JSON schema in a file:// reference is not read; inline it")
        try:
            value = parse_yaml(value, "schema").data
        except FileFormatError as exc:
            raise NotCarried(f"the schema is not YAML or JSON: {exc}") from None
    if not isinstance(value, dict):
        raise NotCarried("the schema must be an object")
    return value


def _templated(value: Any) -> Any:
    """Return an assertion value with its Nunjucks variables read from the case's `vars`."""
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        try:
            return scoped(translate(value).text)
        except Refused as exc:
            raise NotCarried(exc.reason) from None
    if isinstance(value, list):
        return [_templated(v) for v in value]
    return value


def scorer_entry(assertion: Mapping[str, Any], *, judge: str | None = None) -> dict[str, Any]:
    """Return the promptops scorer entry for one promptfoo assertion; raise NotCarried."""
    kind = str(assertion.get("type", ""))
    negated = kind.startswith("not-")
    base = kind[4:] if negated else kind
    value = _templated(assertion.get("value"))
    threshold = assertion.get("threshold")
    if kind in _NOT_CARRIED or base in _NOT_CARRIED:
        raise NotCarried(_NOT_CARRIED.get(kind) or _NOT_CARRIED[base])
    if "transform" in assertion:
        raise NotCarried("assertion `transform` runs JavaScript; not carried")
    entry: dict[str, Any]
    if base == "equals":
        expected = value if isinstance(value, dict | list) or value is None else js_string(value)
        entry = {"type": "equals", "expected": expected, "strip": False}
    elif base == "contains":
        if not (isinstance(value, str) and value) and not (
            isinstance(value, int | float) and not math.isnan(value)
        ):
            raise NotCarried("promptfoo needs a non-empty string or number for contains")
        entry = {"type": "contains", "value": js_string(value)}
    elif base in _TEXT_TYPES:
        if not isinstance(value, str | int | float) or value == "":
            raise NotCarried(f"promptfoo needs a non-empty string value for {base}")
        entry = {"type": base, "value": js_string(value)}
    elif base in _LIST_TYPES:
        if not value:
            raise NotCarried(f"promptfoo needs a value for {base}")
        entry = {"type": base, "value": value if isinstance(value, str) else [js_string(v) for v in value]}
    elif base == "regex":
        if not isinstance(value, str) or not value:
            raise NotCarried("promptfoo needs a string value for regex")
        entry = {"type": "regex", "pattern": js_regex(value)}
    elif base in ("is-json", "contains-json"):
        entry = {"type": base} if value is None else {"type": base, "schema": _schema(value)}
    elif base == "levenshtein":
        if not isinstance(value, str):
            raise NotCarried("promptfoo needs a string value for levenshtein")
        entry = {"type": base, "value": value, "max": 5 if threshold is None else threshold}
        threshold = None
    elif kind == "tool-call-f1":
        if not value:
            raise NotCarried("promptfoo needs the expected tool names for tool-call-f1")
        entry = {"type": kind, "value": value if isinstance(value, str) else [js_string(v) for v in value]}
        if threshold is not None:
            entry["threshold"] = threshold
        threshold = None
    elif base in _BOUNDED:
        if threshold is None:
            raise NotCarried(f"promptfoo needs a threshold for {base}")
        entry, threshold = {"type": base, "max": threshold}, None
    elif kind == "llm-rubric":
        if not isinstance(value, str) or not value:
            raise NotCarried("only a text rubric is carried for llm-rubric")
        if judge is None:
            raise NotCarried(
                "no grading provider: set defaultTest.options.provider to an OpenAI-compatible model"
            )
        entry = {"type": "llm_judge", "rubric": value, "model": judge}
        if judge.startswith(("openai/gpt-5", "openai/o")):  # reasoning models take only temperature 1
            entry["params"] = {"temperature": 1}
        if threshold is not None:
            entry["threshold"] = threshold
        threshold = None
    else:
        raise NotCarried(f"assertion type '{kind}' has no promptops scorer")
    if negated:
        entry["type"] = f"not-{entry['type']}"
    if threshold is not None:
        raise NotCarried(f"threshold on {kind} has no effect in promptfoo's deterministic checks; remove it")
    if "weight" in assertion:
        entry["weight"] = assertion["weight"]
    if assertion.get("metric"):
        entry["name"] = str(assertion["metric"])
    return entry
