"""The `eval` use case: choose the suites, check the money and the baseline before any call, run them
(online or as batches), write the results and the history, and gate them. The CLI parses, calls
`evaluate` once, prints what it returns and exits with its code."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

from promptops import review
from promptops.errors import InputError, UnavailableError
from promptops.evals import runner
from promptops.evals.cases import Suite
from promptops.evals.history import write_runs
from promptops.evals.records import RunResult
from promptops.evals.runner import RunOptions
from promptops.project import Project
from promptops.report.table import summary_text
from promptops.review.selection import select

Progress = Callable[[int, int], None]


@dataclass(frozen=True, kw_only=True)
class Feedback:
    """How the use case talks to whoever runs it: lines on stderr and a progress bar."""

    info: Callable[[str], None]
    warn: Callable[[str], None]
    progress: Callable[[str], AbstractContextManager[Progress | None]]


@dataclass(frozen=True, kw_only=True)
class EvalRequest:
    """What `promptops eval` was asked, as parsed options."""

    names: tuple[str, ...] = ()
    options: RunOptions = field(default_factory=RunOptions)
    out: Path | None = None
    baseline_ref: str | None = None
    report_md: Path | None = None
    junit_xml: Path | None = None
    report_html: Path | None = None
    changed: bool = False
    base: str | None = None
    plan: bool = False
    batch: bool = False
    wait: bool = False


@dataclass(frozen=True, kw_only=True)
class EvalOutcome:
    """What an eval printed and decided: stdout text, the gate's review, hints for stderr, the exit code."""

    text: str | None = None  # the summary table, or the plan
    reviewed: review.Review | None = None
    unavailable: UnavailableError | None = None  # more errors than max_error_rate: exit 3 after printing
    hints: tuple[str, ...] = ()
    exit_code: int = 0


def evaluate(
    project: Project, request: EvalRequest, feedback: Feedback, environ: Mapping[str, str]
) -> EvalOutcome:
    """Run the eval `request` asks for and gate it (see the module docstring for the order of checks)."""
    loaded = select(project, list(request.names), request.changed, request.base, feedback.info)
    if not loaded:
        return EvalOutcome()
    if request.baseline_ref is not None:
        review.check_ref(project, request.baseline_ref)  # before any model call
    if request.plan:
        return EvalOutcome(
            text=review.plan_text(project, loaded, request.options.repeats, request.baseline_ref)
        )
    review.check_comparable(project, loaded, request.baseline_ref, sharded=request.options.shard is not None)
    options = request.options
    review.check_budget(project, loaded, options, request.baseline_ref)  # money before spending: no call yet
    if request.wait and not request.batch:
        raise InputError("--wait goes with --batch")
    if request.batch:
        from promptops.review.batching import send

        if not send(
            project, [(suite, options) for suite in loaded], options.use_cache, request.wait, feedback.info
        ):
            return EvalOutcome()  # submitted: `promptops batch collect` finishes the run
        options = replace(options, use_cache=True)
    runs, run_ids = run(project, loaded, options, request.out, feedback)
    outputs = review.Outputs(
        report_md=request.report_md,
        junit_xml=request.junit_xml,
        report_html=request.report_html,
        environ=environ,
        run_ids=run_ids,
    )
    reviewed = review.gate_suites(project, runs, loaded, outputs, baseline_ref=request.baseline_ref)
    hints = () if request.baseline_ref is not None else tuple(missing_baselines(project, runs))
    return EvalOutcome(
        text=summary_text(runs),
        reviewed=reviewed,
        unavailable=reviewed.unavailable,
        hints=hints,
        exit_code=reviewed.exit_code,
    )


def missing_baselines(project: Project, runs: list[RunResult]) -> Iterator[str]:
    """Yield how to record a baseline for each suite that has none yet."""
    for run_result in runs:
        if not project.baseline_path(run_result.suite).exists():
            yield (
                f"hint: no baseline for {run_result.suite} yet; record this run with "
                f"`promptops baseline update {run_result.suite}`"
            )


def run(
    project: Project, suites: list[Suite], options: RunOptions, out: Path | None, feedback: Feedback
) -> tuple[list[RunResult], list[str]]:
    """Run the suites with a progress bar; write latest.json, --out and the history (also after Ctrl-C)."""
    total_cases = sum(len(s.cases) for s in suites)
    with feedback.progress(f"eval {total_cases} cases") as progress:
        try:
            runs = runner.run_suites(project, suites, options, progress, warn=feedback.warn)
        except runner.InterruptedRun as stop:
            paths, _ = write_runs(project, stop.runs, out)
            finished = sum(len(r.cases) for r in stop.runs)
            feedback.info(
                f"interrupted: {finished} finished cases written to {', '.join(paths)}; "
                "their answers are cached, so a re-run resumes"
            )
            raise KeyboardInterrupt from None
        except runner.UnavailableRun as stop:
            write_runs(project, stop.runs, out)  # every case is there, the unreachable model's as errors
            raise
    _, ids = write_runs(project, runs, out)
    return runs, ids
