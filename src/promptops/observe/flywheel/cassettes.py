"""Failed workflow runs for `cases propose --failed`, and their recorded tool results as a replay cassette.

A run fails (DESIGN §9.4) when its run span carries an error (`timeout` among them), its last model call
failed, or a call of it carries a failing score. The case proposed from it takes the variables of the
run's first call; its cassette is the run's tool calls in order, one JSON line each (`{tool, arguments,
result, error}`, the §9.3 format), the result from the recorded execution, else from the `tool` message
that answered the call in a later call's input, with the case's placeholders applied.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from promptops.observe.flywheel.placeholders import Placeholders
from promptops.observe.traces.calls import Call

FAILING_SCORE = 0.5


def by_run(calls: Sequence[Call]) -> dict[str, list[Call]]:
    """Return the calls of each run, in step order (time where no step was recorded)."""
    out: dict[str, list[Call]] = {}
    for call in calls:
        if call.run is not None:
            out.setdefault(call.run.id, []).append(call)
    for members in out.values():
        members.sort(key=lambda c: (c.run.step if c.run and c.run.step is not None else 1 << 30, c.at, c.id))
    return out


def failed(run: Sequence[Call]) -> bool:
    """Return whether a run (its calls in order) failed or timed out."""
    if any(c.run is not None and c.run.status == "error" for c in run):
        return True
    if run and run[-1].status == "error":
        return True
    return any(s.value is not None and s.value < FAILING_SCORE for c in run for s in c.scores)


def failed_runs(calls: Sequence[Call], prompt: str) -> list[Call]:
    """Return the first call of every failed run whose first call served `prompt`, oldest first."""
    firsts = [run[0] for run in by_run(calls).values() if run[0].prompt == prompt and failed(run)]
    return sorted(firsts, key=lambda c: (c.at, c.id))


def cassette(run: Sequence[Call], table: Placeholders) -> list[dict[str, Any]]:
    """Return the replay cassette lines of a run, with the placeholders of `table` applied."""
    answers = _tool_messages(run)
    lines = []
    for call in run:
        for tool in call.tool_calls:
            result = tool.result if tool.result is not None else answers.get(tool.id or "")
            error = (tool.error_type or "error") if tool.status == "error" else None
            line = {"tool": tool.name, "arguments": tool.arguments or {}, "result": result, "error": error}
            lines.append(table.value(line))
    return lines


def _tool_messages(run: Sequence[Call]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for call in run:
        for message in call.messages or ():
            if isinstance(message, Mapping) and message.get("role") == "tool":
                key = message.get("tool_call_id")
                if isinstance(key, str):
                    found[key] = _json(message.get("content"))
    return found


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def text(lines: Sequence[Mapping[str, Any]]) -> str:
    """Return cassette lines as JSON Lines text."""
    return "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines)
