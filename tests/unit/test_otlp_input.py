"""OTLP JSON input: malformed documents and spans are refused with one message naming what is wrong;
unusual but valid values (kvlists, bytes, base64 ids, litellm's nested metadata) are read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from promptops.observe.traces import otlp
from promptops.observe.traces.record import RecordError

SPAN_ID = "00f067aa0ba902b7"


def kv(key: str, value: Any) -> dict[str, Any]:
    return {"key": key, "value": value}


def doc(*spans: Any) -> dict[str, Any]:
    return {"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}


def llm(*attrs: dict[str, Any], **span: Any) -> dict[str, Any]:
    return {
        "spanId": SPAN_ID,
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
        "startTimeUnixNano": "1700000000000000000",
        "attributes": [kv("gen_ai.request.model", {"stringValue": "gpt"}), *attrs],
        **span,
    }


AGENT = [kv("gen_ai.operation.name", {"stringValue": "invoke_agent"})]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an OTLP JSON object with resourceSpans"),
        ({"resourceSpans": {}}, "expected an OTLP JSON object with resourceSpans"),
        ({"resourceSpans": [[]]}, "resourceSpans: expected objects"),
        (doc(3), "resourceSpans[].scopeSpans[].spans[]: expected an object"),
        (doc({"attributes": AGENT}), "an agent or tool span needs spanId and startTimeUnixNano"),
        (doc({"attributes": llm()["attributes"]}), "an LLM span needs spanId and startTimeUnixNano"),
        (doc(llm(spanId="zz!")), "'zz!' is not a hex or base64 id"),
        (doc(llm(spanId="00f067aa0ba902b!")), "'00f067aa0ba902b!' is not a hex or base64 id"),
        (doc(llm(startTimeUnixNano="soon")), "startTimeUnixNano: expected nanoseconds since the epoch"),
        (doc(llm(endTimeUnixNano=[1])), "endTimeUnixNano: expected nanoseconds since the epoch"),
    ],
)
def test_malformed_input_is_refused_with_one_message(data: Any, message: str) -> None:
    with pytest.raises(RecordError) as caught:
        otlp.parse(data)
    assert str(caught.value) == message


def test_resources_without_spans_are_empty() -> None:
    assert otlp.parse({"resourceSpans": [{"resource": {}}, {"scopeSpans": [{}]}]}) == ([], 0, [])


def test_attribute_values_of_every_kind() -> None:
    items = [
        3,
        {"key": 1, "value": {"stringValue": "x"}},
        kv("raw", "plain"),
        kv("list", {"kvlistValue": {"values": [kv("n", {"intValue": "2"})]}}),
        kv("bytes", {"bytesValue": "AAE="}),
        kv("empty", {}),
        kv("no_array", {"arrayValue": None}),
        kv("no_kvlist", {"kvlistValue": None}),
    ]
    assert otlp.attributes(items) == {
        "raw": "plain",
        "list": {"n": 2},
        "bytes": "AAE=",
        "empty": None,
        "no_array": [],
        "no_kvlist": {},
    }


def test_base64_ids_are_read_as_hex() -> None:
    [record], _, _ = otlp.parse(doc(llm(spanId="AQIDBAUGBwg=", traceId="S/kvNXezTaajzpKdDg5HNg==")))
    assert record.id == "0102030405060708"
    assert record.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_unreadable_optional_attributes_are_left_out() -> None:
    messages = [
        3,
        {
            "parts": [
                {"type": "tool_call", "name": "f", "arguments": "[1]"},
                {"type": "tool_call", "name": ""},
                "x",
            ]
        },
        {"parts": None},
    ]

    span = llm(
        kv("metadata.requester_metadata", {"stringValue": "{not python"}),
        kv("llm.prompt_template.variables", {"stringValue": "{bad json"}),
        kv("gen_ai.output.messages", {"stringValue": json.dumps(messages)}),
    )
    [record], _, _ = otlp.parse(doc(span))
    assert (record.prompt.name, record.variables, record.output) == (None, None, None)
    assert [(c.name, c.arguments) for c in record.tool_calls] == [("f", None)]


def test_litellm_metadata_as_a_kvlist_names_the_prompt() -> None:
    nested = {
        "kvlistValue": {
            "values": [
                kv("gen_ai.prompt.name", {"stringValue": "order-id"}),
                kv("promptops.prompt.version", {"stringValue": "1.2.0"}),
            ]
        }
    }
    [record], _, _ = otlp.parse(doc(llm(kv("metadata.requester_metadata", nested))))
    assert (record.prompt.name, record.prompt.version) == ("order-id", "1.2.0")


def test_a_failed_span_without_an_exception_event_is_a_plain_error() -> None:
    span = llm(status={"code": "STATUS_CODE_ERROR"}, events=[3, {"name": "log"}])
    [record], _, _ = otlp.parse(doc(span))
    assert (record.status, record.error_type) == ("error", "error")
