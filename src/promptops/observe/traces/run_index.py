"""The store's index of workflow runs and tool calls: one row per run (`runs`), kept up to date as its calls
arrive in any order and any batch, and one narrow row per tool call (`tools`), clustered by time.

A run's row holds what its stats need as running aggregates: the model calls, tool calls and tool errors,
the cost of its priced calls and how many are unpriced (its cost is unknown then), the outcome of its run
span and of its last call (by time, then step), and the prompt version and arm of its first call (`dim`)
with whether another version or arm served a later one (`mixed`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from promptops.observe.traces.agent import WorkflowRef, is_timeout
from promptops.observe.traces.record import TraceRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (run TEXT PRIMARY KEY, name TEXT, first_key INTEGER, dim INTEGER,
  variant TEXT, mixed INTEGER, steps INTEGER, tool_calls INTEGER, tool_errors INTEGER, cost REAL,
  unpriced INTEGER, run_error INTEGER, run_error_type TEXT, last_key INTEGER, last_code INTEGER,
  failed_score INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_dim_first ON runs (dim, first_key);
CREATE TABLE IF NOT EXISTS tools (dim INTEGER, ts INTEGER, record_id TEXT NOT NULL, n INTEGER NOT NULL,
  name TEXT NOT NULL, error INTEGER, latency REAL, PRIMARY KEY (dim, ts, record_id, n)) WITHOUT ROWID;
"""
OUTCOMES = ("success", "failure", "timeout")
FAILING_SCORE = 0.5  # a run whose call carries a score below this (a failed judge, thumbs down) failed
STEP_BITS = 10  # a call's order key: its start (ms) shifted left, plus its step (ties within a millisecond)
COLUMNS = 16
UPSERT = f"""
INSERT INTO runs VALUES ({", ".join("?" * COLUMNS)}) ON CONFLICT (run) DO UPDATE SET
  name = COALESCE(name, excluded.name),
  dim = CASE WHEN excluded.first_key < first_key THEN excluded.dim ELSE dim END,
  variant = CASE WHEN excluded.first_key < first_key THEN excluded.variant ELSE variant END,
  mixed = MAX(mixed, excluded.mixed, COALESCE(excluded.variant != variant, 0)),
  first_key = MIN(first_key, excluded.first_key),
  steps = steps + excluded.steps,
  tool_calls = tool_calls + excluded.tool_calls,
  tool_errors = tool_errors + excluded.tool_errors,
  cost = cost + excluded.cost,
  unpriced = unpriced + excluded.unpriced,
  run_error = MAX(run_error, excluded.run_error),
  run_error_type = COALESCE(run_error_type, excluded.run_error_type),
  last_code = CASE WHEN excluded.last_key >= last_key THEN excluded.last_code ELSE last_code END,
  last_key = MAX(last_key, excluded.last_key),
  failed_score = MAX(failed_score, excluded.failed_score)
"""


def run_rows(calls: Iterable[tuple[TraceRecord, int, int]]) -> list[list[Any]]:
    """Return one `runs` row per run among (record, dim, ts), aggregated over this batch."""
    rows: dict[str, list[Any]] = {}
    for record, dim, ts in calls:
        run = record.workflow
        if run is None:
            continue
        key = (ts << STEP_BITS) + min(run.step or 0, (1 << STEP_BITS) - 1)
        p = record.prompt
        variant = f"{p.name}@{p.version}/{p.arm}"
        error = record.status == "error"
        code = int(error) * (1 + int(error and is_timeout(record.error_type)))
        failed = any(s.value is not None and s.value < FAILING_SCORE for s in record.scores)
        tool_errors = sum(1 for c in record.tool_calls if c.status == "error")
        row = [
            *(run.id, run.name, key, dim, variant, 0, 1, len(record.tool_calls), tool_errors),
            *(record.cost_usd or 0.0, int(record.cost_usd is None), int(run.status == "error")),
            *(run.error_type if run.status == "error" else None, key, code, int(failed)),
        ]
        known = rows.get(run.id)
        rows[run.id] = row if known is None else _merged(known, row)
    return list(rows.values())


