"""Production windows where they live (`traces stats --from SOURCE`): trace records in Parquet or JSON Lines
files (a local path or glob, or an object-store URL) read in place with DuckDB, the `duckdb` extra. The
only module that imports duckdb.

Only the columns the stats need are read (projection), and only the days the window needs: files below
`day=YYYY-MM-DD/` folders (hive partitions) outside the window are never opened, and Parquet row groups
whose `ts_start` range lies before it are skipped by their statistics. Records in the record format
(DESIGN §8.1) are mapped in SQL, field for field as `traces import` maps them; OTLP JSON (the Collector's
file exporter) and litellm payloads go through the importer's own readers, line by line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptops.errors import InputError
from promptops.observe.traces import litellm_payload, reader
from promptops.observe.traces.attribution import Attribution
from promptops.observe.traces.record import PromptRef, TraceRecord
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

EXTRA = 'pip install "promptops-cli[duckdb]"'
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
DAY = re.compile(r"(?:^|/)day=(\d{4}-\d{2}-\d{2})(?:/|$)")
MEMORY_LIMIT = "768MB"  # DuckDB spills past it: a window never costs more than ~1 GB

# the record format's fields the stats read, as SQL over one row (nested fields are struct members)
COLUMNS = {
    "prompt": "prompt.name",
    "version": "prompt.version",
    "hash": "prompt.hash",
    "env": "prompt.environment",
    "arm": "prompt.arm",
    "model": "coalesce(model.served, model.requested)",
    "error": "CAST(status = 'error' AS INTEGER)",
    "latency": "CAST(latency_ms AS DOUBLE)",
    "ttft": "CAST(ttft_ms AS DOUBLE)",
    "input_tokens": "CAST(usage.input AS BIGINT)",
    "output_tokens": "CAST(usage.output AS BIGINT)",
    "cost": "CAST(cost_usd AS DOUBLE)",
}


@cache
def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise InputError(
            "--from needs DuckDB, which is not installed", hint=f"install the extra: {EXTRA}"
        ) from None
    return duckdb


@dataclass(frozen=True, kw_only=True)
class Ask:
    """What `traces stats` asks of a window: one prompt or all, one environment or all, `--since`, `--by`."""

    prompt: str | None = None
    env: str | None = None
    since: str | None = None
    by: str = "version"


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a window lives: its files (with their day partition, when the path names one) and format."""

    location: str
    files: tuple[tuple[str, str | None], ...]  # (path or URL, day) per file
    kind: str  # parquet | jsonl

    def days(self, first: str | None) -> list[str]:
        """Return the files holding days from `first` on (every file without a day partition)."""
        return [f for f, day in self.files if first is None or day is None or day >= first]


def open_source(location: str) -> Source:
    """Return the files of `location` (a path, a glob or an object-store URL); InputError when none match."""
    duckdb = _duckdb()
    con = _connect(duckdb)
    try:
        names = [
            row[0] for row in con.execute("SELECT file FROM glob(?) ORDER BY file", [location]).fetchall()
        ]
    except duckdb.Error as exc:
        raise InputError(f"--from {location}: {_first_line(exc)}") from None
    finally:
        con.close()
    if not names and not URL.match(location) and Path(location).is_file():
        names = [location]
    if not names:
        raise InputError(
            f"--from {location}: no file matches", hint="give a path, a glob or an object-store URL"
        )
    kinds = {_kind(name) for name in names}
    if len(kinds) != 1 or None in kinds:
        raise InputError(
            f"--from {location}: expected only Parquet (.parquet) or only JSON Lines (.jsonl, .json) files"
        )
    files = tuple((name, m.group(1) if (m := DAY.search(name)) else None) for name in names)
    return Source(location=location, files=files, kind=str(kinds.pop()))


def project_stats(project: Project, location: str, ask: Ask) -> TraceStats:
    """Return `traces stats --from LOCATION`: attributed against the project's released versions."""
    from promptops.observe.traces.attribution import registry_hashes

    source = open_source(location)
    return stats(source, ask, Attribution(registry_hashes(project)))


