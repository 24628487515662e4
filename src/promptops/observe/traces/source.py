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
from promptops.observe.traces.record import PromptRef, RecordError, TraceRecord, from_data, to_data
from promptops.version import __version__

if TYPE_CHECKING:
    from promptops.project import Project

# promptops-cli is not on PyPI yet: the extra installs from the release tag, as the channel extra does
EXTRA = f'pip install "promptops-cli[duckdb] @ git+https://github.com/promptops/promptops-cli@v{__version__}"'
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
DAY = re.compile(r"(?:^|/)day=(\d{4}-\d{2}-\d{2})(?:/|$)")
MEMORY_LIMIT = "768MB"  # DuckDB spills past it: a window never costs more than ~1 GB

# the record format's fields the stats read, as SQL over one row (nested fields are struct members)
# ({field} is a record-format field; one a file does not have reads as NULL, as a missing key does)
COLUMNS = {
    "prompt": "{prompt.name}",
    "version": "{prompt.version}",
    "hash": "{prompt.hash}",
    "env": "{prompt.environment}",
    "arm": "{prompt.arm}",
    "model": "coalesce({model.served}, {model.requested})",
    "error": "CAST(coalesce({status}, 'ok') = 'error' AS INTEGER)",
    "latency": "CAST({latency_ms} AS DOUBLE)",
    "ttft": "CAST({ttft_ms} AS DOUBLE)",
    "input_tokens": "CAST({usage.input} AS BIGINT)",
    "output_tokens": "CAST({usage.output} AS BIGINT)",
    "cost": "CAST({cost_usd} AS DOUBLE)",
}
FIELD = re.compile(r"\{([\w.]+)\}")
STRUCT_FIELD = re.compile(r"(?:STRUCT\(|, )\"?(\w+)\"? ")


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
    """The attributed records of one prompt in one environment over a window (for `canary analyze`): in the
    record format, with the fields a canary analysis reads (prompt, status, latency, cost, the scorer's
    score), oldest first."""

    records: list[dict[str, Any]]
    newest_ms: int | None  # the newest record of the whole source
    first_ms: int | None  # the challenger arm's first record, when one was asked for
    unattributed: int


@dataclass(frozen=True, kw_only=True)
class Span:
    """Which records of one prompt in one environment a canary window holds (as `read_records` chooses)."""

    prompt: str
    env: str
    arm: str | None = None  # from this arm's first record (of `version`) on
    version: str | None = None
    back_ms: int | None = None  # at most this long before the newest record
    lead_ms: int = 0  # each start moved this much earlier (a shadow call's primary came first)
    scorer: str | None = None  # the one score the analysis reads


def project_records(project: Project, location: str, span: Span) -> Found:
    """Return the attributed records of `span` in `location`, as `canary.window.read_records` reads the
    store's."""
    from promptops.observe.traces.attribution import registry_hashes

    source = open_source(location)
    attribution = Attribution(registry_hashes(project))
    fmt = local_format(source)
    if fmt != "promptops":
        mine = [
            r
            for r in read_lines(source, fmt)
            if r.prompt.name == span.prompt and r.prompt.environment == span.env
        ]
        mine.sort(key=lambda r: r.ts_ms)
        return _found(mine, attribution, span)
    with connection(source) as con:
        return _sql_records(con, source, attribution, span)


