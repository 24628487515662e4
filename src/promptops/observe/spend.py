"""Spend: `cost project` (a month at a rate, from eval results or production records) and `budget check`."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from promptops.config import Budget
from promptops.cost import BudgetStatus, Projection, line, monthly
from promptops.errors import InputError
from promptops.evals.records import RunResult, head_side
from promptops.observe.traces.calls import Call, read_calls
from promptops.project import Project

PURPOSES = ("prod", "judge", "shadow")


def rate(project: Project, prompt: str, qps: float | None) -> float:
    """Return the rate to project `prompt` at: --qps, else its `traffic:` entry."""
    if qps is not None:
        return qps
    traffic = project.config.traffic.get(prompt)
    if traffic is None:
        raise InputError(
            f"no rate for prompt '{prompt}'",
            hint=f"pass --qps, or set `traffic: {{{prompt}: {{qps: N}}}}` in promptops.yaml",
        )
    return traffic.qps


def from_results(
    project: Project, paths: Sequence[Path], name: str | None, qps: float | None
) -> list[Projection]:
    """Return the projection of every prompt in the results files (or only `name`), one per prompt."""
    from promptops.evals.results import load_results, merge_shards

    runs: list[RunResult] = []
    for path in paths:
        runs += load_results(path, project.relative(path))
    by_prompt: dict[str, list[float | None]] = {}
    judged: dict[str, int] = {}
    for run in merge_shards(runs):
        if name is None or run.provenance.prompt == name:
            costs = by_prompt.setdefault(run.provenance.prompt, [])
            for case in run.cases:
                done = [a for a in case.attempts if a.error is None]
                costs += [a.cost_usd for a in done]
                calls = sum(1 for a in done for v in a.scores if v.type == "llm_judge")
                judged[run.provenance.prompt] = judged.get(run.provenance.prompt, 0) + calls
    _known(name, by_prompt, "the results files")
    source = ", ".join(project.relative(p) for p in paths)
    out = []
    for prompt, costs in sorted(by_prompt.items()):
        at = rate(project, prompt, qps)
        lines = [line("prod", costs, at)]
        if judged.get(prompt):
            # results keep the score of each judge call, not its cost: say so rather than count it as $0
            lines.append(
                replace(line("judge", [None] * judged[prompt], at), note="results do not record judge costs")
            )
        out.append(Projection(prompt=prompt, qps=at, source=source, lines=tuple(lines)))
    return out


def from_traces(
    project: Project, name: str | None, qps: float | None, source: str | None = None
) -> list[Projection]:
    """Return the projection of every prompt with production records (or only `name`); with `source`, of
    the records where they live (`--from`)."""
    grouped: dict[str, dict[str, list[Call]]] = {}
    for call in read_calls(project, source=source):
        if call.prompt is not None and (name is None or call.prompt == name) and call.purpose in PURPOSES:
            grouped.setdefault(call.prompt, {}).setdefault(call.purpose, []).append(call)
    _known(name, grouped, "the trace records")
    out = []
    for prompt, calls in sorted(grouped.items()):
        at = rate(project, prompt, qps)
        prod = calls.get("prod", [])
        runs = run_costs(prod)
        units = len(runs) or len(prod)
        if runs:  # a workflow prompt: its rate is runs per second, each run costing all its calls
            lines = [line("run", list(runs.values()), at)]
        else:
            lines = [
                line("prod", [c.cost_usd for c in prod if c.status == "ok" or c.cost_usd is not None], at)
            ]
        for purpose in ("judge", "shadow"):
            extra = calls.get(purpose, [])
            if extra and prod:
                # judge and shadow calls scale with production traffic at the ratio recorded
                lines.append(line(purpose, [c.cost_usd for c in extra], at, len(extra) / units))
        out.append(Projection(prompt=prompt, qps=at, source="traces", lines=tuple(lines)))
    return out


def run_costs(calls: Sequence[Call]) -> dict[str, float | None]:
    """Return the cost of each workflow run among `calls`: the sum of its calls, None when one is unknown."""
    out: dict[str, float | None] = {}
    for call in calls:
        if call.run is None:
            continue
        known = out.get(call.run.id, 0.0)
        out[call.run.id] = None if known is None or call.cost_usd is None else known + call.cost_usd
    return out


def _known(name: str | None, found: Iterable[str], where: str) -> None:
    names = list(found)
    if name is not None and name not in names:
        raise InputError(
            f"no calls of prompt '{name}' in {where}", hint="known: " + (", ".join(names) or "none")
        )
    if not names:
        raise InputError(f"no calls in {where}", hint="run `promptops eval` first, or import traces")


# --- budgets -------------------------------------------------------------------


def check_traces(project: Project, now: datetime | None = None) -> list[BudgetStatus]:
    """Return every budget's month-to-date spend from production records, and its forecast."""
    now = now or datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = calendar.monthrange(now.year, now.month)[1]
    elapsed = (now - start).total_seconds() / (days * 86400)
    calls = read_calls(project, since=start, until=now)
    out = []
    for budget in _budgets(project):
        mine = [c for c in calls if c.prompt in budget.prompts]
        costs = [c.cost_usd for c in mine]
        unpriced = sum(1 for c in costs if c is None)
        spent = None if unpriced else sum(c for c in costs if c is not None)
        forecast = None if spent is None or elapsed <= 0 else spent / elapsed
        out.append(
            BudgetStatus(
                budget=budget,
                source="traces",
                spent=spent,
                forecast=forecast,
                unpriced=unpriced,
                calls=len(mine),
            )
        )
    return out


def check_projection(project: Project, results: Path) -> list[BudgetStatus]:
    """Return every budget's projected month: `traffic:` times the per-call cost in `results`."""
    from promptops.evals.results import load_results

    runs = load_results(results, project.relative(results)) if results.is_file() else []
    out = []
    for budget in _budgets(project):
        total: float | None = 0.0
        calls = unpriced = 0
        missing: list[str] = []
        for prompt in budget.prompts:
            traffic = project.config.traffic.get(prompt)
            costs = [head_side(c).cost for r in runs if r.provenance.prompt == prompt for c in r.cases]
            calls += len(costs)
            unpriced += sum(1 for c in costs if c is None)
            if traffic is None:
                missing.append(f"no `traffic:` for {prompt}")
            elif not costs:
                missing.append(f"no eval results for {prompt} in {project.relative(results)}")
            month = None if traffic is None else monthly(costs, traffic.qps)
            total = None if total is None or month is None else total + month
        note = "; ".join(missing) or None
        out.append(
            BudgetStatus(
                budget=budget,
                source="projection",
                spent=total,
                forecast=total,
                unpriced=unpriced,
                calls=calls,
                note=note,
            )
        )
    return out


def _budgets(project: Project) -> list[Budget]:
    budgets = list(project.config.budgets.values())
    if not budgets:
        raise InputError(
            "no budgets in promptops.yaml",
            hint="add `budgets: {feature: {monthly_usd: 2000, prompts: [order-id]}}`",
        )
    return budgets