def stats(source: Source, ask: Ask, attribution: Attribution) -> TraceStats:
    """Return `traces stats` of the attributed records of `source`'s window (as `summary.compute` does)."""
    if ask.by not in GROUPS:
        raise InputError(f"--by '{ask.by}': expected version, arm, model or day")
    if source.kind == "jsonl" and all(not URL.match(f) for f, _ in source.files):
        fmt = _jsonl_format(Path(source.files[0][0]))
        if fmt != "promptops":
            return _python_stats(source, fmt, ask, attribution)
    duckdb = _duckdb()
    con = _connect(duckdb)
    try:
        return _sql_stats(con, source, ask, attribution)
    except duckdb.Error as exc:
        raise InputError(f"--from {source.location}: {_first_line(exc)}") from None
    finally:
        con.close()


def _sql_stats(con: Any, source: Source, ask: Ask, attribution: Attribution) -> TraceStats:
    newest_day = max((d for _, d in source.files if d is not None), default=None)
    # the newest record lies in the newest day's files (or in the files without a day)
    probe = [f for f, d in source.files if d is None or d == newest_day]
    newest = _newest(con, source, probe)
    start = window_start(newest, ask.since)
    first_day = _day(start) if start is not None else None
    files = source.days(first_day)
    scan = _scan(source, files)
    where: list[str] = ["TRUE"]
    params: list[object] = []
    if start is not None:
        where.append(_ts_filter(con, source, files))
        params.append(datetime.fromtimestamp(start / 1000, UTC))
    if ask.prompt is not None:
        where.append("prompt.name = ?")
        params.append(ask.prompt)
    if ask.env is not None:
        where.append("prompt.environment = ?")
        params.append(ask.env)
    window = f"SELECT {_projection()} FROM {scan} WHERE {' AND '.join(where)}"
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
        for path, _ in source.files:
            for line in reader.lines(Path(path), path, fmt):
                for record in line.records:
                    yield record, _ms(record.ts_start)

    newest = max((ts for _, ts in records()), default=None)
    start = window_start(newest, ask.since)
    sums: dict[tuple[str, str], Sums] = {}
    reasons: dict[str, int] = {}
    key: Callable[[TraceRecord, int], str] = {
        "version": lambda r, _: r.prompt.version or "-",
        "arm": lambda r, _: r.prompt.arm or "-",
        "model": lambda r, _: r.model.served or r.model.requested or "-",
        "day": lambda _, ts: _day(ts),
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


def _projection() -> str:
    ts = "epoch_ms(CAST(ts_start AS TIMESTAMPTZ)) AS ts"
    return ", ".join([ts, *(f"{sql} AS {name}" for name, sql in COLUMNS.items())])


def _scan(source: Source, files: list[str]) -> str:
    listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    if source.kind == "parquet":
        return f"read_parquet({listed}, hive_partitioning = false)"
    return f"read_json({listed}, format = 'newline_delimited', hive_partitioning = false)"


def _newest(con: Any, source: Source, files: list[str]) -> int | None:
    row = con.execute(f"SELECT epoch_ms(max(CAST(ts_start AS TIMESTAMPTZ))) FROM {_scan(source, files)}")
    value = row.fetchone()[0]
    return int(value) if value is not None else None


def _ts_filter(con: Any, source: Source, files: list[str]) -> str:
    """Return the window's filter; on the column itself when it is a timestamp (row groups are skipped)."""
    kind = con.execute(f"SELECT typeof(ts_start) FROM {_scan(source, files[:1])} LIMIT 1").fetchone()
    if kind is not None and str(kind[0]).startswith("TIMESTAMP"):
        return "ts_start >= ?"
    return "CAST(ts_start AS TIMESTAMPTZ) >= ?"


def _connect(duckdb: Any) -> Any:
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET TimeZone = 'UTC'")
    return con


def _kind(name: str) -> str | None:
    lower = name.lower().removesuffix(".gz")
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    if lower.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    return None


def _jsonl_format(path: Path) -> str:
    """Return the format of a JSON Lines file by its first line: promptops, otlp or litellm."""
    try:
        with path.open("rb") as handle:
            first = next((raw for raw in handle if raw.strip()), b"")
        data = json.loads(first) if first else None
    except (OSError, ValueError):
        return "promptops"  # the SQL reader names the problem
    if isinstance(data, dict) and "resourceSpans" in data:
        return "otlp"
    return "litellm" if litellm_payload.is_payload(data) else "promptops"


def _ms(iso: str) -> int:
    return round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().split("\n", 1)[0][:300]
