"""Production windows where they live (`--from SOURCE`): trace records in Parquet or JSON Lines
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptops.errors import InputError
from promptops.observe.traces import litellm_payload, reader
from promptops.observe.traces.attribution import Attribution
from promptops.observe.traces.record import RecordError, TraceRecord, from_data

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


@dataclass(frozen=True, kw_only=True)
class Found:
    """The attributed records of one prompt in one environment over a window (for `canary analyze`)."""

    records: list[TraceRecord]  # oldest first
    newest_ms: int | None  # the newest record of the whole source
    first_ms: int | None  # the challenger arm's first record, when one was asked for
    unattributed: int


def project_records(
    project: Project,
    location: str,
    prompt: str,
    env: str,
    *,
    arm: str | None = None,
    version: str | None = None,
    back_ms: int | None = None,
    lead_ms: int = 0,
) -> Found:
    """Return the attributed records of `prompt` in `env` in `location`, as `canary.window.read_records`
    reads the store: from the `arm`'s first record (of `version`) on and at most `back_ms` before the newest
    record, each start moved `lead_ms` earlier."""
    from promptops.observe.traces.attribution import registry_hashes

    source = open_source(location)
    attribution = Attribution(registry_hashes(project))
    if source.kind == "jsonl" and all(not URL.match(f) for f, _ in source.files):
        fmt = jsonl_format(Path(source.files[0][0]))
        if fmt != "promptops":
            everything = [
                r
                for path, _ in source.files
                for line in reader.lines(Path(path), path, fmt)
                for r in line.records
                if r.prompt.name == prompt and r.prompt.environment == env
            ]
            everything.sort(key=lambda r: r.ts_ms)
            return _found(everything, attribution, arm=arm, version=version, back_ms=back_ms, lead_ms=lead_ms)
    duckdb = _duckdb()
    con = _connect(duckdb)
    try:
        return _sql_records(con, source, prompt, env, attribution, arm, version, back_ms, lead_ms)
    except duckdb.Error as exc:
        raise InputError(f"--from {source.location}: {_first_line(exc)}") from None
    finally:
        con.close()


def _sql_records(  # noqa: PLR0917 (the window's parts, as read_records takes them)
    con: Any,
    source: Source,
    prompt: str,
    env: str,
    attribution: Attribution,
    arm: str | None,
    version: str | None,
    back_ms: int | None,
    lead_ms: int,
) -> Found:
    newest = newest_ms(con, source)
    mine = "prompt.name = ? AND prompt.environment = ?"
    first = None
    if arm is not None:
        which = [prompt, env, arm, *([version] if version is not None else [])]
        also = " AND prompt.version = ?" if version is not None else ""
        row = con.execute(
            f"SELECT epoch_ms(min(CAST(ts_start AS TIMESTAMPTZ))) FROM {scan(source, source.days(None))} "
            f"WHERE {mine} AND prompt.arm = ?{also}",
            which,
        ).fetchone()
        first = None if row is None or row[0] is None else int(row[0])
    start = _records_start(newest, first, back_ms, lead_ms)
    files = source.days(day_of(start) if start is not None else None)
    where = mine
    params: list[object] = [prompt, env]
    if start is not None:
        where += " AND " + ts_filter(con, source, files)
        params.append(datetime.fromtimestamp(start / 1000, UTC))
    records = _select(con, source, files, where, params, fields=CANARY_FIELDS)
    attributed = [r for r in records if attribution.check(r.prompt) is None]
    return Found(
        records=attributed, newest_ms=newest, first_ms=first, unattributed=len(records) - len(attributed)
    )


# what a canary analysis reads of a record (canary.window): the content fields are never loaded
CANARY_FIELDS = ("id", "ts_start", "ts_end", "source", "prompt", "status", "latency_ms", "cost_usd", "scores")
BATCH_ROWS = 50_000


def _select(
    con: Any,
    source: Source,
    files: list[str],
    where: str,
    params: list[object],
    *,
    fields: tuple[str, ...] | None = None,
) -> list[TraceRecord]:
    """Return the records of `files` matching `where` (only `fields` of each, when given), oldest first,
    through the record format; rows come from DuckDB a batch at a time."""
    scanned = scan(source, files)
    chosen = "*"
    if fields is not None:
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {scanned}").fetchall()}
        chosen = ", ".join(f'"{name}"' for name in fields if name in present)
    cursor = con.execute(f"SELECT {chosen} FROM {scanned} WHERE {where} ORDER BY ts_start", params)
    names = [d[0] for d in cursor.description]
    records = []
    while rows := cursor.fetchmany(BATCH_ROWS):
        for row in rows:
            data = {k: _plain(v) for k, v in zip(names, row, strict=True) if v is not None}
            try:
                records.append(from_data(data))
            except RecordError as exc:
                raise InputError(f"--from {source.location}: record {data.get('id')!r}: {exc}") from None
    return records


def records_between(
    location: str, prompt: str | None, since_ms: int | None, until_ms: int | None
) -> list[TraceRecord]:
    """Return every record (of `prompt`) in `location` from `since_ms` to before `until_ms`, attributed or
    not, oldest first, secrets redacted as `traces import` redacts them: what `cost project --traces` and
    `cases propose` read (`--from`)."""
    from promptops.observe.traces.redaction import scrub_record
    from promptops.secrets import secret_values

    values = secret_values()
    return [scrub_record(r, values) for r in _between(location, prompt, since_ms, until_ms)]


def _between(
    location: str, prompt: str | None, since_ms: int | None, until_ms: int | None
) -> list[TraceRecord]:
    source = open_source(location)
    fmt = local_format(source)
    if fmt != "promptops":
        found = [
            r
            for r in read_lines(source, fmt)
            if (prompt is None or r.prompt.name == prompt)
            and (since_ms is None or r.ts_ms >= since_ms)
            and (until_ms is None or r.ts_ms < until_ms)
        ]
        return sorted(found, key=lambda r: r.ts_ms)
    with connection(source) as con:
        files = source.days(day_of(since_ms) if since_ms is not None else None)
        where = "TRUE"
        params: list[object] = []
        if prompt is not None:
            where += " AND prompt.name = ?"
            params.append(prompt)
        for bound, op in ((since_ms, ">="), (until_ms, "<")):
            if bound is not None:
                where += f" AND CAST(ts_start AS TIMESTAMPTZ) {op} ?"
                params.append(datetime.fromtimestamp(bound / 1000, UTC))
        return _select(con, source, files, where, params)


def _found(
    everything: list[TraceRecord],
    attribution: Attribution,
    *,
    arm: str | None,
    version: str | None,
    back_ms: int | None,
    lead_ms: int,
) -> Found:
    newest = max((r.ts_ms for r in everything), default=None)
    first = (
        next(
            (
                r.ts_ms
                for r in everything
                if r.prompt.arm == arm and (version is None or r.prompt.version == version)
            ),
            None,
        )
        if arm is not None
        else None
    )
    start = _records_start(newest, first, back_ms, lead_ms)
    inside = [r for r in everything if start is None or r.ts_ms >= start]
    attributed = [r for r in inside if attribution.check(r.prompt) is None]
    return Found(
        records=attributed, newest_ms=newest, first_ms=first, unattributed=len(inside) - len(attributed)
    )


def _records_start(newest: int | None, first: int | None, back_ms: int | None, lead_ms: int) -> int | None:
    starts = [] if first is None else [first - lead_ms]
    if back_ms is not None and newest is not None:
        starts.append(newest - back_ms - lead_ms)
    return max(starts) if starts else None


def _plain(value: Any) -> Any:
    """Return a DuckDB value as the record format writes it (timestamps as ISO text in UTC, `Z`)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def projection() -> str:
    ts = "epoch_ms(CAST(ts_start AS TIMESTAMPTZ)) AS ts"
    return ", ".join([ts, *(f"{sql} AS {name}" for name, sql in COLUMNS.items())])


