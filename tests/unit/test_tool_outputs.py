"""Tool calls in reports: a case row shows them, and an output that moved from a tool call to text (or
back) is a changed output in the HTML report's base/head comparison."""

from __future__ import annotations

from dataclasses import replace

from promptops.config import GatePolicy
from promptops.evals import baselines
from promptops.evals.calls import ToolCall
from promptops.evals.records import RunResult, shown_output
from promptops.gate import compare
from promptops.report.html import panel
from promptops.report.markdown import markdown
from support.runs import Spec, run

CALL = ToolCall(id="call_1", name="search_orders", arguments={"order_id": "ORD-12345"})


def with_calls(result: RunResult, case_id: str, calls: tuple[ToolCall, ...], text: str) -> RunResult:
    cases = tuple(
        replace(c, attempts=tuple(replace(a, output=text, tool_calls=calls) for a in c.attempts))
        if c.id == case_id
        else c
        for c in result.cases
    )
    return replace(result, cases=cases)


def test_shown_output_lists_the_calls_after_the_text() -> None:
    assert shown_output("ok", ()) == "ok"
    assert shown_output("", (CALL,)) == '→ search_orders({"order_id": "ORD-12345"})'
    bad = ToolCall(
        id="c2", name="refund", arguments="{amount", arguments_error="arguments are not valid JSON: x"
    )
    assert (
        shown_output("Let me check.", (bad,))
        == "Let me check.\n→ refund({amount) [arguments are not valid JSON: x]"
    )


def test_tool_call_to_text_is_a_changed_output() -> None:
    cases = {f"c{i}": 1.0 for i in range(1, 5)}
    base_run = with_calls(run(cases), "c1", (CALL,), "")
    head_run = with_calls(run({**cases, "c1": Spec(scores=[0.0])}, version="1.1.0"), "c1", (), "It shipped.")
    result = compare(head_run, baselines.from_run(base_run), GatePolicy(), baseline_ref="main")
    shown = panel(result, head_run, baselines.from_run(base_run), base_run)
    row = next(c for c in shown.cases if c.id == "c1")
    assert (row.base_output, row.head_output) == ('→ search_orders({"order_id": "ORD-12345"})', "It shipped.")
    same = next(c for c in shown.cases if c.id == "c2")
    assert same.base_output == same.head_output
    text = markdown([result])
    assert "| `c1` | 1.00 → 0.00 |" in text and "It shipped." in text
