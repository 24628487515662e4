"""A small application that answers order questions with its own tool loop, for `target:` tests.

It is the application's code, not promptops': it calls the model through OPENAI_BASE_URL (the proxy
promptops points it at) with the standard library, runs its own `search_orders`, reports what it ran
(returned `trajectory`, or an OTel `execute_tool` span when SPANS is set) and reads every provider
variable it can find, to show it finds none.
"""

import json
import os
import time
import urllib.request

SEARCH = {
    "type": "function",
    "function": {
        "name": "search_orders",
        "description": "Find an order.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
}
ORDERS = {"ORD-12345": {"status": "shipped"}}


def _post(url, body, headers=None):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _span(ctx, name, arguments, result, start, end):
    trace_id = ctx.traceparent.split("-")[1]
    attributes = [
        {"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}},
        {"key": "gen_ai.tool.name", "value": {"stringValue": name}},
        {"key": "gen_ai.tool.call.arguments", "value": {"stringValue": json.dumps(arguments)}},
        {"key": "gen_ai.tool.call.result", "value": {"stringValue": json.dumps(result)}},
    ]
    span = {
        "traceId": trace_id,
        "spanId": "00f067aa0ba902b7",
        "name": f"execute_tool {name}",
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(end),
        "attributes": attributes,
    }
    endpoint = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]
    _post(endpoint + "/v1/traces", {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]})


def run_case(vars, ctx):
    keys = sorted(
        n
        for n in os.environ
        if n.endswith(("_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD")) or n.startswith("AWS_")
    )
    if keys:
        raise RuntimeError(f"saw provider variables: {keys}")
    base = os.environ["OPENAI_BASE_URL"]
    messages = [{"role": "user", "content": vars["question"]}]
    trajectory = []
    for _ in range(4):
        answer = _post(
            base + "/chat/completions",
            {"model": "gpt-4o-mini-2024-07-18", "messages": messages, "tools": [SEARCH]},
        )
        message = answer["choices"][0]["message"]
        if not message.get("tool_calls"):
            return {"output": message["content"], "trajectory": trajectory}
        messages.append(message)
        for call in message["tool_calls"]:
            arguments = json.loads(call["function"]["arguments"])
            start = time.time_ns()
            result = ORDERS.get(arguments.get("order_id"), {"error": "not_found"})
            if os.environ.get("SPANS"):
                _span(ctx, call["function"]["name"], arguments, result, start, time.time_ns())
            else:
                trajectory.append(
                    {"name": call["function"]["name"], "arguments": arguments, "result": result}
                )
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result)})
    return {"output": None, "trajectory": trajectory}
