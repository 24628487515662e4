"""One repeat of one workflow case: run it (built-in loop or target), score it, record it as an Attempt."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptops.evals.calls import CallRequest, ProviderError, Reply
from promptops.evals.cases import Case, ScorerConfig
from promptops.evals.records import Attempt, ScoreValue
from promptops.evals.scoring import Subject, evaluate_case
from promptops.evals.trajectory import Trajectory
from promptops.evals.workflow.doubles import Doubles
from promptops.evals.workflow.loop import run_loop
from promptops.evals.workflow_config import Workflow
from promptops.spec import PromptSpec

Cached = Callable[[CallRequest], Awaitable[tuple[Reply, bool]]]  # a model call and whether it was cached
# runs a target's case run: (case, repeat) -> its trajectory (the proxy's model calls joined in)
TargetRunner = Callable[[Case, int], Awaitable[Trajectory]]
FAILURE_SCORER = "workflow"  # the row that carries a failed case run's reason in every report


@dataclass(frozen=True, kw_only=True)
class WorkflowCase:
    workflow: Workflow
    spec: PromptSpec
    request: CallRequest  # the rendered first request, with the prompt's tools
    case: Case
    scorers: Sequence[ScorerConfig]
    options: Sequence[Mapping[str, Any]]
    root: Path


async def workflow_attempt(
    job: WorkflowCase, repeat: int, call: Cached, target: TargetRunner | None = None
) -> Attempt:
    """Return the attempt of one case run; a provider that fails is an error, a failed run a fail."""
    cached: list[bool] = []
    replies: list[Reply] = []

    async def model(request: CallRequest) -> Reply:
        reply, hit = await call(request)
        cached.append(hit)
        replies.append(reply)
        return reply

    try:
        if target is not None:
            trajectory = await target(job.case, repeat)
        else:
            trajectory = await run_loop(job.request, Doubles(job.workflow.doubles), job.workflow.loop, model)
    except ProviderError as exc:
        return Attempt(repeat=repeat, output=None, scores=(), score=None, passed=None, error=exc.message)
    usage = _usage(trajectory, replies)
    if trajectory.failure is not None:
        detail = trajectory.failure if not trajectory.stderr else f"{trajectory.failure}\n{trajectory.stderr}"
        failed = ScoreValue(
            name=FAILURE_SCORER,
            type=FAILURE_SCORER,
            value=0.0,
            passed=False,
            weight=1.0,
            required=True,
            detail=detail,
        )
        return Attempt(
            repeat=repeat,
            output=trajectory.output,
            scores=(failed,),
            score=0.0,
            passed=False,
            trajectory=trajectory,
            cached=bool(cached) and all(cached),
            **usage,
        )
    subject = Subject(
        output=trajectory.output or "",
        case=job.case,
        spec=job.spec,
        root=job.root,
        trajectory=trajectory,
        judge=_judge(call),
    )
    scored = await evaluate_case(job.scorers, job.options, subject)
    return Attempt(
        repeat=repeat,
        output=trajectory.output,
        scores=scored.scores,
        score=scored.score,
        passed=scored.passed,
        error=scored.error,
        trajectory=trajectory,
        cached=bool(cached) and all(cached),
        **usage,
    )


def _judge(call: Cached) -> Callable[[CallRequest], Awaitable[Reply]]:
    async def judge(request: CallRequest) -> Reply:
        return (await call(request))[0]

    return judge


def _usage(trajectory: Trajectory, replies: Sequence[Reply]) -> dict[str, Any]:
    inputs = [r.input_tokens for r in replies]
    outputs = [r.output_tokens for r in replies]
    return {
        "input_tokens": sum(t for t in inputs if t is not None) if replies and None not in inputs else None,
        "output_tokens": sum(t for t in outputs if t is not None)
        if replies and None not in outputs
        else None,
        "cost_usd": trajectory.totals.cost_usd,
        "latency_ms": trajectory.totals.latency_ms,
    }


def _sum(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if values and len(known) == len(values) else None
