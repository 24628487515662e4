"""Builders for workflow RunResults (K case runs per case, each with a trajectory) for pure tests and the
gate simulation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from promptops.evals.cases import Case
from promptops.evals.records import Attempt, Provenance, RunResult, ScoreValue
from promptops.evals.summary import case_result, summarize
from promptops.evals.trajectory import Step, Trajectory

MODEL = "openai/gpt-4o-mini-2024-07-18"


@dataclass(frozen=True)
class Run:
    """One case run: did it pass, how many model calls, tool calls and failed tool calls, and its end."""

    passed: bool = True
    steps: int = 3
    tools: int = 2
    tool_errors: int = 0
    failure: str | None = None  # e.g. limit:timeout
    cost_per_step: float | None = 0.001


def trajectory(r: Run) -> Trajectory:
    """Return a run's trajectory: one model call, its tool calls (the first `tool_errors` failing), the rest."""
    llm = Step(kind="llm", name=MODEL, cost_usd=r.cost_per_step, latency_ms=50.0, tokens=40)
    tools = [
        Step(kind="tool", name=f"tool_{i}", arguments={}, error="boom" if i < r.tool_errors else None)
        for i in range(r.tools)
    ]
    steps = [llm, *tools] + [llm] * (r.steps - 1) if r.steps else tools
    return Trajectory(steps=tuple(steps), output="done" if r.failure is None else None, failure=r.failure)


def attempt(repeat: int, r: Run) -> Attempt:
    t = trajectory(r)
    score = ScoreValue(
        name="equals", type="equals", value=float(r.passed), passed=r.passed, weight=1.0, required=True
    )
    return Attempt(
        repeat=repeat,
        output=t.output,
        scores=(score,),
        score=float(r.passed),
        passed=r.passed,
        cost_usd=t.totals.cost_usd,
        latency_ms=t.totals.latency_ms,
        input_tokens=30 * r.steps,
        output_tokens=10 * r.steps,
        trajectory=t,
    )


def workflow_run(cases: Mapping[str, Sequence[Run]], *, critical: Sequence[str] = ()) -> RunResult:
    """Return a workflow RunResult: per case id its K runs."""
    results = []
    repeats = 0
    for line, (case_id, runs) in enumerate(sorted(cases.items()), start=1):
        repeats = max(repeats, len(runs))
        case = Case(id=case_id, vars={}, hash=f"h-{case_id}", line=line, critical=case_id in critical)
        results.append(case_result(case, [attempt(i, r) for i, r in enumerate(runs)]))
    provenance = Provenance(
        prompt="support/order-agent",
        prompt_version="1.0.0",
        content_hash="sha256:agent",
        model=MODEL,
        dataset_hash="sha256:data1",
        scorers_hash="sha256:scorers1",
        repeats=repeats,
        git_sha="a" * 40,
        promptops_version="0.1.0",
    )
    return RunResult(
        suite="support/order-agent", provenance=provenance, cases=tuple(results), summary=summarize(results)
    )
