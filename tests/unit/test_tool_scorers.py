"""The tool scorers on replies with tool calls: values, reasons, matchers, templating, option checks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from promptops.evals.calls import Reply, ToolCall
from promptops.evals.cases import Case, ScorerConfig
from promptops.evals.scoring import SCORERS, Subject, resolve
from promptops.spec import Message, PromptSpec, Tool

SEARCH = Tool(
    name="search_orders",
    parameters={
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "pattern": "^ORD-\\d{5}$"},
            "limit": {"type": "integer"},
        },
        "required": ["order_id"],
    },
)
REFUND = Tool(name="refund", parameters={"type": "object", "properties": {"amount": {"type": "number"}}})
SPEC = PromptSpec(
    name="agent",
    version="1.0.0",
    model="openai/m",
    messages=(Message(role="user", content="x"),),
    tools=(SEARCH, REFUND),
)
CASE = Case(id="c1", vars={}, expected={"tool": "search_orders", "args": {"order_id": "ORD-12345"}})


def call(name: str, arguments: Any, error: str | None = None, id: str = "call_1") -> ToolCall:
    return ToolCall(id=id, name=name, arguments=arguments, arguments_error=error)


def score(kind: str, calls: tuple[ToolCall, ...], **options: Any) -> tuple[float, str | None]:
    resolved = resolve(ScorerConfig(type=kind, options=options, name=kind), CASE, kind)
    subject = Subject(output="", case=CASE, spec=SPEC, reply=Reply(text="", tool_calls=calls))
    outcome = asyncio.run(SCORERS[kind].score(resolved, subject))
    return round(outcome.value, 4), outcome.detail


def check(kind: str, **options: Any) -> list[tuple[str, str]]:
    return SCORERS[kind].check(options, SPEC, Path())


def test_tool_calls_valid() -> None:
    good = call("search_orders", {"order_id": "ORD-12345", "limit": 3})
    assert score("tool_calls_valid", (good,)) == (1.0, None)
    assert score("tool_calls_valid", ()) == (1.0, None)
    assert score("tool_calls_valid", (call("cancel", {}),)) == (
        0.0,
        "call_1: 'cancel' is not a declared tool",
    )
    assert score("tool_calls_valid", (call("search_orders", {"order_id": "12345"}),)) == (
        0.0,
        "call_1 search_orders: order_id: '12345' does not match '^ORD-\\\\d{5}$'",
    )
    assert score("tool_calls_valid", (call("refund", "{amount", "arguments are not valid JSON: x"),)) == (
        0.0,
        "call_1 refund: arguments are not valid JSON: x",
    )


def test_tool_called_bounds_pattern_and_absent() -> None:
    twice = (call("refund", {}), call("refund", {}, id="call_2"))
    assert score("tool_called", twice, name="refund") == (1.0, None)
    assert score("tool_called", twice, name="refund", max=1) == (
        0.0,
        "2 call(s) to `refund`, expected 1 to 1",
    )
    assert score("tool_called", (), name="refund") == (0.0, "0 call(s) to `refund`, expected at least 1")
    assert score("tool_called", twice, name="refund", absent=True) == (
        0.0,
        "2 call(s) to `refund`, expected no call",
    )
    assert score("tool_called", (), name="refund", absent=True) == (1.0, None)
    assert score("tool_called", twice, pattern="^ref") == (1.0, None)


def test_tool_args_matchers_and_modes() -> None:
    got = (call("search_orders", {"order_id": "ORD-12345", "limit": 3}),)
    assert score("tool_args", got, name="search_orders", args="{{ expected.args }}") == (1.0, None)
    assert score("tool_args", got, name="search_orders", args={"order_id": "ORD-12345"}, mode="exact") == (
        0.5,
        "unexpected argument limit",
    )
    assert score("tool_args", got, name="search_orders", args={"limit": 3.0})[0] == 1.0  # 1 equals 1.0
    assert score("tool_args", (call("refund", {"amount": True}),), name="refund", args={"amount": 1}) == (
        0.0,
        "amount: expected 1, got true",
    )
    matchers = {"order_id": {"regex": "^ORD-1"}, "limit": {"one_of": [2, 3]}}
    assert score("tool_args", got, name="search_orders", args=matchers) == (1.0, None)
    assert score("tool_args", got, name="search_orders", args={"limit": {"any": True}}) == (1.0, None)
    refund = (call("refund", {"amount": 25.504}),)
    assert score("tool_args", refund, name="refund", args={"amount": {"approx": 25.5}}) == (1.0, None)
    assert score(
        "tool_args", refund, name="refund", args={"amount": {"approx": 25.5, "tolerance": 0.001}}
    ) == (
        0.0,
        "amount: expected 25.5 ± 0.001, got 25.504",
    )
    assert score("tool_args", (), name="refund", args={}) == (0.0, "no call to `refund`")
    broken = (call("refund", "{", "arguments are not valid JSON: x"),)
    assert score("tool_args", broken, name="refund", args={"amount": 1}) == (
        0.0,
        "call_1: arguments are not valid JSON: x",
    )


def test_tool_selection_metrics() -> None:
    got = (call("search_orders", {}), call("search_orders", {}, id="call_2"))
    assert score("tool_selection", got, expected=["search_orders"]) == (1.0, None)
    assert score("tool_selection", got, expected=["search_orders"], multiset=True) == (
        0.6667,
        "f1 0.67: called search_orders, search_orders; expected search_orders",
    )
    assert score("tool_selection", got, expected=["search_orders", "refund"], metric="precision") == (
        1.0,
        None,
    )
    assert score("tool_selection", got, expected=["search_orders", "refund"], metric="recall")[0] == 0.5
    assert score("tool_selection", (), expected=[]) == (1.0, None)
    assert score("tool_selection", (), expected=["refund"]) == (
        0.0,
        "f1 0.00: called no tool; expected refund",
    )


@pytest.mark.parametrize(
    ("kind", "options", "problem"),
    [
        (
            "tool_called",
            {"name": "refund", "pattern": "r"},
            ("name", "needs exactly one of `name` or `pattern`"),
        ),
        ("tool_called", {}, ("name", "needs exactly one of `name` or `pattern`")),
        (
            "tool_called",
            {"name": "refund", "absent": True, "max": 1},
            ("absent", "`absent: true` takes no `min` or `max`"),
        ),
        ("tool_called", {"name": "refund", "min": 2, "max": 1}, ("min", "min 2 is greater than max 1")),
        (
            "tool_called",
            {"name": "cancel"},
            ("name", "'cancel' is not a tool of prompt 'agent' (tools: search_orders, refund)"),
        ),
        (
            "tool_args",
            {"name": "refund", "args": {"amount": {"regex": "("}}},
            (
                "args",
                "args.amount: invalid regular expression: missing ), unterminated subpattern at position 0",
            ),
        ),
        (
            "tool_args",
            {"name": "refund", "args": "amount"},
            ("args", "expected a mapping of argument names to values or matchers"),
        ),
        (
            "tool_selection",
            {"expected": ["refund", "cancel"]},
            ("expected", "'cancel' is not a tool of prompt 'agent' (tools: search_orders, refund)"),
        ),
    ],
)
def test_bad_options_are_refused_at_load(
    kind: str, options: dict[str, Any], problem: tuple[str, str]
) -> None:
    assert check(kind, **options) == [problem]


def test_templated_options_are_checked_once_rendered() -> None:
    assert check("tool_args", name="{{ expected.tool }}", args="{{ expected.args }}") == []
    assert check("tool_selection", expected="{{ expected.tools }}") == []
