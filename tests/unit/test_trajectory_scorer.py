"""The trajectory scorer's alignment is optimal: checked against brute force on small inputs."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptops.evals.cases import Case
from promptops.evals.scoring import SCORERS, Outcome, ScorerError, Subject
from promptops.evals.scoring.alignment import Order, align
from promptops.evals.trajectory import Step, Trajectory
from promptops.spec import Message, PromptSpec

NAMES = st.sampled_from(["a", "b", "c"])
ORDERS: tuple[Order, ...] = ("exact", "in_order", "any_order")


def _allowed(pairs: tuple[tuple[int, int], ...], order: Order, extra_allowed: bool) -> bool:
    if order == "any_order":
        return True
    ordered = sorted(pairs)
    if order == "in_order":
        return all(a[1] < b[1] for a, b in itertools.pairwise(ordered))
    offsets = {j - i for i, j in pairs}
    return offsets <= {0} if not extra_allowed else len(offsets) <= 1


def _brute(expected: list[str], actual: list[str], order: Order, extra_allowed: bool) -> int:
    """The largest matching, by trying every one-to-one pairing of equal names."""
    candidates = [(i, j) for i, e in enumerate(expected) for j, a in enumerate(actual) if e == a]
    best = 0
    for size in range(len(candidates) + 1):
        for pairs in itertools.combinations(candidates, size):
            if len({i for i, _ in pairs}) < size or len({j for _, j in pairs}) < size:
                continue
            if _allowed(pairs, order, extra_allowed):
                best = max(best, size)
    return best


@settings(max_examples=300, deadline=None)
@given(
    st.lists(NAMES, max_size=4),
    st.lists(NAMES, max_size=4),
    st.sampled_from(ORDERS),
    st.booleans(),
)
def test_alignment_is_optimal(expected: list[str], actual: list[str], order: Order, extra: bool) -> None:
    got = align(expected, actual, lambda e, a: e == a, order=order, extra_allowed=extra)
    assert got.matched == _brute(expected, actual, order, extra)
    assert _allowed(got.pairs, order, extra)
    assert all(expected[i] == actual[j] for i, j in got.pairs)


def test_a_greedy_match_would_lose_what_the_optimal_one_keeps() -> None:
    # greedy takes the first `a` for expected[0] and then cannot place `b, a`
    got = align(
        ["a", "b", "a"], ["b", "a", "b", "a"], lambda e, a: e == a, order="in_order", extra_allowed=True
    )
    assert got.matched == 3


def _spec() -> PromptSpec:
    return PromptSpec(
        name="agent",
        version="1.0.0",
        model="openai/gpt-4o-mini",
        messages=(Message(role="user", content="hi"),),
    )


def _score(kind: str, options: dict[str, Any], steps: list[Step]) -> Outcome:
    subject = Subject(
        output="done",
        case=Case(id="c1", vars={}),
        spec=_spec(),
        trajectory=Trajectory(steps=tuple(steps), output="done"),
    )
    return asyncio.run(SCORERS[kind].score(options, subject))


def _tool(name: str, **args: Any) -> Step:
    return Step(kind="tool", name=name, arguments=args)


LLM = Step(kind="llm", name="openai/gpt-4o-mini", cost_usd=0.001)


def test_partial_score_is_matched_over_the_longer_side_and_the_reason_is_an_aligned_diff() -> None:
    steps = [LLM, _tool("search_orders", order_id="ORD-1"), LLM, _tool("lookup_customer"), LLM]
    got = _score("trajectory", {"expected": ["search_orders", "issue_refund"], "extra": "forbid"}, steps)
    assert got.value == 0.5
    assert got.detail == (
        "1 of 2 tool steps aligned\n"
        "  expected       actual\n"
        "  search_orders  search_orders\n"
        "> issue_refund   —\n"
        "  —              lookup_customer"
    )


def test_allowed_extras_do_not_count_and_model_calls_are_not_tools() -> None:
    steps = [LLM, _tool("lookup_customer"), _tool("search_orders"), LLM]
    assert _score("trajectory", {"expected": ["search_orders"]}, steps).value == 1.0
    forbid = _score("trajectory", {"expected": ["search_orders"], "extra": "forbid"}, steps)
    assert forbid.value == 0.5


def test_order_modes() -> None:
    steps = [_tool("b"), _tool("a")]
    assert _score("trajectory", {"expected": ["a", "b"], "order": "any_order"}, steps).value == 1.0
    assert _score("trajectory", {"expected": ["a", "b"], "order": "in_order"}, steps).value == 0.5
    exact = _score("trajectory", {"expected": ["a", "b"], "order": "exact", "extra": "forbid"}, steps)
    assert exact.value == 0.0
    assert exact.detail is not None and exact.detail.splitlines()[2].startswith("> a")


def test_args_modes_compare_as_json() -> None:
    steps = [_tool("search_orders", order_id="ORD-1", verbose=True)]
    subset = {"expected": [{"name": "search_orders", "args": {"order_id": "ORD-1"}}], "args": "subset"}
    assert _score("trajectory", subset, steps).value == 1.0
    exact = {**subset, "args": "exact"}
    got = _score("trajectory", exact, steps)
    assert got.value == 0.0
    assert got.detail is not None and 'search_orders {"order_id": "ORD-1"}' in got.detail
    ignored = {**subset, "args": "ignore"}
    assert _score("trajectory", ignored, steps).value == 1.0


def test_the_best_accepted_path_counts() -> None:
    steps = [_tool("lookup_customer"), _tool("search_orders")]
    got = _score(
        "trajectory",
        {"accepted": [["search_orders"], ["lookup_customer", "search_orders"]], "extra": "forbid"},
        steps,
    )
    assert got.value == 1.0


def test_steps_and_tool_errors() -> None:
    steps = [LLM, Step(kind="tool", name="search_orders", error="not_found"), LLM, LLM]
    got = _score("steps", {"max_llm_calls": 2}, steps)
    assert (got.value, got.detail) == (0.0, "3 model calls > 2")
    assert _score("steps", {"max_tool_calls": 1}, steps).value == 1.0
    errors = _score("tool_errors", {}, steps)
    assert (errors.value, errors.detail) == (0.0, "1 tool errors > 0: search_orders (not_found)")
    assert _score("tool_errors", {"max_count": 1}, steps).value == 1.0


def test_cost_and_latency_scorers_bound_the_whole_run() -> None:
    steps = [LLM, LLM, LLM]
    got = _score("max_cost", {"max": 0.002}, steps)
    assert (got.value, got.detail) == (0.0, "cost $0.003 > $0.002")


def test_a_templated_path_comes_from_the_case() -> None:
    from promptops.evals.cases import ScorerConfig
    from promptops.evals.scoring import resolve

    config = ScorerConfig(type="trajectory", options={"expected": "{{ expected.tools }}"}, name="trajectory")
    case = Case(id="c1", vars={}, expected={"tools": ["search_orders"]}, has_expected=True)
    options = resolve(config, case, "scorer trajectory")
    assert options == {"expected": ["search_orders"]}
    assert _score("trajectory", options, [_tool("search_orders")]).value == 1.0
    assert SCORERS["trajectory"].check({"expected": "search_orders"}, _spec(), Path()) == [
        ("expected", "expected a list of tool names, or a template such as {{ expected.tools }}")
    ]
    with pytest.raises(ScorerError, match="the path is not a list"):
        _score("trajectory", {"expected": "search_orders"}, [])
