"""Renderers of cost projections and budget checks: text, markdown and JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from promptops.cost import BudgetStatus, Estimate, Line, Projection
from promptops.formats import dump_json
from promptops.wording import money, usd_month

BUDGET_MARKER = "<!-- promptops-budget -->"


def estimate(value: Estimate, unit: str = "") -> str:
    """Return `value [low, high]` in USD, or unknown."""
    if value.value is None:
        return "unknown"
    if value.low is None or value.high is None:
        return money(value.value) + unit
    return f"{money(value.value)}{unit} [{money(value.low)}, {money(value.high)}]"


def _month(value: Estimate) -> str:
    if value.value is None or value.low is None or value.high is None:
        return usd_month(value.value)
    return f"{usd_month(value.value)} [{usd_month(value.low)}, {usd_month(value.high)}]"


def _line_text(item: Line) -> list[str]:
    unit = "run" if item.purpose == "run" else "call"  # a workflow prompt is projected per run
    calls = f"{item.calls} {unit}{'s' * (item.calls != 1)}"
    if item.monthly.value is None:
        if item.note:
            return [
                f"  {item.purpose:<7} unknown a month ({item.note}; {calls}; see `cost project --traces`)"
            ]
        why = f"{item.unpriced} of {calls} have no known price" if item.unpriced else "no calls"
        return [f"  {item.purpose:<7} unknown a month ({why}; set `prices:` in promptops.yaml)"]
    return [
        f"  {item.purpose:<7} {_month(item.monthly)} a month from {calls}",
        f"  {'':<7} per {unit}: mean {estimate(item.per_call)}, p95 {estimate(item.p95)}",
    ]


def projection_text(projections: Sequence[Projection]) -> str:
    """Return one block per prompt: the rate, the source, a line per purpose and the total."""
    out: list[str] = []
    for p in projections:
        out += [f"{p.prompt} at {p.qps:g} qps (from {p.source}), 30-day month, 95% intervals"]
        out += [text for item in p.lines for text in _line_text(item)]
        missing = [purpose for purpose in ("judge", "shadow") if all(i.purpose != purpose for i in p.lines)]
        if missing:
            where = " (eval results hold no production calls of them)" if p.source != "traces" else ""
            out += [f"  {', '.join(missing)}: none recorded{where}"]
        out += [f"  total   {usd_month(p.total.value)} a month", ""]
    return "\n".join(out)


def _estimate_data(value: Estimate) -> dict[str, Any]:
    return {"value": value.value, "low": value.low, "high": value.high}


def projection_json(projections: Sequence[Projection]) -> str:
    return dump_json(
        {
            "projections": [
                {
                    "prompt": p.prompt,
                    "qps": p.qps,
                    "source": p.source,
                    "monthly_usd": p.total.value,
                    "lines": [
                        {
                            "purpose": item.purpose,
                            "calls": item.calls,
                            "unpriced": item.unpriced,
                            "per_call_usd": _estimate_data(item.per_call),
                            "p95_usd": _estimate_data(item.p95),
                            "monthly_usd": _estimate_data(item.monthly),
                            "note": item.note,
                        }
                        for item in p.lines
                    ],
                }
                for p in projections
            ]
        }
    )


def state(status: BudgetStatus) -> str:
    """Return ok, warning (an alert level below 100% reached), exceeded or unknown."""
    if status.spent is None:
        return "unknown"
    if status.exceeded:
        return "exceeded"
    return "warning" if status.level is not None else "ok"


def _spent_words(status: BudgetStatus) -> str:
    limit = usd_month(status.budget.monthly_usd)
    if status.spent is None:
        return f"unknown of {limit} ({unknown_reason(status)})"
    share = status.share or 0.0
    what = "month to date" if status.source == "traces" else "projected a month"
    text = f"{usd_month(status.spent)} of {limit} {what} ({share:.0%})"
    if status.source == "traces":
        text += f", forecast {usd_month(status.forecast)}"
    return text


def unknown_reason(status: BudgetStatus) -> str:
    """Return why a budget's spend is unknown: a note, or the calls without a price."""
    if status.note:
        return status.note
    return f"{status.unpriced} of {status.calls} calls have no known price; set `prices:` in promptops.yaml"


def _alert(status: BudgetStatus) -> str:
    if status.exceeded:
        return "over budget"
    if status.level is not None:
        return f"past the {status.level:.0%} alert"
    if status.forecast is not None and status.forecast >= status.budget.monthly_usd:
        return "on pace to exceed"
    return ""


def budget_text(statuses: Sequence[BudgetStatus]) -> str:
    out = []
    for s in statuses:
        alert = _alert(s)
        out.append(f"{state(s):<8} {s.budget.name}: {_spent_words(s)}" + (f"; {alert}" if alert else ""))
    return "\n".join(out) + "\n"


def budget_markdown(statuses: Sequence[BudgetStatus]) -> str:
    icon = {"ok": "✅", "warning": "⚠️", "exceeded": "❌", "unknown": "❔"}
    worst = max((("ok", "unknown", "warning", "exceeded").index(state(s)) for s in statuses), default=0)
    title = ("within budget", "unknown spend", "budget warning", "over budget")[worst]
    out = [
        BUDGET_MARKER,
        f"## {icon[('ok', 'unknown', 'warning', 'exceeded')[worst]]} promptops: {title}",
        "",
    ]
    out += ["| budget | prompts | spent | limit | share | forecast | |", "|---|---|---:|---:|---:|---:|---|"]
    for s in statuses:
        share = "—" if s.share is None else f"{s.share:.0%}"
        out.append(
            f"| {s.budget.name} | {', '.join(s.budget.prompts)} | {usd_month(s.spent)} | "
            f"{usd_month(s.budget.monthly_usd)} | {share} | {usd_month(s.forecast)} | "
            f"{f'{icon[state(s)]} {_alert(s) if s.spent is not None else unknown_reason(s)}'.strip()} |"
        )
    source = (
        "month to date from production records"
        if statuses and statuses[0].source == "traces"
        else ("projected from `traffic:` and the latest eval results")
    )
    return "\n".join([*out, "", f"<sub>{source}; alerts at {_levels(statuses)}</sub>"]) + "\n"


def _levels(statuses: Sequence[BudgetStatus]) -> str:
    levels = sorted({a for s in statuses for a in s.budget.alerts})
    return ", ".join(f"{a:.0%}" for a in levels) or "none"


def budget_json(statuses: Sequence[BudgetStatus]) -> str:
    return dump_json(
        {
            "budgets": [
                {
                    "name": s.budget.name,
                    "prompts": list(s.budget.prompts),
                    "monthly_usd": s.budget.monthly_usd,
                    "alerts": list(s.budget.alerts),
                    "source": s.source,
                    "spent_usd": s.spent,
                    "forecast_usd": s.forecast,
                    "share": s.share,
                    "level": s.level,
                    "state": state(s),
                    "calls": s.calls,
                    "unpriced": s.unpriced,
                }
                for s in statuses
            ],
            "exceeded": [s.budget.name for s in statuses if s.exceeded],
        }
    )
