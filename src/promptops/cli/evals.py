"""`eval`: run suites, show the summary, gate them through the review use case."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output
from promptops.cli.report import say

if TYPE_CHECKING:
    from promptops.review.evaluation import EvalRequest, Feedback


def register(app: typer.Typer) -> None:
    """Add `eval` to `app`."""
    app.command("eval")(eval_command)


# --- eval ----------------------------------------------------------------------


def eval_command(  # noqa: PLR0917 (typer maps each option to a parameter)
    names: list[str] = typer.Argument(
        None,
        metavar="[SUITE | NAME@VERSION]...",
        help="Suites to run (default: every suite); NAME@VERSION runs the suites of prompt NAME on that "
        "released version.",
    ),
    model: str | None = typer.Option(
        None, "--model", help="Call this model instead of each prompt's pinned one."
    ),
    repeats: int | None = typer.Option(None, "--repeats", min=1, max=100, help="Calls per case."),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1, max=1024, help="Calls in flight."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Ignore cached answers (fresh answers are stored)."
    ),
    shard: str | None = typer.Option(
        None, "--shard", metavar="I/N", help="Run part I of N (stable by case id)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Also write the results file here."),
    baseline_ref: str | None = typer.Option(
        None, "--baseline-ref", help="Compare with the baselines as of this git ref (default: working tree)."
    ),
    report_md: Path | None = typer.Option(
        None, "--report-md", help="Write the markdown report (PR comment)."
    ),
    junit_xml: Path | None = typer.Option(None, "--junit", help="Write JUnit XML, one testcase per case."),
    report_html: Path | None = typer.Option(
        None, "--report-html", help="Write the self-contained HTML report (charts, filterable cases)."
    ),
    changed: bool = typer.Option(
        False,
        "--changed",
        help="Only suites whose prompt, suite file, dataset or baseline changed since --base.",
    ),
    base: str | None = typer.Option(
        None, "--base", help="Git ref for --changed (default: the merge base with the default branch)."
    ),
    plan: bool = typer.Option(
        False, "--plan", help="Call no model: say how many cases and repeats the gate's margins need."
    ),
    latency_profile: bool = typer.Option(
        False,
        "--latency-profile",
        help="Stream every call, uncached, 2 at a time on warm connections: time the first chunk and token.",
    ),
    batch: bool = typer.Option(
        False,
        "--batch",
        help="Send the uncached calls as one Batch API job per model (half price, answers within 24 h); "
        "finish with `promptops batch collect`.",
    ),
    wait: bool = typer.Option(
        False, "--wait", help="With --batch: wait for the batches, then finish the run."
    ),
) -> int:
    """Run eval suites through the models and write a results file; exit 3 when it cannot evaluate."""
    from promptops.evals.runner import RunOptions, Shard
    from promptops.review.evaluation import EvalRequest

    options = RunOptions(
        model=model,
        repeats=repeats,
        concurrency=concurrency,
        use_cache=not no_cache,
        shard=Shard.parse(shard) if shard else None,
        latency_profile=latency_profile,
    )
    return run_request(
        EvalRequest(
            names=tuple(names or ()),
            options=options,
            out=out,
            baseline_ref=baseline_ref,
            report_md=report_md,
            junit_xml=junit_xml,
            report_html=report_html,
            changed=changed,
            base=base,
            plan=plan,
            batch=batch,
            wait=wait,
        )
    )


def feedback() -> Feedback:
    """Return how the core use cases print here: stderr lines and the progress bar."""
    from promptops.review.evaluation import Feedback

    return Feedback(info=output.info, warn=output.warn, progress=output.progress)


def run_request(request: EvalRequest) -> int:
    """Evaluate `request` (one core call), print what it returns, and return its exit code."""
    import os

    from promptops.project import Project
    from promptops.review.evaluation import evaluate

    outcome = evaluate(Project.load(), request, feedback(), os.environ)
    if outcome.text is not None:
        output.data(outcome.text)
    if outcome.unavailable is not None:
        raise outcome.unavailable
    if outcome.reviewed is not None:
        say(outcome.reviewed)
        for line in outcome.reviewed.annotations:
            output.data(line)
    for hint in outcome.hints:
        output.info(hint)
    return outcome.exit_code
