"""The store's index of workflow runs and tool calls: one narrow row per model call that belongs to a run
(`steps`) and one per tool call (`tools`), written with the record, read by SQL aggregates.

A run's values are aggregates of its steps: the model calls, tool calls and tool errors, the cost (known
only when every call's is), the outcome of its run span or of its last call, and the version and arm of
its first call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promptops.observe.traces.agent import is_timeout
from promptops.observe.traces.record import TraceRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS steps (run TEXT NOT NULL, record_id TEXT NOT NULL, name TEXT, dim INTEGER,
  variant TEXT, ts INTEGER, step INTEGER, error INTEGER, timeout INTEGER, run_status TEXT, run_error TEXT,
  tool_calls INTEGER, tool_errors INTEGER, cost REAL, failed_score INTEGER,
  PRIMARY KEY (run, record_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS steps_dim_ts ON steps (dim, ts);
CREATE TABLE IF NOT EXISTS tools (record_id TEXT NOT NULL, n INTEGER NOT NULL, dim INTEGER, ts INTEGER,
  run TEXT, name TEXT NOT NULL, error INTEGER, latency REAL, PRIMARY KEY (record_id, n)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tools_dim_ts ON tools (dim, ts);
"""
OUTCOMES = ("success", "failure", "timeout")
FAILING_SCORE = 0.5  # a run whose call carries a score below this (a failed judge, thumbs down) failed


def step_row(record: TraceRecord, dim: int, ts: int) -> tuple[Any, ...] | None:
    """Return the `steps` row of a record that belongs to a run, None for a call outside any run."""
    run = record.workflow
    if run is None:
        return None
    errors = sum(1 for c in record.tool_calls if c.status == "error")
    failed = any(s.value is not None and s.value < FAILING_SCORE for s in record.scores)
    return (
        run.id,
        record.id,
        run.name,
        dim,
        f"{record.prompt.name}@{record.prompt.version}/{record.prompt.arm}",
        ts,
        run.step,
        int(record.status == "error"),
        int(record.status == "error" and is_timeout(record.error_type)),
        run.status,
        run.error_type,
        len(record.tool_calls),
        errors,
        record.cost_usd,
        int(failed),
    )


def tool_rows(record: TraceRecord, dim: int, ts: int) -> list[tuple[Any, ...]]:
    """Return the `tools` rows of a record's tool calls."""
    run = record.workflow.id if record.workflow is not None else None
    return [
        (
            record.id,
            n,
            dim,
            ts,
            run,
            call.name,
            None if call.status is None else int(call.status == "error"),
            call.latency_ms,
        )
        for n, call in enumerate(record.tool_calls)
    ]


# one row per run: its first call's dim, counts, cost (NULL when any call's is unknown) and outcome parts
RUNS_SQL = """
SELECT run, MIN(name), (SELECT s2.dim FROM steps s2 WHERE s2.run = s.run ORDER BY s2.ts, s2.step LIMIT 1),
  COUNT(DISTINCT variant), COUNT(*), TOTAL(tool_calls), TOTAL(tool_errors),
  CASE WHEN COUNT(cost) = COUNT(*) THEN TOTAL(cost) END,
  MAX(run_status), MAX(run_error),
  (SELECT s3.error * (1 + s3.timeout) FROM steps s3 WHERE s3.run = s.run ORDER BY s3.ts DESC,
    s3.step DESC LIMIT 1),
  MAX(failed_score), MIN(ts)
FROM steps s WHERE run IN (SELECT run FROM steps WHERE dim IN ({dims}) AND ts >= ? AND ts < ?)
GROUP BY run
"""


@dataclass(frozen=True, kw_only=True)
class Run:
    """One workflow run, from its steps: the version and arm of its first call, its counts and outcome."""

    id: str
    name: str | None
    dim: int  # the first call's (prompt, version, env, arm, model) combination
    mixed: bool  # its calls were served by more than one version or arm
    steps: int  # model calls
    tool_calls: int
    tool_errors: int
    cost_usd: float | None  # None when any call's cost is unknown
    outcome: str  # success | failure | timeout
    ts: int


def read_runs(
    db: sqlite3.Connection, dims: Mapping[int, Any], since_ms: int | None, until_ms: int | None
) -> list[Run]:
    """Return the runs with a call in the window among `dims` (each run whole, counted once)."""
    if not dims:
        return []
    query = RUNS_SQL.format(dims=", ".join(str(int(d)) for d in dims))
    rows = db.execute(query, (since_ms if since_ms is not None else -(2**62), until_ms or 2**62))
    out = []
    for run, name, dim, ndims, steps, tools, errors, cost, status, error, last, scored, ts in rows:
        if dim not in dims:
            continue  # a run counted where its first call is (another prompt or arm: not in this window)
        out.append(
            Run(
                id=run,
                name=name,
                dim=dim,
                mixed=ndims > 1,
                steps=steps,
                tool_calls=int(tools),
                tool_errors=int(errors),
                cost_usd=cost,
                outcome=_outcome(status, error, last, scored),
                ts=ts,
            )
        )
    return out


def _outcome(status: str | None, error: str | None, last: int | None, scored: int | None) -> str:
    if status == "error":
        return "timeout" if is_timeout(error) else "failure"
    if last == 2:
        return "timeout"
    if last or scored:
        return "failure"
    return "success"
