"""`traces stats --from SOURCE`: the stats of a window where it lives, computed by DuckDB
(observe.traces.source opens it) with the store's definitions: percentiles by linear interpolation
(`quantile_cont`), their order-statistic intervals at the same ranks (`quantile_disc`), attribution by
the released content hashes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from promptops.errors import InputError
from promptops.observe.traces.attribution import Attribution
from promptops.observe.traces.record import PromptRef, TraceRecord
from promptops.observe.traces.source import (
    Source,
    connection,
    day_of,
    local_format,
    newest_ms,
    open_source,
    present,
    projection,
    read_lines,
    scan,
    ts_filter,
)
from promptops.observe.traces.summary import (
    GROUPS,
    QUANTILES,
    Quantiles,
    Sums,
    TraceStats,
    stats_of,
    window_start,
)
from promptops.stats import quantile_interval_ranks

if TYPE_CHECKING:
    from promptops.project import Project


@dataclass(frozen=True, kw_only=True)
class Ask:
    """What `traces stats` asks of a window: one prompt or all, one environment or all, `--since`, `--by`."""

    prompt: str | None = None
    env: str | None = None
    since: str | None = None
    by: str = "version"


def project_stats(project: Project, location: str, ask: Ask) -> TraceStats:
    """Return `traces stats --from LOCATION`: attributed against the project's released versions."""
    from promptops.observe.traces.attribution import registry_hashes

    source = open_source(location)
    return stats(source, ask, Attribution(registry_hashes(project)))


def stats(source: Source, ask: Ask, attribution: Attribution) -> TraceStats:
    """Return `traces stats` of the attributed records of `source`'s window (as `summary.compute` does)."""
    if ask.by not in GROUPS:
        raise InputError(f"--by '{ask.by}': expected version, arm, model or day")
    fmt = local_format(source)
    if fmt != "promptops":
        return _python_stats(source, fmt, ask, attribution)
    with connection(source) as con:
        return _sql_stats(con, source, ask, attribution)


def _sql_stats(con: Any, source: Source, ask: Ask, attribution: Attribution) -> TraceStats:
    newest = newest_ms(con, source)
    start = window_start(newest, ask.since)
    first_day = day_of(start) if start is not None else None
    files = source.days(first_day)
    scanned = scan(source, files)
    where: list[str] = ["TRUE"]
    params: list[object] = []
    if start is not None:
        where.append(ts_filter(con, source, files))
        params.append(datetime.fromtimestamp(start / 1000, UTC))
    if ask.prompt is not None:
        where.append("prompt.name = ?")
        params.append(ask.prompt)
    if ask.env is not None:
        where.append("prompt.environment = ?")
        params.append(ask.env)
    window = f"SELECT {projection(present(con, scanned))} FROM {scanned} WHERE {' AND '.join(where)}"
    combos = con.execute(f"SELECT prompt, version, hash, count(*) FROM ({window}) GROUP BY ALL", params)
    attributed, unattributed = _attribute(combos.fetchall(), attribution)
    con.execute("CREATE TEMP TABLE ok (prompt VARCHAR, version VARCHAR, hash VARCHAR)")
    if attributed:
        con.executemany("INSERT INTO ok VALUES (?, ?, ?)", attributed)
    group = {
        "version": "w.version",
        "arm": "w.arm",
        "model": "w.model",
        "day": "strftime(make_timestamp(w.ts * 1000), '%Y-%m-%d')",
    }[ask.by]
    calls = (
        f"WITH w AS ({window}) SELECT w.prompt AS prompt, {group} AS value, error, latency, ttft, "
        "input_tokens, output_tokens, cost FROM w JOIN ok ON w.prompt = ok.prompt "
        "AND w.version = ok.version AND w.hash IS NOT DISTINCT FROM ok.hash"
    )
    fractions = [q / 100 for q in QUANTILES]
    rows = con.execute(
        f"SELECT prompt, value, count(*), sum(error), sum(input_tokens), count(input_tokens), "
        "sum(output_tokens), count(output_tokens), sum(cost), count(cost), count(latency), count(ttft), "
        f"quantile_cont(latency, {fractions}), quantile_cont(ttft, {fractions}) "
        f"FROM ({calls}) GROUP BY ALL",
        params,
    ).fetchall()
    sums: dict[tuple[str, str], Sums] = {}
    for name, value, n, errors, t_in, n_in, t_out, n_out, cost, priced, *quantiles in rows:
        acc = sums.setdefault((name, str(value or "-")), Sums())
        acc.calls, acc.errors, acc.priced = n, int(errors or 0), priced
        acc.tokens = [float(t_in or 0), float(n_in), float(t_out or 0), float(n_out)]
        acc.cost = float(cost or 0.0)
        n_latency, n_ttft, latency, ttft = quantiles
        acc.latency_quantiles = _quantiles(n_latency, latency)
        acc.ttft_quantiles = _quantiles(n_ttft, ttft)
    _intervals(con, calls, params, rows, sums)
    return stats_of(
        by=ask.by,
        prompt=ask.prompt,
        env=ask.env,
        since=ask.since,
        window=(start, newest),
        sums=sums,
        unattributed=unattributed,
    )


