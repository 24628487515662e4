"""promptfoo's `tool-call-f1`: the F1 of the tools an output calls against the expected names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from promptops.evals.scoring.base import Outcome, Subject, Unchecked, register
from promptops.evals.scoring.promptfoo import VALUES, js_string


def _tool_names(value: Any) -> set[str]:
    """Return the tool names in a parsed output, in the shapes promptfoo reads (OpenAI, Anthropic, Google)."""
    names: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("tool_calls"), list):
            for call in value["tool_calls"]:
                if isinstance(call, dict):
                    function = call.get("function")
                    if isinstance(function, dict) and isinstance(function.get("name"), str):
                        names.add(function["name"])
                    if isinstance(call.get("name"), str):
                        names.add(call["name"])
        elif value.get("type") == "tool_use" and isinstance(value.get("name"), str):
            names.add(value["name"])
        elif isinstance(value.get("functionCall"), dict):
            if isinstance(value["functionCall"].get("name"), str):
                names.add(value["functionCall"]["name"])
        elif isinstance(value.get("toolCall"), dict):
            calls = value["toolCall"].get("functionCalls")
            names.update(
                c["name"] for c in calls or [] if isinstance(c, dict) and isinstance(c.get("name"), str)
            )
    elif isinstance(value, list):
        for block in value:
            if not isinstance(block, dict):
                continue
            inner = block.get("functionCall") or block.get("function")
            if block.get("type") == "tool_use" and isinstance(block.get("name"), str):
                names.add(block["name"])
            elif isinstance(inner, dict):
                if isinstance(inner.get("name"), str):
                    names.add(inner["name"])
            elif isinstance(block.get("name"), str):
                names.add(block["name"])
    return names


def tool_names(output: str) -> set[str]:
    """Return the names of the tools an output calls (the whole output as JSON, else JSON lines)."""
    try:
        return _tool_names(json.loads(output))
    except (ValueError, RecursionError):
        pass
    names: set[str] = set()
    for line in output.split("\n"):
        trimmed = line.strip()
        if trimmed.startswith(("{", "[")):
            try:
                names |= _tool_names(json.loads(trimmed))
            except (ValueError, RecursionError):
                continue
    return names


class ToolCallF1(Unchecked):
    """F1 of the tools called against `value` (names; set comparison); passes at `threshold` (default 1)."""

    schema: Mapping[str, Any] = {"required": ["value"], "properties": {"value": VALUES}}
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        value = options["value"]
        wanted = (
            [v.strip() for v in value.split(",")] if isinstance(value, str) else [js_string(v) for v in value]
        )
        expected, actual = set(wanted), tool_names(subject.output)
        both = len(expected & actual)
        precision = both / len(actual) if actual else 0.0
        recall = both / len(expected) if expected else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        return Outcome(value=f1, detail=f"expected {sorted(expected)}, called {sorted(actual)}")


register("tool-call-f1", ToolCallF1())
