"""The trace store under `.promptops/traces/`: append-only JSONL segments and a SQLite index.

A segment line is the stored (redacted) record; the index holds one row per record id (so re-importing
adds nothing), the columns stats need, where the line is, and whether the record is attributed to its
prompt version. Segment bytes count only once the index commits them: a crash between the two leaves a
tail that the next writer cuts off, so the segments never hold a record the index does not know.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from promptops.observe.traces import run_index
from promptops.observe.traces.agent import WorkflowRef
from promptops.observe.traces.record import Score, TraceRecord, from_data
from promptops.project import Project

TRACES_DIR = "traces"  # the store's folder below the project's state folder (.promptops/)


def location(project: Project) -> Path:
    """Return the folder of `project`'s trace store."""
    return project.state_dir / TRACES_DIR


SEGMENT_BYTES = 128 * 1024 * 1024
COLUMNS = (
    *("id", "trace_id", "response_id", "ts", "prompt", "version", "hash", "env", "arm", "attributed"),
    *("reason", "model_requested", "model_served", "provider", "status", "error_type", "latency", "ttft"),
    *(
        "input_tokens",
        "output_tokens",
        "cost",
        "cost_source",
        "purpose",
        "segment",
        "offset",
        "length",
        "dim",
    ),
)
DIMENSIONS = ("prompt", "version", "env", "arm", "model", "attributed", "reason")
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS records ({", ".join(COLUMNS)});
CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records (id);
CREATE INDEX IF NOT EXISTS records_prompt_ts ON records (prompt, ts);
-- the few records that streamed (time to first token): `traces stats` reads only this covering index
CREATE INDEX IF NOT EXISTS records_ttft ON records (ts, dim, ttft) WHERE ttft IS NOT NULL;
CREATE TABLE IF NOT EXISTS segments (number INTEGER PRIMARY KEY, bytes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS scores (key TEXT PRIMARY KEY, record_id TEXT NOT NULL, name TEXT NOT NULL,
  value REAL, label TEXT, source TEXT NOT NULL, evaluator TEXT, at TEXT);
CREATE INDEX IF NOT EXISTS scores_record ON scores (record_id);
CREATE TABLE IF NOT EXISTS dims (id INTEGER PRIMARY KEY, {", ".join(DIMENSIONS)},
  UNIQUE ({", ".join(DIMENSIONS)}));
CREATE TABLE IF NOT EXISTS facts (dim INTEGER, ts INTEGER, at INTEGER, error INTEGER, latency REAL,
  input_tokens INTEGER, output_tokens INTEGER, cost REAL, PRIMARY KEY (dim, ts, at)) WITHOUT ROWID;
"""


@dataclass(frozen=True, kw_only=True)
class Stored:
    """A record ready to store: its redacted JSON line and whether it counts for its prompt version."""

    record: TraceRecord
    line: str
    attributed: bool
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Query:
    """Which records a query reads: a prompt, an environment, an arm, a time window (ms, end exclusive)."""

    prompt: str | None = None
    env: str | None = None
    arm: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    attributed: bool | None = True  # None: attributed or not

    def where(self, times: bool = True) -> tuple[str, list[Any]]:
        """Return the SQL condition and its parameters (without `times`, no `ts` column is named)."""
        parts: list[str] = ["1=1"]
        params: list[Any] = []
        for column, value in (("prompt", self.prompt), ("env", self.env), ("arm", self.arm)):
            if value is not None:
                parts.append(f"{column} = ?")
                params.append(value)
        if times and self.since_ms is not None:
            parts.append("ts >= ?")
            params.append(self.since_ms)
        if times and self.until_ms is not None:
            parts.append("ts < ?")
            params.append(self.until_ms)
        if self.attributed is not None:
            parts.append("attributed = ?")
            params.append(int(self.attributed))
        return " AND ".join(parts), params


class TraceStore:
    """The records of one project; open with `TraceStore.open(location(project))`."""

    def __init__(self, directory: Path, db: sqlite3.Connection) -> None:
        self.directory = directory
        self.db = db
        self._handle: IO[bytes] | None = None
        self._dims: dict[tuple[Any, ...], int] | None = None
        self._segment = 0
        self._size = 0

    @classmethod
    def open(cls, directory: Path) -> TraceStore:
        """Return the store in `directory`, creating it on first use."""
        (directory / "segments").mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# raw traces never go into git\n*\n", encoding="utf-8")
        db = sqlite3.connect(directory / "index.sqlite", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        db.executescript(run_index.SCHEMA)
        return cls(directory, db)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.db.close()

    def __enter__(self) -> TraceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _path(self, number: int) -> Path:
        return self.directory / "segments" / f"{number:06d}.jsonl"

    def _writer(self) -> IO[bytes]:
        if self._handle is None:
            row = self.db.execute(
                "SELECT number, bytes FROM segments ORDER BY number DESC LIMIT 1"
            ).fetchone()
            self._segment, self._size = row if row else (1, 0)
            path = self._path(self._segment)
            self._handle = path.open("ab")
            if self._handle.tell() > self._size:
                self._handle.truncate(self._size)  # a tail the index never committed
                self._handle.seek(self._size)
        if self._size >= SEGMENT_BYTES:
            self._handle.close()
            self._segment, self._size = self._segment + 1, 0
            self._handle = self._path(self._segment).open("ab")
        return self._handle

    def add(self, batch: Sequence[Stored]) -> int:
        """Store the records whose id is new; return how many were new."""
        known = self._known([s.record.id for s in batch])
        handle = self._writer()
        rows, facts, chunks, offset = [], [], [], self._size
        runs, tools = [], []
        for item in batch:
            r = item.record
            if r.id in known:
                continue
            known.add(r.id)
            data = (item.line + "\n").encode("utf-8")
            chunks.append(data)
            dim, ts = self._dim(item), r.ts_ms
            rows.append(_row(item, ts, self._segment, offset, len(data), dim))
            at = (self._segment << 40) | offset
            facts.append(
                (
                    dim,
                    ts,
                    at,
                    int(r.status == "error"),
                    r.latency_ms,
                    r.usage.input,
                    r.usage.output,
                    r.cost_usd,
                )
            )
            if r.workflow is not None:
                runs.append((r, dim, ts))
            if r.tool_calls:
                tools.extend(run_index.tool_rows(r, dim, ts))
            offset += len(data)
        if not rows:
            return 0
        handle.write(b"".join(chunks))
        handle.flush()
        scores = [_score_row(s.record.id, score) for s in batch for score in s.record.scores]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(f"INSERT INTO records VALUES ({', '.join('?' * len(COLUMNS))})", rows)
            self.db.executemany("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", facts)
            self.db.executemany("INSERT OR IGNORE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?)", scores)
            self.db.executemany(run_index.UPSERT, run_index.run_rows(runs))
            self.db.executemany("INSERT OR IGNORE INTO tools VALUES (?, ?, ?, ?, ?, ?, ?)", tools)
            self.db.execute("INSERT OR REPLACE INTO segments VALUES (?, ?)", (self._segment, offset))
        self._size = offset
        return len(rows)

    def add_runs(self, outcomes: Sequence[WorkflowRef]) -> None:
        """Record the outcome of run spans (idempotent), whichever file or export their calls come in."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(run_index.UPSERT, run_index.outcome_rows(outcomes))

    def _dim(self, item: Stored) -> int:
        # the few distinct (prompt, version, env, arm, model, attributed) combinations get an integer each
        if self._dims is None:
            self._dims = {tuple(row[1:]): row[0] for row in self.db.execute("SELECT * FROM dims")}
        p, m = item.record.prompt, item.record.model
        key = (
            p.name,
            p.version,
            p.environment,
            p.arm,
            m.served or m.requested,
            int(item.attributed),
            item.reason,
        )
        found = self._dims.get(key)
        if found is None:
            cursor = self.db.execute(f"INSERT INTO dims VALUES (NULL, {', '.join('?' * len(key))})", key)
            found = self._dims[key] = int(cursor.lastrowid or 0)
        return found

    def dimensions(self, window: Query) -> list[tuple[int, dict[str, Any]]]:
        """Return (id, values) of every prompt/version/env/arm/model combination in `window`'s filters.

        Table `facts` holds one narrow row per record, clustered by (dim, ts): what fast aggregates read.
        """
        where, params = window.where(times=False)  # the dims table has no times
        rows = self.db.execute(f"SELECT * FROM dims WHERE {where} ORDER BY id", params)
        return [(row[0], dict(zip(DIMENSIONS, row[1:], strict=True))) for row in rows]

    def _known(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            chunk = ids[start : start + 900]
            query = f"SELECT id FROM records WHERE id IN ({', '.join('?' * len(chunk))})"
            found.update(r[0] for r in self.db.execute(query, chunk))
        return found

    # --- queries (canary analysis, scoring samples and the flywheel read through these) ---

    def newest_ms(self) -> int | None:
        """Return the start of the newest record in the store (ms since the epoch), None when empty."""
        newest = None
        for (dim,) in self.db.execute("SELECT id FROM dims").fetchall():
            row = self.db.execute("SELECT MAX(ts) FROM facts WHERE dim = ?", (dim,)).fetchone()
            if row[0] is not None and (newest is None or row[0] > newest):
                newest = int(row[0])
        return newest

    def count(self, window: Query) -> int:
        where, params = window.where()
        return int(self.db.execute(f"SELECT COUNT(*) FROM records WHERE {where}", params).fetchone()[0])

    def unattributed(self, window: Query) -> list[tuple[str, int]]:
        """Return (reason, count) of the records in `window` not attributed to their version, most first."""
        unattributed = Query(prompt=window.prompt, env=window.env, arm=window.arm, attributed=False)
        counts: dict[str, int] = {}
        for dim, values in self.dimensions(unattributed):
            row = self.db.execute(
                "SELECT COUNT(*) FROM facts WHERE dim = ? AND ts >= ? AND ts < ?",
                (dim, window.since_ms or -(2**62), window.until_ms or 2**62),
            ).fetchone()
            if row[0]:
                counts[str(values["reason"])] = counts.get(str(values["reason"]), 0) + int(row[0])
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def records(self, window: Query) -> Iterator[TraceRecord]:
        """Yield the full records in `window`, oldest first, with every score attached to them."""
        where, params = window.where()
        query = f"SELECT id, segment, offset, length FROM records WHERE {where} ORDER BY ts, id"
        handles: dict[int, IO[bytes]] = {}
        try:
            cursor = self.db.execute(query, params)
            while rows := cursor.fetchmany(500):
                scores = self.scores([r[0] for r in rows])
                for record_id, segment, offset, length in rows:
                    handle = handles.get(segment) or handles.setdefault(
                        segment, self._path(segment).open("rb")
                    )
                    handle.seek(offset)
                    data = json.loads(handle.read(length))
                    data["scores"] = []
                    record = from_data(data)
                    yield _with_scores(record, scores.get(record_id, []))
        finally:
            for handle in handles.values():
                handle.close()

    def scores(self, record_ids: Sequence[str]) -> dict[str, list[Score]]:
        """Return the scores of each record id (from the records themselves, feedback, judges, code)."""
        out: dict[str, list[Score]] = {}
        for start in range(0, len(record_ids), 900):
            chunk = list(record_ids[start : start + 900])
            query = (
                "SELECT record_id, name, value, source, evaluator, at, label FROM scores "
                f"WHERE record_id IN ({', '.join('?' * len(chunk))}) ORDER BY at, key"
            )
            for record_id, *fields in self.db.execute(query, chunk):
                out.setdefault(record_id, []).append(Score(*fields))
        return out

    def add_scores(self, scored: Sequence[tuple[str, Score]]) -> int:
        """Attach scores to stored records by record id; return how many were new (each score counts once)."""
        before = self.db.total_changes
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR IGNORE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_score_row(record_id, score) for record_id, score in scored],
            )
        added = self.db.total_changes - before
        failing = [
            rid for rid, score in scored if score.value is not None and score.value < run_index.FAILING_SCORE
        ]
        if failing:  # a failing score on any call of a run fails the run (DESIGN §9.4)
            self._fail_runs(failing)
        return added

    def _fail_runs(self, record_ids: Sequence[str]) -> None:
        runs: set[str] = set()
        for start in range(0, len(record_ids), 900):
            chunk = list(record_ids[start : start + 900])
            query = f"SELECT segment, offset, length FROM records WHERE id IN ({', '.join('?' * len(chunk))})"
            for segment, offset, length in self.db.execute(query, chunk).fetchall():
                with self._path(segment).open("rb") as handle:
                    handle.seek(offset)
                    workflow = json.loads(handle.read(length)).get("workflow")
                if isinstance(workflow, dict) and isinstance(workflow.get("id"), str):
                    runs.add(workflow["id"])
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "UPDATE runs SET failed_score = 1 WHERE run = ?", [(r,) for r in sorted(runs)]
            )

    def find(self, record_id: str | None = None, response_id: str | None = None) -> str | None:
        """Return the id of the record with this id or provider response id, None when there is none."""
        if record_id is not None:
            row = self.db.execute("SELECT id FROM records WHERE id = ?", (record_id,)).fetchone()
        else:
            self.db.execute("CREATE INDEX IF NOT EXISTS records_response ON records (response_id)")
            row = self.db.execute(
                "SELECT id FROM records WHERE response_id = ? ORDER BY ts LIMIT 1", (response_id,)
            ).fetchone()
        return None if row is None else str(row[0])


def _row(item: Stored, ts: int, segment: int, offset: int, length: int, dim: int) -> tuple[Any, ...]:  # noqa: PLR0917
    r = item.record
    p, m, u = r.prompt, r.model, r.usage
    return (
        *(r.id, r.trace_id, r.response_id, ts, p.name, p.version, p.hash, p.environment, p.arm),
        *(int(item.attributed), item.reason, m.requested, m.served, m.provider, r.status, r.error_type),
        *(r.latency_ms, r.ttft_ms, u.input, u.output, r.cost_usd, r.cost_source, r.purpose, segment, offset),
        *(length, dim),
    )


def _score_row(record_id: str, score: Score) -> tuple[Any, ...]:
    fields = (record_id, score.name, score.value, score.label, score.source, score.evaluator, score.at)
    key = hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:32]
    return (key, *fields)


def _with_scores(record: TraceRecord, scores: list[Score]) -> TraceRecord:
    from dataclasses import replace

    return replace(record, scores=tuple(scores))
