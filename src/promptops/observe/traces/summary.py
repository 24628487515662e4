"""`traces stats`: calls, errors, latency, tokens, cost and feedback per prompt and version/arm/model/day."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from promptops.config import since_seconds
from promptops.errors import InputError
from promptops.observe.traces.record import iso
from promptops.observe.traces.store import Query, TraceStore
from promptops.stats import percentile, quantile_interval, wilson
from promptops.wording import money

GROUPS = ("version", "arm", "model", "day")
QUANTILES = (50, 95, 99)

Interval = tuple[float, float] | None


@dataclass(frozen=True, kw_only=True)
class GroupStats:
    prompt: str
    group: str
    calls: int
    errors: int
    error_rate: float
    error_interval: Interval
    latency_ms: dict[int, float | None]
    latency_interval: dict[int, Interval]
    ttft_ms: dict[int, float | None]  # time to first token, of the records that carry a real one
    ttft_interval: dict[int, Interval]
    ttft_calls: int
    input_tokens: float | None
    output_tokens: float | None
    cost_per_call: float | None
    cost_total: float | None
    cost_known: int
    feedback_calls: int
    feedback_rate: float
    feedback_score: float | None
    feedback_interval: Interval


@dataclass(frozen=True, kw_only=True)
class TraceStats:
    by: str
    prompt: str | None
    env: str | None
    since: str | None
    window: tuple[int | None, int | None]
    groups: list[GroupStats]
    unattributed: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Quantiles:
    """The QUANTILES of some values with their order-statistic intervals, and how many values there were."""

    values: dict[int, float | None]
    intervals: dict[int, Interval]
    count: int


@dataclass
class Sums:
    """What one group adds up, from the store (`compute`) or from a window where it lives (`source`)."""

    calls: int = 0
    errors: int = 0
    tokens: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0, 0.0])  # input sum, n, output sum, n
    cost: float = 0.0
    priced: int = 0
    latencies: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)
    # quantiles a query engine computed where the values live (`source`), instead of the lists above
    latency_quantiles: Quantiles | None = None
    ttft_quantiles: Quantiles | None = None
    rated: set[str] = field(default_factory=set)
    ratings: list[float] = field(default_factory=list)


def compute(store: TraceStore, prompt: str | None, env: str | None, since: str | None, by: str) -> TraceStats:
    """Return the stats of the attributed records in the window, one group per prompt and `by` value."""
    if by not in GROUPS:
        raise InputError(f"--by '{by}': expected version, arm, model, day or tool")
    newest = store.newest_ms()
    start = window_start(newest, since)
    window = Query(prompt=prompt, env=env, since_ms=start)
    dims = dict(store.dimensions(window))
    bucket = "ts / 86400000" if by == "day" else "0"
    sums: dict[tuple[str, str], Sums] = {}

    def group_of(values: dict[str, Any], day: int) -> tuple[str, str]:
        if by == "day":
            return values["prompt"], iso(day * 86_400_000)[:10]
        return values["prompt"], str(values[by] or "-")

    for dim, values in dims.items():
        rows = store.db.execute(
            f"SELECT {bucket}, COUNT(*), SUM(error), TOTAL(input_tokens), COUNT(input_tokens), "
            "TOTAL(output_tokens), COUNT(output_tokens), TOTAL(cost), COUNT(cost), group_concat(latency) "
            "FROM facts WHERE dim = ? AND ts >= ? GROUP BY 1",
            (dim, start if start is not None else -(2**62)),
        )
        for day, calls, errors, t_in, n_in, t_out, n_out, cost, priced, latencies in rows:
            acc = sums.setdefault(group_of(values, day), Sums())
            acc.calls += calls
            acc.errors += errors
            for i, value in enumerate((t_in, n_in, t_out, n_out)):
                acc.tokens[i] += value
            acc.cost += cost
            acc.priced += priced
            if latencies:
                acc.latencies.extend(map(float, latencies.split(",")))
    # time to first token is kept per record only (few records carry one): one pass over the window
    ttfts = store.db.execute(
        f"SELECT dim, {bucket}, group_concat(ttft) FROM records "
        "WHERE ts >= ? AND ttft IS NOT NULL GROUP BY 1, 2",
        (start if start is not None else -(2**62),),
    )
    for dim, day, values in ttfts:
        if dim in dims and (key := group_of(dims[dim], day)) in sums:
            sums[key].ttfts.extend(map(float, values.split(",")))
    feedback = store.db.execute(
        "SELECT r.dim, r.ts, s.record_id, s.value FROM scores s JOIN records r ON r.id = s.record_id "
        "WHERE s.source = 'user' AND r.ts >= ?",
        (start if start is not None else -(2**62),),
    )
    for dim, ts, record_id, value in feedback:
        if dim in dims and (key := group_of(dims[dim], ts // 86_400_000)) in sums:
            sums[key].rated.add(record_id)
            if value is not None:
                sums[key].ratings.append(value)
    return stats_of(
        by=by,
        prompt=prompt,
        env=env,
        since=since,
        window=(start, newest),
        sums=sums,
        unattributed=store.unattributed(window),
    )


def stats_of(
    *,
    by: str,
    prompt: str | None,
    env: str | None,
    since: str | None,
    window: tuple[int | None, int | None],
    sums: dict[tuple[str, str], Sums],
    unattributed: list[tuple[str, int]],
) -> TraceStats:
    """Return the stats of the groups `sums` adds up, one per (prompt, group value), sorted."""
    groups = [_group(name, group, sums[(name, group)]) for name, group in sorted(sums)]
    return TraceStats(
        by=by, prompt=prompt, env=env, since=since, window=window, groups=groups, unattributed=unattributed
    )


def window_start(newest: int | None, since: str | None) -> int | None:
    """Return the first ms of the `--since` window counted back from the newest record (None: all)."""
    back = round(since_seconds(since) * 1000) if since is not None else None
    return newest - back + 1 if back is not None and newest is not None else None


def _group(name: str, group: str, acc: Sums) -> GroupStats:
    latency = acc.latency_quantiles or _quantiles(acc.latencies)
    ttft = acc.ttft_quantiles or _quantiles(acc.ttfts)
    n = len(acc.ratings)
    score = sum(acc.ratings) / n if n else None
    # thumbs are a proportion (Wilson); a mean of free-form scores is shown without an interval
    binary = all(v in (0.0, 1.0) for v in acc.ratings)
    t_in, n_in, t_out, n_out = acc.tokens
    return GroupStats(
        prompt=name,
        group=group,
        calls=acc.calls,
        errors=acc.errors,
        error_rate=acc.errors / acc.calls,
        error_interval=wilson(acc.errors, acc.calls),
        latency_ms=latency.values,
        latency_interval=latency.intervals,
        ttft_ms=ttft.values,
        ttft_interval=ttft.intervals,
        ttft_calls=ttft.count,
        input_tokens=t_in / n_in if n_in else None,
        output_tokens=t_out / n_out if n_out else None,
        cost_per_call=acc.cost / acc.priced if acc.priced else None,
        cost_total=acc.cost if acc.priced else None,
        cost_known=acc.priced,
        feedback_calls=len(acc.rated),
        feedback_rate=len(acc.rated) / acc.calls,
        feedback_score=score,
        feedback_interval=wilson(round(sum(acc.ratings)), n) if score is not None and binary else None,
    )


def _quantiles(values: list[float]) -> Quantiles:
    values.sort()
    return Quantiles(
        values={q: percentile(values, q) for q in QUANTILES},
        intervals={q: quantile_interval(values, q) for q in QUANTILES},
        count=len(values),
    )


def to_data(stats: TraceStats) -> dict[str, Any]:
    """Return the stats as plain data (the `--format json` output)."""
    from promptops.observe.traces.record import iso

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
        "ttft_ms": {
            "calls": g.ttft_calls,
            **{f"p{q}": {"value": g.ttft_ms[q], "interval": interval(g.ttft_interval[q])} for q in QUANTILES},
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


TTFT_HEADERS = ("ttft p50 ms", "ttft p95 ms")


def table(stats: TraceStats) -> tuple[list[str], list[list[str]]]:
    """Return the columns and the rows of the stats table (text and markdown share it)."""
    columns = [HEADERS[0], stats.by, *HEADERS[1:]]
    streamed = any(g.ttft_calls for g in stats.groups)  # the TTFT columns only where some call streamed
    if streamed:
        columns[7:7] = TTFT_HEADERS
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
        if streamed:
            rows[-1][7:7] = [_ms(g.ttft_ms[50]), _ms(g.ttft_ms[95])]
    return columns, rows


def notes(stats: TraceStats) -> list[str]:
    """Return the lines under the table: the window, unpriced calls, unattributed records."""
    from promptops.observe.traces.record import iso

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


def text(stats: TraceStats) -> str:
    """Return the stats as an aligned plain-text table (no terminal width cut: it goes to pipes and logs)."""
    columns, rows = table(stats)
    if not rows:
        return ""
    widths = [max(len(r[i]) for r in [columns, *rows]) for i in range(len(columns))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [columns, *rows]
    ]
    return "\n".join(lines) + "\n"


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
