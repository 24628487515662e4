"""Case runs of a target: the child process, its minimal environment and its session on the proxy."""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from promptops.evals.cases import Case
from promptops.evals.trajectory import Trajectory
from promptops.evals.workflow.attempt import TargetRunner
from promptops.evals.workflow.endpoint import call_endpoint
from promptops.evals.workflow.environment import child_environment, traceparent
from promptops.evals.workflow.proxy import Forward, Proxy
from promptops.evals.workflow.target import run_target
from promptops.evals.workflow_config import Workflow


def target_runner(
    proxy: Proxy,
    workflow: Workflow,
    *,
    root: Path,
    parent: Mapping[str, str],
    forward_for: Callable[[int], Forward],
) -> TargetRunner:
    """Return the function that runs one case run of the suite's target (repeat -> its model calls)."""
    target = workflow.target
    assert target is not None

    async def run(case: Case, repeat: int) -> Trajectory:
        token, trace = secrets.token_hex(8), secrets.token_hex(16)
        proxy.open(token, trace, forward_for(repeat), workflow.loop)
        try:
            if target.kind == "http":
                outcome = await call_endpoint(
                    target,
                    variables=case.vars,
                    trace=traceparent(trace),
                    base_url=proxy.base_url(token),
                    timeout_s=workflow.loop.timeout_s,
                )
            else:
                with tempfile.TemporaryDirectory(prefix="promptops-home-") as home:
                    env = child_environment(
                        parent,
                        listed=target.env,
                        home=home,
                        proxy_url=proxy.base_url(token),
                        otlp_url=proxy.otlp_url(token),
                        trace=traceparent(trace),
                    )
                    outcome = await run_target(
                        target,
                        root=root,
                        case_id=case.id,
                        variables=case.vars,
                        env=env,
                        timeout_s=workflow.loop.timeout_s,
                    )
        finally:
            session = proxy.close(token)
        if session.error is not None:
            raise session.error
        timed = [step for _, step in sorted(session.steps, key=lambda item: item[0])]
        failure = session.failure or outcome.failure
        tools = sum(1 for s in timed if s.kind == "tool") + len(outcome.steps)
        if failure is None and tools > workflow.loop.max_tool_calls:
            failure = "limit:tool_calls"
        return Trajectory(
            steps=(*timed, *outcome.steps),  # steps the target returned carry no time: they come last
            output=outcome.output if failure is None else None,
            failure=failure,
            stderr=outcome.stderr if failure is not None else None,
            wall_ms=outcome.wall_ms,
        )

    return run
