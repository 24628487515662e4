"""Agent and tool spans of one OTLP export joined to its chat records: litellm's nested run metadata,
unnamed runs, tool spans matched by call id or by time, and parent chains that never reach a run."""

from __future__ import annotations

import json
from typing import Any

from promptops.observe.traces import otlp

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
BASE = 1_700_000_000_000_000_000


def kv(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {"key": key, "value": value}
    return {
        "key": key,
        "value": {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value},
    }


def span(span_id: str, start_ms: int, *attrs: dict[str, Any], parent: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "spanId": span_id,
        "traceId": TRACE,
        "startTimeUnixNano": str(BASE + start_ms * 1_000_000),
        "endTimeUnixNano": str(BASE + (start_ms + 5) * 1_000_000),
        "attributes": list(attrs),
    }
    if parent is not None:
        out["parentSpanId"] = parent
    return out


def chat(span_id: str, start_ms: int, *attrs: dict[str, Any], parent: str | None = None) -> dict[str, Any]:
    return span(span_id, start_ms, kv("gen_ai.request.model", "gpt"), *attrs, parent=parent)


def run(span_id: str, start_ms: int, *attrs: dict[str, Any]) -> dict[str, Any]:
    return span(span_id, start_ms, kv("gen_ai.operation.name", "invoke_agent"), *attrs)


def tool(span_id: str, start_ms: int, *attrs: dict[str, Any], parent: str | None = None) -> dict[str, Any]:
    return span(span_id, start_ms, kv("gen_ai.operation.name", "execute_tool"), *attrs, parent=parent)


def parse(*spans: dict[str, Any]) -> Any:
    return otlp.parse({"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]})


def test_an_unnamed_run_has_no_name() -> None:
    records, other, runs = parse(run("a000000000000001", 0, kv("gen_ai.agent.name", "")))
    assert (records, other) == ([], 0)
    assert [(r.id, r.name, r.status) for r in runs] == [("a000000000000001", None, "ok")]


def test_litellm_nested_run_metadata_wins_over_the_run_span_above() -> None:
    as_kvlist = {
        "kvlistValue": {"values": [kv("promptops.workflow.id", "run-sdk"), kv("promptops.workflow.step", 4)]}
    }
    as_text = "{'promptops.workflow.id': 'run-text', 'promptops.workflow.name': 'triage', 'promptops.workflow.step': 2}"
    records, _, _ = parse(
        run("a000000000000001", 0, kv("gen_ai.agent.name", "support")),
        chat("c000000000000001", 1, kv("metadata.requester_metadata", as_kvlist), parent="a000000000000001"),
        chat("c000000000000002", 2, kv("metadata.requester_metadata", as_text), parent="a000000000000001"),
        chat(
            "c000000000000003",
            3,
            kv("metadata.requester_metadata", "{'promptops.workflow.id': "),
            parent="a000000000000001",
        ),
    )
    flows = {r.id: r.workflow for r in records}
    assert (flows["c000000000000001"].id, flows["c000000000000001"].step) == ("run-sdk", 4)
    assert (flows["c000000000000002"].id, flows["c000000000000002"].name, flows["c000000000000002"].step) == (
        "run-text",
        "triage",
        2,
    )
    assert (flows["c000000000000003"].id, flows["c000000000000003"].name, flows["c000000000000003"].step) == (
        "a000000000000001",
        "support",
        1,
    )


def test_a_tool_span_outside_any_run_joins_the_latest_earlier_call_of_its_trace() -> None:
    records, unjoined, _ = parse(
        chat("c000000000000001", 0),
        chat("c000000000000002", 10),
        chat("c000000000000003", 30),
        tool(
            "f000000000000001",
            20,
            kv("gen_ai.tool.name", "lookup"),
            kv("gen_ai.tool.call.id", "call-unknown"),
            kv("gen_ai.tool.call.arguments", json.dumps({"id": "x"})),
            kv("gen_ai.tool.call.result", json.dumps({"ok": True})),
        ),
    )
    calls = {r.id: r.tool_calls for r in records}
    assert unjoined == 0
    assert calls["c000000000000001"] == () and calls["c000000000000003"] == ()
    [joined] = calls["c000000000000002"]
    assert (joined.name, joined.id, joined.arguments, joined.status, joined.result) == (
        "lookup",
        "call-unknown",
        {"id": "x"},
        "ok",
        {"ok": True},
    )


def test_a_tool_span_before_every_call_is_counted_unjoined() -> None:
    records, unjoined, _ = parse(chat("c000000000000001", 10), tool("f000000000000001", 0))
    assert unjoined == 1 and records[0].tool_calls == ()


def test_a_tool_span_marks_the_call_with_its_id_among_several() -> None:
    output = [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call-1", "name": "lookup", "arguments": "{}"},
                {"type": "tool_call", "id": "call-2", "name": "refund", "arguments": "{}"},
            ],
        }
    ]
    failed = tool("f000000000000001", 20, kv("gen_ai.tool.call.id", "call-2"), kv("error.type", "Timeout"))
    records, unjoined, _ = parse(
        chat("c000000000000001", 0, kv("gen_ai.output.messages", json.dumps(output))), failed
    )
    assert unjoined == 0
    assert [(c.id, c.status, c.error_type) for c in records[0].tool_calls] == [
        ("call-1", None, None),
        ("call-2", "error", "Timeout"),
    ]


def test_a_parent_cycle_reaches_no_run() -> None:
    records, _, runs = parse(
        run("a000000000000001", 0),
        chat("c000000000000001", 1, parent="f000000000000001"),
        tool("f000000000000001", 2, parent="c000000000000001"),
    )
    assert [r.workflow for r in records] == [None]
    assert [r.id for r in runs] == ["a000000000000001"]
