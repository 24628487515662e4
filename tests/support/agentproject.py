"""A small workflow project on disk: an order-support agent prompt with tools, a workflow suite, cases."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from support.evalproject import FAST_CONFIG

AGENT = """\
name: support/order-agent
version: 1.0.0
model: openai/gpt-4o-mini-2024-07-18
params: {temperature: 0, max_tokens: 64}
inputs:
  type: object
  required: [question]
  properties:
    question: {type: string, minLength: 1}
tools:
  - name: search_orders
    description: Find the signed-in customer's orders by ID.
    parameters:
      type: object
      properties: {order_id: {type: string}}
      required: [order_id]
  - name: issue_refund
    description: Refund one of the customer's orders.
    parameters:
      type: object
      properties: {order_id: {type: string}}
      required: [order_id]
  - name: lookup_customer
    description: Look the signed-in customer up.
    parameters:
      type: object
      properties: {id: {type: integer}}
tool_choice: auto
messages:
  - role: system
    content: You help customers with their orders. Look an order up before answering about it.
  - role: user
    content: "{{ question }}"
"""

SUITE = """\
prompt: support/order-agent
dataset: data/order-agent.jsonl
loop: {max_steps: 8, max_tool_calls: 12, timeout_s: 30, max_cost_usd: 0.05}
tools:
  search_orders: {mode: mock, by: order_id, responses: {ORD-12345: {status: shipped}, "*": {error: not_found}}}
  issue_refund: {mode: deny}
  lookup_customer: {mode: replay, cassette: cassettes/lookup_customer.jsonl}
scorers:
  - {type: trajectory, expected: [search_orders]}
"""

CASSETTE = (
    json.dumps({"tool": "lookup_customer", "arguments": {"id": 1}, "result": {"name": "Ada"}, "error": None})
    + "\n"
    + json.dumps({"tool": "lookup_customer", "arguments": {"id": 1}, "result": None, "error": "timeout"})
    + "\n"
)

CASES: list[dict[str, Any]] = [
    {"id": "c01", "vars": {"question": "Where is search_orders order_id=ORD-12345"}, "expected": "shipped"},
    {"id": "c02", "vars": {"question": "Where is search_orders order_id=ORD-99999"}, "expected": "not found"},
]


def agent_answer(messages: list[dict[str, Any]]) -> str:
    """Answer like a good agent after its tool ran: the order's status from the last tool message."""
    last = messages[-1] if messages else {}
    if last.get("role") == "tool":
        return "shipped" if "shipped" in str(last.get("content")) else "not found"
    return "I need to look that up."


def write_agent_project(
    root: Path,
    *,
    suite: str = SUITE,
    cases: list[dict[str, Any]] | None = None,
    cassette: str = CASSETTE,
    files: dict[str, str] | None = None,
    config: str = FAST_CONFIG,
) -> Path:
    """Write promptops.yaml, prompts/support/order-agent.yaml, its workflow suite, cases and cassette."""
    content = {
        "promptops.yaml": config,
        "prompts/support/order-agent.yaml": AGENT,
        "evals/order-agent.yaml": suite,
        "evals/data/order-agent.jsonl": "".join(json.dumps(c) + "\n" for c in (cases or CASES)),
        "evals/cassettes/lookup_customer.jsonl": cassette,
        **(files or {}),
    }
    for rel, text in content.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if rel.endswith(".yaml") else text, encoding="utf-8")
    return root
