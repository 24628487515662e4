"""A small order-support application: its own tool loop over an OpenAI-compatible API.

promptops runs `run_case` once per case run in a child process. OPENAI_BASE_URL points at promptops'
loopback proxy, which adds the provider key: this code never holds one.
"""

import json
import os
import urllib.request

ORDERS = {"ORD-12345": {"status": "shipped", "eta": "tomorrow"}, "ORD-22222": {"status": "processing"}}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_orders",
            "description": "Find the signed-in customer's order by its order ID and return its status.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]


def _chat(messages):
    body = {"model": "gpt-4o-mini-2024-07-18", "messages": messages, "tools": TOOLS}
    request = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer unused"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["choices"][0]["message"]


def run_case(vars, ctx):
    """Answer one question; return the answer and the tools this run executed."""
    messages = [
        {"role": "system", "content": "You help customers with their orders. Look an order up first."},
        {"role": "user", "content": vars["question"]},
    ]
    trajectory = []
    for _ in range(5):
        message = _chat(messages)
        if not message.get("tool_calls"):
            return {"output": message.get("content") or "", "trajectory": trajectory}
        messages.append(message)
        for call in message["tool_calls"]:
            arguments = json.loads(call["function"]["arguments"] or "{}")
            result = ORDERS.get(arguments.get("order_id"), {"error": "not_found"})
            trajectory.append({"name": call["function"]["name"], "arguments": arguments, "result": result})
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result)})
    return {"output": "", "trajectory": trajectory}