NO_CALL = 2**62  # the order key of a run span's own row: any call of the run comes first and last


def outcome_rows(outcomes: Iterable[WorkflowRef]) -> list[list[Any]]:
    """Return the `runs` rows of run spans: their outcome only (no call, no version yet)."""
    return [
        [
            *(run.id, run.name, NO_CALL, None, None, 0, 0, 0, 0, 0.0, 0, int(run.status == "error")),
            *(run.error_type if run.status == "error" else None, -NO_CALL, 0, 0),
        ]
        for run in outcomes
    ]


def _merged(old: list[Any], new: list[Any]) -> list[Any]:
    first = new[2] < old[2]
    last = new[13] >= old[13]
    return [
        old[0],
        old[1] or new[1],
        min(old[2], new[2]),
        new[3] if first else old[3],
        new[4] if first else old[4],
        int(old[5] or new[5] or old[4] != new[4]),
        *(old[6] + new[6], old[7] + new[7], old[8] + new[8], old[9] + new[9], old[10] + new[10]),
        max(old[11], new[11]),
        old[12] or new[12],
        max(old[13], new[13]),
        new[14] if last else old[14],
        max(old[15], new[15]),
    ]


def tool_rows(record: TraceRecord, dim: int, ts: int) -> list[tuple[Any, ...]]:
    """Return the `tools` rows of a record's tool calls."""
    return [
        (
            dim,
            ts,
            record.id,
            n,
            call.name,
            None if call.status is None else int(call.status == "error"),
            call.latency_ms,
        )
        for n, call in enumerate(record.tool_calls)
    ]


@dataclass(frozen=True, kw_only=True)
class Run:
    """One workflow run: the version and arm of its first call, its counts and outcome."""

    id: str
    name: str | None
    dim: int  # the first call's (prompt, version, env, arm, model) combination
    mixed: bool  # its calls were served by more than one version or arm
    steps: int  # model calls
    tool_calls: int
    tool_errors: int
    cost_usd: float | None  # None when any call's cost is unknown
    outcome: str  # success | failure | timeout
    ts: int  # its first call's start (ms)


def read_runs(
    db: sqlite3.Connection, dims: Mapping[int, Any], since_ms: int | None, until_ms: int | None
) -> list[Run]:
    """Return the runs whose first call is among `dims` and starts in the window."""
    if not dims:
        return []
    low = -(2**62) if since_ms is None else since_ms << STEP_BITS
    high = 2**62 if until_ms is None else until_ms << STEP_BITS
    rows = db.execute(
        "SELECT run, name, dim, mixed, steps, tool_calls, tool_errors, CASE WHEN unpriced = 0 THEN cost END, "
        "run_error, run_error_type, last_code, failed_score, first_key FROM runs "
        f"WHERE dim IN ({', '.join(str(int(d)) for d in dims)}) AND first_key >= ? AND first_key < ?",
        (low, high),
    )
    return [
        Run(
            id=run,
            name=name,
            dim=dim,
            mixed=bool(mixed),
            steps=steps,
            tool_calls=tools,
            tool_errors=errors,
            cost_usd=cost,
            outcome=_outcome(bool(run_error), error_type, last, bool(scored)),
            ts=first >> STEP_BITS,
        )
        for (
            run,
            name,
            dim,
            mixed,
            steps,
            tools,
            errors,
            cost,
            run_error,
            error_type,
            last,
            scored,
            first,
        ) in rows
    ]


def _outcome(run_error: bool, error_type: str | None, last: int, scored: bool) -> str:
    if run_error:
        return "timeout" if is_timeout(error_type) else "failure"
    if last == 2:  # the last call failed with a timeout (error * (1 + timeout))
        return "timeout"
    if last or scored:
        return "failure"
    return "success"