def _sql_records(con: Any, source: Source, attribution: Attribution, span: Span) -> Found:
    newest = newest_ms(con, source)
    mine = "prompt.name = ? AND prompt.environment = ?"
    first = None
    if span.arm is not None:
        which = [span.prompt, span.env, span.arm, *([span.version] if span.version is not None else [])]
        also = " AND prompt.version = ?" if span.version is not None else ""
        row = con.execute(
            f"SELECT epoch_ms(min(CAST(ts_start AS TIMESTAMPTZ))) FROM {scan(source, source.days(None))} "
            f"WHERE {mine} AND prompt.arm = ?{also}",
            which,
        ).fetchone()
        first = None if row is None or row[0] is None else int(row[0])
    start = _records_start(newest, first, span)
    files = source.days(day_of(start) if start is not None else None)
    where = mine
    params: list[object] = [span.prompt, span.env]
    if start is not None:
        where += " AND " + ts_filter(con, source, files)
        params.append(datetime.fromtimestamp(start / 1000, UTC))
    scanned = scan(source, files)
    fields = present(con, scanned)
    score = "NULL"
    if span.scorer is not None and "scores" in fields:
        name = span.scorer.replace("'", "''")
        scored = f"list_filter(scores, lambda s: s.name = '{name}' AND s.value IS NOT NULL)"
        score = f"list_extract({scored}, -1).value"  # the latest value, as canary.window reads it
    keys = ("name", "version", "hash", "environment", "arm", "pair_id")
    columns = ", ".join(
        [
            "strftime(CAST(ts_start AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%gZ')",
            *(expression("{prompt." + k + "}", fields) for k in keys),
            *(expression("{" + c + "}", fields) for c in ("status", "latency_ms", "cost_usd")),
            score,
        ]
    )
    cursor = con.execute(f"SELECT {columns} FROM {scanned} WHERE {where} ORDER BY ts_start", params)
    records, unattributed = [], 0
    checked: dict[tuple[Any, Any, Any], bool] = {}
    while rows := cursor.fetchmany(BATCH_ROWS):
        for at, name, version, digest, environment, arm, pair, status, latency, cost, value in rows:
            key = (name, version, digest)
            if key not in checked:
                ref = PromptRef(name=name, version=version, hash=digest)
                checked[key] = attribution.check(ref) is None
            if not checked[key]:
                unattributed += 1
                continue
            prompt = {
                "name": name,
                "version": version,
                "environment": environment,
                "arm": arm,
                "pair_id": pair,
            }
            records.append(
                {
                    "ts_start": at,
                    "prompt": prompt,
                    "status": status or "ok",
                    "latency_ms": latency,
                    "cost_usd": cost,
                    "scores": [] if value is None else [{"name": span.scorer, "value": value}],
                }
            )
    return Found(records=records, newest_ms=newest, first_ms=first, unattributed=unattributed)


BATCH_ROWS = 50_000


def _select(
    con: Any,
    source: Source,
    files: list[str],
    where: str,
    params: list[object],
) -> list[TraceRecord]:
    """Return the whole records of `files` matching `where`, oldest first, through the record format; rows
    come from DuckDB a batch at a time."""
    cursor = con.execute(f"SELECT * FROM {scan(source, files)} WHERE {where} ORDER BY ts_start", params)
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


def _found(everything: list[TraceRecord], attribution: Attribution, span: Span) -> Found:
    newest = max((r.ts_ms for r in everything), default=None)
    first = None
    if span.arm is not None:
        chosen = (r for r in everything if r.prompt.arm == span.arm)
        first = next(
            (r.ts_ms for r in chosen if span.version is None or r.prompt.version == span.version), None
        )
    start = _records_start(newest, first, span)
    inside = [r for r in everything if start is None or r.ts_ms >= start]
    attributed = [to_data(r) for r in inside if attribution.check(r.prompt) is None]
    return Found(
        records=attributed, newest_ms=newest, first_ms=first, unattributed=len(inside) - len(attributed)
    )


def _records_start(newest: int | None, first: int | None, span: Span) -> int | None:
    starts = [] if first is None else [first - span.lead_ms]
    if span.back_ms is not None and newest is not None:
        starts.append(newest - span.back_ms - span.lead_ms)
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


def present(con: Any, scanned: str) -> set[str]:
    """Return the fields the files hold: their columns and, of struct columns, `column.field` too."""
    found: set[str] = set()
    for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {scanned}").fetchall():
        found.add(name)
        if str(kind).startswith("STRUCT("):
            found.update(f"{name}.{field}" for field in STRUCT_FIELD.findall(str(kind)))
    return found


def expression(template: str, fields: set[str]) -> str:
    """Return `template` with each {field} the SQL reading it, or NULL where the files lack it."""
    return FIELD.sub(lambda m: m.group(1) if m.group(1) in fields else "NULL", template)


def projection(fields: set[str]) -> str:
    ts = "epoch_ms(CAST(ts_start AS TIMESTAMPTZ)) AS ts"
    return ", ".join([ts, *(f"{expression(sql, fields)} AS {name}" for name, sql in COLUMNS.items())])


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
