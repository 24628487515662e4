"""`traces stats --workflows` and `--by tool`: per-run and per-tool figures of agent traffic (DESIGN §9.4).

A run is the unit: steps (model calls), LLM and tool calls, cost per run and the outcome rates are per
run, grouped by the prompt, version and arm of the run's first call (a run whose calls mix versions or
arms is counted there and shown as `mixed`). Intervals are 95%: rates Wilson, medians and p95 order
statistics (distribution-free), means the normal approximation (runs are independent).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from promptops.config import since_seconds
from promptops.observe.traces.run_index import OUTCOMES, Run, read_runs
from promptops.observe.traces.store import Query, TraceStore
from promptops.stats import percentile, quantile_interval, wilson

Z95 = 1.959964
Interval = tuple[float, float] | None
METHODS = "intervals 95%: rates Wilson; median and p95 order statistics; means normal approximation"


@dataclass(frozen=True, kw_only=True)
class Estimate:
    value: float | None
    interval: Interval


@dataclass(frozen=True, kw_only=True)
class WorkflowGroup:
    prompt: str
    workflow: str
    version: str
    arm: str
    runs: int
    mixed: int
    steps_median: Estimate
    steps_p95: Estimate
    llm_calls: Estimate  # mean model calls per run
    tool_calls: Estimate  # mean tool calls per run
    rates: dict[str, Estimate]  # success | failure | timeout
    cost_per_run: Estimate
    cost_known: int


@dataclass(frozen=True, kw_only=True)
class ToolGroup:
    prompt: str
    version: str
    tool: str
    calls: int
    executed: int  # calls whose execution (outcome, latency) was recorded
    error_rate: Estimate
    latency_p50: Estimate
    latency_p95: Estimate


def window(store: TraceStore, prompt: str | None, env: str | None, since: str | None) -> Query:
    """Return the query of the last `since` before the newest record (everything without it)."""
    back = round(since_seconds(since) * 1000) if since is not None else None
    newest = store.newest_ms()
    start = newest - back + 1 if back is not None and newest is not None else None
    return Query(prompt=prompt, env=env, since_ms=start)


def workflows(store: TraceStore, query: Query) -> list[WorkflowGroup]:
    """Return the run figures per prompt, workflow, version and arm of the runs in the window."""
    dims = dict(store.dimensions(query))
    groups: dict[tuple[str, str, str, str], list[Run]] = {}
    for run in read_runs(store.db, dims, query.since_ms, query.until_ms):
        values = dims[run.dim]
        key = (values["prompt"] or "-", run.name or "-", values["version"] or "-", values["arm"] or "-")
        groups.setdefault(key, []).append(run)
    return [_workflow(key, groups[key]) for key in sorted(groups)]


def _workflow(key: tuple[str, str, str, str], runs: list[Run]) -> WorkflowGroup:
    steps = sorted(float(r.steps) for r in runs)
    costs = [r.cost_usd for r in runs if r.cost_usd is not None]
    n = len(runs)
    return WorkflowGroup(
        prompt=key[0],
        workflow=key[1],
        version=key[2],
        arm=key[3],
        runs=n,
        mixed=sum(r.mixed for r in runs),
        steps_median=Estimate(value=percentile(steps, 50), interval=quantile_interval(steps, 50)),
        steps_p95=Estimate(value=percentile(steps, 95), interval=quantile_interval(steps, 95)),
        llm_calls=mean_estimate(steps),
        tool_calls=mean_estimate([float(r.tool_calls) for r in runs]),
        rates={
            o: Estimate(value=k / n, interval=wilson(k, n))
            for o in OUTCOMES
            for k in [sum(r.outcome == o for r in runs)]
        },
        cost_per_run=mean_estimate(costs),
        cost_known=len(costs),
    )


def mean_estimate(values: Sequence[float]) -> Estimate:
    """Return the mean and its normal-approximation 95% interval (None below two values)."""
    n = len(values)
    if n == 0:
        return Estimate(value=None, interval=None)
    centre = sum(values) / n
    if n < 2:
        return Estimate(value=centre, interval=None)
    sd = math.sqrt(sum((v - centre) ** 2 for v in values) / (n - 1))
    half = Z95 * sd / math.sqrt(n)
    return Estimate(value=centre, interval=(centre - half, centre + half))


def tools(store: TraceStore, query: Query) -> list[ToolGroup]:
    """Return calls, error rate and latency per prompt, version and tool name in the window."""
    found: dict[tuple[str, str, str], _ToolSums] = {}
    window = (query.since_ms if query.since_ms is not None else -(2**62), query.until_ms or 2**62)
    for dim, values in store.dimensions(query):
        rows = store.db.execute(  # the tools table is clustered by (dim, ts): one range scan per dim
            "SELECT name, COUNT(*), COUNT(error), TOTAL(error), group_concat(latency) FROM tools "
            "WHERE dim = ? AND ts >= ? AND ts < ? GROUP BY name",
            (dim, *window),
        )
        for name, calls, executed, errors, latencies in rows:
            acc = found.setdefault((values["prompt"] or "-", values["version"] or "-", name), _ToolSums())
            acc.calls += calls
            acc.executed += executed
            acc.errors += int(errors)
            if latencies:
                acc.latencies.extend(map(float, latencies.split(",")))
    return [_tool(key, found[key]) for key in sorted(found)]


@dataclass
class _ToolSums:
    calls: int = 0
    executed: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)


def _tool(key: tuple[str, str, str], acc: _ToolSums) -> ToolGroup:
    latencies = sorted(acc.latencies)
    return ToolGroup(
        prompt=key[0],
        version=key[1],
        tool=key[2],
        calls=acc.calls,
        executed=acc.executed,
        error_rate=Estimate(
            value=acc.errors / acc.executed if acc.executed else None,
            interval=wilson(acc.errors, acc.executed),
        ),
        latency_p50=Estimate(value=percentile(latencies, 50), interval=quantile_interval(latencies, 50)),
        latency_p95=Estimate(value=percentile(latencies, 95), interval=quantile_interval(latencies, 95)),
    )


def estimate_data(value: Estimate) -> dict[str, Any]:
    return {"value": value.value, "interval": None if value.interval is None else list(value.interval)}


def workflow_data(group: WorkflowGroup) -> dict[str, Any]:
    """Return a workflow group as plain data (the `--format json` output)."""
    return {
        "prompt": group.prompt,
        "workflow": group.workflow,
        "version": group.version,
        "arm": group.arm,
        "runs": group.runs,
        "mixed": group.mixed,
        "steps_per_run": {"median": estimate_data(group.steps_median), "p95": estimate_data(group.steps_p95)},
        "llm_calls_per_run": estimate_data(group.llm_calls),
        "tool_calls_per_run": estimate_data(group.tool_calls),
        "rates": {o: estimate_data(e) for o, e in group.rates.items()},
        "cost_per_run": {**estimate_data(group.cost_per_run), "runs_priced": group.cost_known},
    }


def tool_data(group: ToolGroup) -> dict[str, Any]:
    """Return a tool group as plain data (the `--format json` output)."""
    return {
        "prompt": group.prompt,
        "version": group.version,
        "tool": group.tool,
        "calls": group.calls,
        "executed": group.executed,
        "error_rate": estimate_data(group.error_rate),
        "latency_ms": {"p50": estimate_data(group.latency_p50), "p95": estimate_data(group.latency_p95)},
    }