def _quantiles(count: int, values: list[float] | None) -> Quantiles:
    listed: list[float | None] = list(values) if values else [None] * len(QUANTILES)
    by_q = dict(zip(QUANTILES, listed, strict=True))
    return Quantiles(values=by_q, intervals=dict.fromkeys(QUANTILES), count=count)


def _intervals(
    con: Any, calls: str, params: list[object], rows: list[tuple[Any, ...]], sums: dict[tuple[str, str], Sums]
) -> None:
    """Fill in the order-statistic intervals of every group's quantiles: the ranks depend on each group's
    count, so one scan fetches, per group, the order statistics at those ranks (quantile_disc at the
    fraction (k + 0.5) / n is the k-th smallest of n)."""
    asks: list[tuple[tuple[str, str], str, list[int]]] = []  # group, column, the quantiles asked
    selects: list[str] = []
    extra: list[object] = []
    for name, value, *_, n_latency, n_ttft, _latency, _ttft in rows:
        key = (name, str(value or "-"))
        for column, n in (("latency", n_latency), ("ttft", n_ttft)):
            ranks = [(q, r) for q in QUANTILES if (r := quantile_interval_ranks(n, q)) is not None]
            if not ranks:
                continue
            wanted = [(k + 0.5) / n for _, pair in ranks for k in pair]
            where = "prompt = ? AND value IS NOT DISTINCT FROM ?"
            selects.append(f"quantile_disc({column}, {wanted}) FILTER (WHERE {where})")
            extra += [name, value]
            asks.append((key, column, [q for q, _ in ranks]))
    if not selects:
        return
    found = con.execute(f"WITH c AS ({calls}) SELECT {', '.join(selects)} FROM c", [*params, *extra])
    for (key, column, qs), values in zip(asks, found.fetchone(), strict=True):
        acc = sums[key]
        known = acc.latency_quantiles if column == "latency" else acc.ttft_quantiles
        if known is None:
            continue
        intervals = {q: (values[2 * i], values[2 * i + 1]) for i, q in enumerate(qs)}
        filled = Quantiles(values=known.values, intervals={**known.intervals, **intervals}, count=known.count)
        if column == "latency":
            acc.latency_quantiles = filled
        else:
            acc.ttft_quantiles = filled


def _python_stats(source: Source, fmt: str, ask: Ask, attribution: Attribution) -> TraceStats:
    """OTLP and litellm lines: the importer's readers map them; two passes, the first finds the newest."""

    def records() -> Iterator[tuple[TraceRecord, int]]:
        for record in read_lines(source, fmt):
            yield record, record.ts_ms

    newest = max((ts for _, ts in records()), default=None)
    start = window_start(newest, ask.since)
    sums: dict[tuple[str, str], Sums] = {}
    reasons: dict[str, int] = {}
    key: Callable[[TraceRecord, int], str] = {
        "version": lambda r, _: r.prompt.version or "-",
        "arm": lambda r, _: r.prompt.arm or "-",
        "model": lambda r, _: r.model.served or r.model.requested or "-",
        "day": lambda _, ts: day_of(ts),
    }[ask.by]
    for record, ts in records():
        p = record.prompt
        outside = start is not None and ts < start
        if outside or (ask.prompt and p.name != ask.prompt) or (ask.env and p.environment != ask.env):
            continue
        reason = attribution.check(p)
        if reason is not None:
            reasons[reason] = reasons.get(reason, 0) + 1
            continue
        acc = sums.setdefault((str(p.name), key(record, ts)), Sums())
        acc.calls += 1
        acc.errors += record.status == "error"
        for i, value in ((0, record.usage.input), (2, record.usage.output)):
            if value is not None:
                acc.tokens[i] += value
                acc.tokens[i + 1] += 1
        if record.cost_usd is not None:
            acc.cost += record.cost_usd
            acc.priced += 1
        if record.latency_ms is not None:
            acc.latencies.append(record.latency_ms)
        if record.ttft_ms is not None:
            acc.ttfts.append(record.ttft_ms)
    unattributed = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return stats_of(
        by=ask.by,
        prompt=ask.prompt,
        env=ask.env,
        since=ask.since,
        window=(start, newest),
        sums=sums,
        unattributed=unattributed,
    )


def _attribute(
    combos: list[tuple[Any, ...]], attribution: Attribution
) -> tuple[list[tuple[str, str, str | None]], list[tuple[str, int]]]:
    attributed: list[tuple[str, str, str | None]] = []
    reasons: dict[str, int] = {}
    for name, version, digest, count in combos:
        reason = attribution.check(PromptRef(name=name, version=version, hash=digest))
        if reason is None:
            attributed.append((name, version, digest))
        else:
            reasons[reason] = reasons.get(reason, 0) + count
    return attributed, sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
