"""The tables of `traces stats --workflows` and `--by tool` (text and markdown share the cells)."""

from __future__ import annotations

from collections.abc import Sequence

from promptops.observe.traces.workflows import METHODS, Estimate, ToolGroup, WorkflowGroup
from promptops.wording import money

WORKFLOW_COLUMNS = (
    *("prompt", "workflow", "version", "arm", "runs", "mixed", "steps p50", "steps p95"),
    *("llm calls/run", "tool calls/run", "success", "failure", "timeout", "cost/run"),
)
TOOL_COLUMNS = ("prompt", "version", "tool", "calls", "error rate", "p50 ms", "p95 ms")


def workflow_rows(groups: Sequence[WorkflowGroup]) -> list[list[str]]:
    return [
        [
            *(g.prompt, g.workflow, g.version, g.arm, str(g.runs), str(g.mixed)),
            _number(g.steps_median, "{:.0f}"),
            _number(g.steps_p95, "{:.0f}"),
            _number(g.llm_calls, "{:.2f}"),
            _number(g.tool_calls, "{:.2f}"),
            *(_rate(g.rates[o]) for o in ("success", "failure", "timeout")),
            _cost(g.cost_per_run) + ("" if g.cost_known == g.runs else "*"),
        ]
        for g in groups
    ]


def tool_rows(groups: Sequence[ToolGroup]) -> list[list[str]]:
    return [
        [
            *(g.prompt, g.version, g.tool, str(g.calls)),
            _rate(g.error_rate),
            _number(g.latency_p50, "{:.0f}"),
            _number(g.latency_p95, "{:.0f}"),
        ]
        for g in groups
    ]


def workflow_notes(groups: Sequence[WorkflowGroup]) -> list[str]:
    out = [f"per run ({METHODS})"] if groups else []
    if any(g.mixed for g in groups):
        out.append(
            "mixed: runs whose calls were served by more than one version or arm (counted at the first)"
        )
    if any(g.cost_known < g.runs for g in groups):
        out.append("* some runs have a call of unknown cost; cost/run is over the priced runs")
    return out


def tool_notes(groups: Sequence[ToolGroup]) -> list[str]:
    out = [f"per tool call ({METHODS})"] if groups else []
    unrun = sum(g.calls - g.executed for g in groups)
    if unrun:
        out.append(f"{unrun} tool calls have no recorded execution: not in the error rate or latency")
    return out


def text(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return an aligned plain-text table; empty without rows."""
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in [columns, *rows]) for i in range(len(columns))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [columns, *rows]
    ]
    return "\n".join(lines) + "\n"


def markdown(columns: Sequence[str], rows: Sequence[Sequence[str]], notes: Sequence[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    if not rows:
        lines = ["No workflow runs or tool calls in the window."]
    return "\n".join([*lines, "", *notes]).rstrip() + "\n"


def _interval(value: Estimate, spec: str) -> str:
    if value.interval is None:
        return ""
    return " [" + spec.format(value.interval[0]) + ", " + spec.format(value.interval[1]) + "]"


def _number(value: Estimate, spec: str) -> str:
    return "-" if value.value is None else spec.format(value.value) + _interval(value, spec)


def _rate(value: Estimate) -> str:
    if value.value is None:
        return "-"
    low_high = (
        "" if value.interval is None else f" [{value.interval[0] * 100:.1f}, {value.interval[1] * 100:.1f}]"
    )
    return f"{value.value * 100:.1f}%{low_high}"


def _cost(value: Estimate) -> str:
    if value.value is None:
        return "-"
    bounds = "" if value.interval is None else f" [{money(value.interval[0])}, {money(value.interval[1])}]"
    return money(value.value) + bounds