def scan(source: Source, files: list[str]) -> str:
    listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    if source.kind == "parquet":
        return f"read_parquet({listed}, hive_partitioning = false)"
    return f"read_json({listed}, format = 'newline_delimited', hive_partitioning = false)"


def newest_ms(con: Any, source: Source) -> int | None:
    """Return when the newest record started (it lies in the newest day's files, or in those without one)."""
    newest_day = max((d for _, d in source.files if d is not None), default=None)
    files = [f for f, d in source.files if d is None or d == newest_day]
    row = con.execute(f"SELECT epoch_ms(max(CAST(ts_start AS TIMESTAMPTZ))) FROM {scan(source, files)}")
    value = row.fetchone()[0]
    return int(value) if value is not None else None


def ts_filter(con: Any, source: Source, files: list[str]) -> str:
    """Return the window's filter; on the column itself when it is a timestamp (row groups are skipped)."""
    kind = con.execute(f"SELECT typeof(ts_start) FROM {scan(source, files[:1])} LIMIT 1").fetchone()
    if kind is not None and str(kind[0]).startswith("TIMESTAMP"):
        return "ts_start >= ?"
    return "CAST(ts_start AS TIMESTAMPTZ) >= ?"


@contextmanager
def connection(source: Source) -> Iterator[Any]:
    """Yield a DuckDB connection (memory capped, UTC); a DuckDB error becomes bad input naming the source."""
    duckdb = _duckdb()
    con = _connect(duckdb)
    try:
        yield con
    except duckdb.Error as exc:
        raise InputError(f"--from {source.location}: {_first_line(exc)}") from None
    finally:
        con.close()


def local_format(source: Source) -> str:
    """Return the record format of a source: otlp or litellm for such local JSON Lines, else promptops."""
    if source.kind != "jsonl" or any(URL.match(f) for f, _ in source.files):
        return "promptops"
    return jsonl_format(Path(source.files[0][0]))


def read_lines(source: Source, fmt: str) -> Iterator[TraceRecord]:
    """Yield the records of a local JSON Lines source through the importer's reader for `fmt`."""
    for path, _ in source.files:
        for line in reader.lines(Path(path), path, fmt):
            yield from line.records


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


def jsonl_format(path: Path) -> str:
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


def day_of(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().split("\n", 1)[0][:300]
