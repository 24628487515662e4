"""`traces stats`: calls, errors, latency, tokens, cost and feedback per prompt and version/arm/model/day."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from promptops.errors import InputError
from promptops.observe.store import TraceStore, Window
from promptops.stats import percentile, quantile_interval, wilson
from promptops.wording import money

GROUPS = {
    "version": "COALESCE(version, '-')",
    "arm": "COALESCE(arm, '-')",
    "model": "COALESCE(model_served, model_requested, '-')",
    "day": "date(ts / 1000, 'unixepoch')",
}
UNITS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
QUANTILES = (50, 95, 99)

Interval = tuple[float, float] | None


def duration_ms(text: str) -> int:
    """Return `30m`, `24h`, `7d` or `2w` in milliseconds; InputError otherwise."""
    match = re.fullmatch(r"(\d+)([mhdw])", text.strip())
    if not match or int(match[1]) == 0:
        raise InputError(f"--since '{text}': expected a duration such as 30m, 24h, 7d or 2w")
    return int(match[1]) * UNITS[match[2]]


@dataclass(frozen=True)
class GroupStats:
    prompt: str
    group: str
    calls: int
    errors: int
    error_rate: float
    error_interval: Interval
    latency_ms: dict[int, float | None]
    latency_interval: dict[int, Interval]
    input_tokens: float | None
    output_tokens: float | None
    cost_per_call: float | None
    cost_total: float | None
    cost_known: int
    feedback_calls: int
    feedback_rate: float
    feedback_score: float | None
    feedback_interval: Interval


@dataclass(frozen=True)
class TraceStats:
    by: str
    prompt: str | None
    env: str | None
    since: str | None
    window: tuple[int | None, int | None]
    groups: list[GroupStats]
    unattributed: list[tuple[str, int]] = field(default_factory=list)


def compute(store: TraceStore, prompt: str | None, env: str | None, since: str | None, by: str) -> TraceStats:
    """Return the stats of the attributed records in the window, one group per prompt and `by` value."""
    if by not in GROUPS:
        raise InputError(f"--by '{by}': expected version, arm, model or day")
    back = duration_ms(since) if since is not None else None
    newest = store.newest_ms()
    start = newest - back + 1 if back is not None and newest is not None else None
    window = Window(prompt=prompt, env=env, since_ms=start)
    where, params = window.where()
    key = GROUPS[by]
    totals = store.db.execute(
        f"SELECT prompt, {key} AS g, COUNT(*), SUM(status = 'error'), AVG(input_tokens), AVG(output_tokens), "
        f"AVG(cost), SUM(cost), COUNT(cost) FROM records WHERE {where} GROUP BY prompt, g ORDER BY prompt, g",
        params,
    ).fetchall()
    latencies: dict[tuple[str, str], list[float]] = {}
    rows = store.db.execute(
        f"SELECT prompt, {key}, latency FROM records WHERE {where} AND latency IS NOT NULL", params
    )
    for name, group, latency in rows:
        latencies.setdefault((name, group), []).append(latency)
    feedback = {
        (name, group): (int(calls), int(n), float(total), int(other))
        for name, group, calls, n, total, other in store.db.execute(
            f"SELECT prompt, g, COUNT(DISTINCT s.record_id), COUNT(s.value), TOTAL(s.value), "
            "TOTAL(s.value NOT IN (0, 1)) FROM scores s JOIN "
            f"(SELECT id AS rid, prompt, {key} AS g FROM records WHERE {where}) ON s.record_id = rid "
            "WHERE s.source = 'user' GROUP BY prompt, g",
            params,
        )
    }
    groups = [
        _group(row, latencies.get((row[0], row[1]), []), feedback.get((row[0], row[1]))) for row in totals
    ]
    return TraceStats(by, prompt, env, since, (start, newest), groups, store.unattributed(window))


def _group(
    row: tuple[Any, ...], latencies: list[float], feedback: tuple[int, int, float, int] | None
) -> GroupStats:
    name, group, calls, errors, tokens_in, tokens_out, cost_mean, cost_total, cost_known = row
    latencies.sort()
    rated, n, total, non_binary = feedback or (0, 0, 0.0, 0)
    score = total / n if n else None
    # thumbs are a proportion (Wilson); a mean of free-form scores is shown without an interval
    score_interval = wilson(round(total), n) if score is not None and non_binary == 0 else None
    return GroupStats(
        prompt=name,
        group=str(group),
        calls=calls,
        errors=int(errors),
        error_rate=errors / calls,
        error_interval=wilson(int(errors), calls),
        latency_ms={q: percentile(latencies, q) for q in QUANTILES},
        latency_interval={q: quantile_interval(latencies, q) for q in QUANTILES},
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_per_call=cost_mean,
        cost_total=cost_total,
        cost_known=int(cost_known),
        feedback_calls=rated,
        feedback_rate=rated / calls,
        feedback_score=score,
        feedback_interval=score_interval,
    )


def to_data(stats: TraceStats) -> dict[str, Any]:
    """Return the stats as plain data (the `--format json` output)."""
    from promptops.observe.record import iso

    start, end = stats.window
    return {
        "by": stats.by,
        "prompt": stats.prompt,
        "env": stats.env,
        "since": stats.since,
        "window": {
            "start": iso(start) if start is not None else None,
            "end": iso(end) if end is not None else None,
        },
        "groups": [_group_data(g) for g in stats.groups],
        "unattributed": [{"reason": r, "records": n} for r, n in stats.unattributed],
    }


def _group_data(g: GroupStats) -> dict[str, Any]:
    def interval(value: Interval) -> list[float] | None:
        return None if value is None else [value[0], value[1]]

    return {
        "prompt": g.prompt,
        "group": g.group,
        "calls": g.calls,
        "errors": g.errors,
        "error_rate": {"value": g.error_rate, "interval": interval(g.error_interval)},
        "latency_ms": {
            f"p{q}": {"value": g.latency_ms[q], "interval": interval(g.latency_interval[q])}
            for q in QUANTILES
        },
        "tokens_per_call": {"input": g.input_tokens, "output": g.output_tokens},
        "cost_usd": {"per_call": g.cost_per_call, "total": g.cost_total, "calls_priced": g.cost_known},
        "feedback": {
            "calls": g.feedback_calls,
            "rate": g.feedback_rate,
            "score": g.feedback_score,
            "interval": interval(g.feedback_interval),
        },
    }


HEADERS = (
    "prompt",
    "calls",
    "error rate",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "tokens in/out",
    "cost/call",
    "total cost",
    "feedback",
    "score",
)


def table(stats: TraceStats) -> tuple[list[str], list[list[str]]]:
    """Return the columns and the rows of the stats table (text and markdown share it)."""
    columns = [HEADERS[0], stats.by, *HEADERS[1:]]
    rows = []
    for g in stats.groups:
        priced = "-" if g.cost_per_call is None else money(g.cost_per_call)
        rows.append(
            [
                g.prompt,
                g.group,
                str(g.calls),
                f"{_pct(g.error_rate)} {_pct_interval(g.error_interval)}".strip(),
                *(_ms(g.latency_ms[q]) for q in QUANTILES),
                f"{_num(g.input_tokens)}/{_num(g.output_tokens)}",
                priced,
                "-"
                if g.cost_total is None
                else money(g.cost_total) + ("" if g.cost_known == g.calls else "*"),
                _pct(g.feedback_rate) if g.feedback_calls else "-",
                "-"
                if g.feedback_score is None
                else f"{g.feedback_score:.2f} {_interval2(g.feedback_interval)}".strip(),
            ]
        )
    return columns, rows


def notes(stats: TraceStats) -> list[str]:
    """Return the lines under the table: the window, unpriced calls, unattributed records."""
    from promptops.observe.record import iso

    start, end = stats.window
    out = []
    if end is not None:
        out.append(
            f"window: {iso(start) if start is not None else 'all records'} to {iso(end)} "
            "(intervals: 95%; error rate and thumbs: Wilson; percentiles: order statistics)"
        )
    if any(g.cost_known < g.calls for g in stats.groups):
        out.append("* some calls have no known cost; the total counts the priced ones")
    for reason, n in stats.unattributed:
        out.append(f"not counted: {n} record{'s' if n != 1 else ''} unattributed ({reason})")
    return out


def markdown(stats: TraceStats) -> str:
    columns, rows = table(stats)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    if not rows:
        lines = ["No attributed records in the window."]
    return "\n".join([*lines, "", *notes(stats)]).rstrip() + "\n"


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _pct_interval(value: Interval) -> str:
    return "" if value is None else f"[{value[0] * 100:.1f}, {value[1] * 100:.1f}]"


def _interval2(value: Interval) -> str:
    return "" if value is None else f"[{value[0]:.2f}, {value[1]:.2f}]"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
