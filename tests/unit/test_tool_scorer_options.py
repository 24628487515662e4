"""Tool scorer option checks (one message naming the key) and the paths of tool_args and tool_selection
that templating and nested arguments reach."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from promptops.evals.calls import Reply, ToolCall
from promptops.evals.cases import Case, ScorerConfig
from promptops.evals.scoring import SCORERS, Subject, resolve
from promptops.spec import Message, PromptSpec, Tool

SPEC = PromptSpec(
    name="agent",
    version="1.0.0",
    model="openai/m",
    messages=(Message(role="user", content="x"),),
    tools=(
        Tool(name="search_orders", parameters={"type": "object", "properties": {}}),
        Tool(name="refund", parameters={"type": "object", "properties": {}}),
    ),
)
CASE = Case(id="c1", vars={}, expected={"tool": "search_orders"})
UNCLOSED = "invalid regular expression: missing ), unterminated subpattern at position 0"
NOT_A_TOOL = "'cancel' is not a tool of prompt 'agent' (tools: search_orders, refund)"


def refund(arguments: Any) -> tuple[ToolCall, ...]:
    return (ToolCall(id="call_1", name="refund", arguments=arguments, arguments_error=None),)


def score(kind: str, calls: tuple[ToolCall, ...], **options: Any) -> tuple[float, str | None]:
    resolved = resolve(ScorerConfig(type=kind, options=options, name=kind), CASE, kind)
    subject = Subject(output="", case=CASE, spec=SPEC, reply=Reply(text="", tool_calls=calls))
    outcome = asyncio.run(SCORERS[kind].score(resolved, subject))
    return round(outcome.value, 4), outcome.detail


@pytest.mark.parametrize(
    ("kind", "options", "problems"),
    [
        ("tool_called", {"pattern": "(unclosed"}, [("pattern", UNCLOSED)]),
        ("tool_called", {"pattern": "{{ expected.tool }}"}, []),
        ("tool_args", {"name": "cancel", "args": {}}, [("name", NOT_A_TOOL)]),
        (
            "tool_args",
            {"name": "refund", "args": {"a": {"any": False}}},
            [("args", "args.a: `any` must be true")],
        ),
        (
            "tool_args",
            {"name": "refund", "args": {"a": {"regex": 3}}},
            [("args", "args.a: `regex` must be text")],
        ),
        ("tool_args", {"name": "refund", "args": {"a": {"regex": "(x"}}}, [("args", f"args.a: {UNCLOSED}")]),
        ("tool_args", {"name": "refund", "args": {"a": {"regex": "{{ r }}"}}}, []),
        (
            "tool_args",
            {"name": "refund", "args": {"a": {"one_of": "x"}}},
            [("args", "args.a: `one_of` must be a list")],
        ),
        (
            "tool_args",
            {"name": "refund", "args": {"a": {"approx": "x"}}},
            [("args", "args.a: `approx` must be a number")],
        ),
        ("tool_args", {"name": "refund", "args": {"a": {"approx": "{{ x }}"}}}, []),
        (
            "tool_args",
            {"name": "refund", "args": {"a": {"regex": "x", "tolerance": 0.1}}},
            [("args", "args.a: `tolerance` is a number that goes with `approx`")],
        ),
        (
            "tool_args",
            {"name": "refund", "args": {"a": {"approx": 1, "tolerance": "big"}}},
            [("args", "args.a: `tolerance` is a number that goes with `approx`")],
        ),
        (
            "tool_args",
            {"name": "refund", "args": {"outer": {"inner": {"any": 1}}}},
            [("args", "args.outer.inner: `any` must be true")],
        ),
        ("tool_selection", {"expected": ["search_orders", "cancel"]}, [("expected", NOT_A_TOOL)]),
        ("tool_selection", {"expected": ["search_orders", "refund"]}, []),
    ],
)
def test_option_checks(kind: str, options: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    assert SCORERS[kind].check(options, SPEC, Path()) == problems


def test_tool_args_templated_to_a_non_mapping_fails_with_its_value() -> None:
    assert score("tool_args", refund({}), name="refund", args="{{ expected.tool }}") == (
        0.0,
        "args is not a mapping once templated: search_orders",
    )


def test_tool_args_empty_subset_and_exact_modes() -> None:
    assert score("tool_args", refund({"a": 1}), name="refund", args={}) == (1.0, None)
    assert score("tool_args", refund({"a": 1}), name="refund", args={}, mode="exact") == (
        0.0,
        "unexpected argument a",
    )
    assert score("tool_args", refund({"a": 1}), name="refund", args={"a": 1, "b": 2}) == (
        0.5,
        "missing argument b",
    )


def test_tool_args_nested_objects_and_lists() -> None:
    nested = refund({"o": {"i": 1, "j": 2}})
    assert score("tool_args", nested, name="refund", args={"o": {"i": 1}}) == (1.0, None)
    assert score("tool_args", nested, name="refund", args={"o": {"i": 2}}) == (0.0, "o.i: expected 2, got 1")
    assert score("tool_args", nested, name="refund", args={"o": {"i": 1}}, mode="exact") == (
        0.0,
        "unexpected argument o.j",
    )
    lists = refund({"l": [1, 2], "m": [1]})
    assert score("tool_args", lists, name="refund", args={"l": (1, 2), "m": {"one_of": [(1,), (2,)]}}) == (
        1.0,
        None,
    )


def test_tool_selection_templated_to_a_non_list_fails_with_its_value() -> None:
    assert score("tool_selection", refund({}), expected="{{ expected.tool }}") == (
        0.0,
        "expected is not a list once templated: search_orders",
    )
