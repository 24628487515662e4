"""Sending an eval's uncached calls as Batch API jobs, and waiting for them (`eval --batch`, `compare
--batch`, `batch collect`)."""

from __future__ import annotations

from collections.abc import Callable

from promptops.evals import batches
from promptops.evals.batches import BatchRecord
from promptops.evals.cases import Suite
from promptops.evals.runner import RunOptions
from promptops.project import Project

POLL_S = 30.0  # how often --wait asks a batch's status


def send(
    project: Project,
    planned: list[tuple[Suite, RunOptions]],
    use_cache: bool,
    wait: bool,
    info: Callable[[str], None],
) -> bool:
    """Submit the uncached calls of each (suite, options) as batches; with `wait`, wait and collect them.
    Return whether the run can go on now (nothing to send, or every batch collected)."""
    records = batches.submit(project, planned, use_cache)
    for record in records:
        info(
            f"submitted batch {record.id}: {record.requests} calls of {record.model} "
            f"for {', '.join(record.suites)} (batch price: 50% of the listed price)"
        )
    if not records:
        info("every call is cached: nothing to send as a batch")
        return True
    if not wait:
        info("collect the answers with `promptops batch collect` when the batches are done")
        return False
    for record in records:
        done = batches.wait(project, record, POLL_S, info)
        info(collected_line(batches.collect(project, done)))
    return True


def collected_line(record: BatchRecord) -> str:
    """Return what collecting `record` did, for stderr."""
    missing = record.requests - record.answered
    return (
        f"batch {record.id} {record.status}: {record.answered} of {record.requests} answers cached at the "
        "batch price" + (f"; the other {missing} calls run online now" if missing else "")
    )
