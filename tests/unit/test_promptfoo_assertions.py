"""promptfoo assertions: each type's promptops scorer entry, and the exact reason when one is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from promptops.interop.assertions import NotCarried, js_regex, scorer_entry

_SPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"


@pytest.mark.parametrize(
    ("js", "python"),
    [
        ("[\\s]", f"[{_SPACE}]"),
        ("[a[b]", "[a\\[b]"),
        ("[^a]", "[^a]"),
        ("(?:a)(?=b)", "(?:a)(?=b)"),
        ("(?<n>a)", "(?P<n>a)"),
        ("\\.", "\\."),
        ("x$", "x\\Z"),
    ],
)
def test_javascript_regexes_are_rewritten_exactly(js: str, python: str) -> None:
    assert js_regex(js) == python


def test_control_escapes_match_the_control_character() -> None:
    pattern = js_regex("a\\cJb")
    assert re.search(pattern, "a\nb", re.ASCII)
    assert not re.search(pattern, "aJb", re.ASCII)


@pytest.mark.parametrize(
    ("js", "reason"),
    [
        ("a\\", "the regex ends with a lone backslash (invalid in JavaScript)"),
        ("[\\S]", "\\S inside a character class has no exact Python form"),
        ("[^]", "an empty character class ([] or [^]) has no Python form"),
        ("[]a]", "an empty character class ([] or [^]) has no Python form"),
        ("(a", "not a valid regular expression: missing ), unterminated subpattern at position 0"),
        ("\\k<a>", "not a valid regular expression: unknown group name 'a' at position 4"),
        ("[a", "unterminated character class (invalid in JavaScript)"),
    ],
)
def test_regexes_without_an_exact_python_form_say_why(js: str, reason: str) -> None:
    with pytest.raises(NotCarried) as caught:
        js_regex(js)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("assertion", "entry"),
    [
        ({"type": "starts-with", "value": 3}, {"type": "starts-with", "value": "3"}),
        ({"type": "contains-all", "value": "a,b"}, {"type": "contains-all", "value": "a,b"}),
        ({"type": "icontains-any", "value": [1, "b"]}, {"type": "icontains-any", "value": ["1", "b"]}),
        ({"type": "regex", "value": "^a$"}, {"type": "regex", "pattern": "^a\\Z"}),
        ({"type": "is-json"}, {"type": "is-json"}),
        (
            {"type": "contains-json", "value": "type: object"},
            {"type": "contains-json", "schema": {"type": "object"}},
        ),
        ({"type": "is-json", "value": {"type": "object"}}, {"type": "is-json", "schema": {"type": "object"}}),
        ({"type": "levenshtein", "value": "x"}, {"type": "levenshtein", "value": "x", "max": 5}),
        (
            {"type": "tool-call-f1", "value": "a,b", "threshold": 0.5},
            {"type": "tool-call-f1", "value": "a,b", "threshold": 0.5},
        ),
        ({"type": "tool-call-f1", "value": [1]}, {"type": "tool-call-f1", "value": ["1"]}),
        ({"type": "latency", "threshold": 100}, {"type": "latency", "max": 100}),
        ({"type": "equals", "value": None}, {"type": "equals", "expected": None, "strip": False}),
        ({"type": "equals", "value": {"a": 1}}, {"type": "equals", "expected": {"a": 1}, "strip": False}),
        (
            {"type": "equals", "value": "{{ a }}"},
            {"type": "equals", "expected": "{{ vars.a }}", "strip": False},
        ),
        (
            {"type": "contains-any", "value": ["{{ a }}", "b"]},
            {"type": "contains-any", "value": ["{{ vars.a }}", "b"]},
        ),
    ],
)
def test_assertions_become_scorer_entries(assertion: dict[str, Any], entry: dict[str, Any]) -> None:
    assert scorer_entry(assertion) == entry


@pytest.mark.parametrize(
    ("assertion", "reason"),
    [
        (
            {"type": "javascript", "value": "output.length > 3"},
            "JavaScript assertions run code promptops does not execute; rewrite as a `python` scorer",
        ),
        (
            {"type": "not-python", "value": "x.py"},
            "promptfoo's python assertions take (output, context); rewrite as a promptops `python` scorer "
            "(module:function)",
        ),
        (
            {"type": "contains", "value": "x", "transform": "output.trim()"},
            "assertion `transform` runs JavaScript; not carried",
        ),
        ({"type": "contains", "value": ""}, "promptfoo needs a non-empty string or number for contains"),
        (
            {"type": "contains", "value": float("nan")},
            "promptfoo needs a non-empty string or number for contains",
        ),
        ({"type": "icontains", "value": ""}, "promptfoo needs a non-empty string value for icontains"),
        ({"type": "contains-any", "value": []}, "promptfoo needs a value for contains-any"),
        ({"type": "regex", "value": 3}, "promptfoo needs a string value for regex"),
        (
            {"type": "regex", "value": "(?i)x"},
            "JavaScript has no inline flags such as (?i): promptfoo 0.121 "
            "reports an invalid regex and fails every output",
        ),
        (
            {"type": "is-json", "value": "file://s.json"},
            "a JSON schema in a file:// reference is not read; inline it",
        ),
        ({"type": "is-json", "value": "[1]"}, "the schema must be an object"),
        ({"type": "levenshtein", "value": 1}, "promptfoo needs a string value for levenshtein"),
        ({"type": "tool-call-f1"}, "promptfoo needs the expected tool names for tool-call-f1"),
        ({"type": "llm-rubric", "value": ""}, "only a text rubric is carried for llm-rubric"),
        (
            {"type": "llm-rubric", "value": "polite"},
            "no grading provider: set defaultTest.options.provider to an OpenAI-compatible model",
        ),
        (
            {"type": "not-llm-rubric", "value": "polite"},
            "assertion type 'not-llm-rubric' has no promptops scorer",
        ),
        ({"type": "foo"}, "assertion type 'foo' has no promptops scorer"),
        (
            {"type": "equals", "value": "x", "threshold": 1},
            "threshold on equals has no effect in promptfoo's deterministic checks; remove it",
        ),
        (
            {"type": "equals", "value": ["{{ a | dump }}"]},
            "the `dump` filter writes JSON spaced as JSON.stringify does; no Jinja2 filter matches it",
        ),
    ],
)
def test_refused_assertions_say_why(assertion: dict[str, Any], reason: str) -> None:
    with pytest.raises(NotCarried) as caught:
        scorer_entry(assertion)
    assert str(caught.value) == reason


def test_a_schema_that_is_not_yaml_names_the_parse_error() -> None:
    with pytest.raises(NotCarried, match=r"^the schema is not YAML or JSON: schema:1: invalid YAML: "):
        scorer_entry({"type": "is-json", "value": "a: [b"})


@pytest.mark.parametrize(
    ("judge", "params"),
    [("openai/gpt-5-mini", {"temperature": 1}), ("openai/o3", {"temperature": 1}), ("openai/gpt-4o", None)],
)
def test_rubrics_grade_with_the_judge_and_reasoning_models_get_temperature_1(
    judge: str, params: dict[str, Any] | None
) -> None:
    expected: dict[str, Any] = {"type": "llm_judge", "rubric": "polite", "model": judge}
    if params is not None:
        expected["params"] = params
    expected["threshold"] = 0.7
    assert scorer_entry({"type": "llm-rubric", "value": "polite", "threshold": 0.7}, judge=judge) == expected


def test_a_named_backreference_without_its_closing_bracket_is_refused_not_a_crash() -> None:
    with pytest.raises(NotCarried) as caught:
        js_regex("\\k<name")
    assert str(caught.value) == "\\k< without a closing > has no exact Python form"
