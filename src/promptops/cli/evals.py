"""`eval`: run suites, show the summary, gate them through the review use case."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output
from promptops.cli.report import say
from promptops.errors import InputError
from promptops.report.table import summary_text

if TYPE_CHECKING:
    from promptops.evals.batches import BatchRecord
    from promptops.evals.cases import Suite
    from promptops.evals.records import RunResult
    from promptops.evals.runner import RunOptions
    from promptops.project import Project


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
    import os
    from dataclasses import replace

    from promptops import review
    from promptops.project import Project

    project = Project.load()
    loaded = select(project, names or [], changed, base)
    if not loaded:
        return 0
    if baseline_ref is not None:
        review.check_ref(project, baseline_ref)  # before any model call
    if plan:
        output.data(review.plan_text(project, loaded, repeats, baseline_ref))
        return 0
    review.check_comparable(project, loaded, baseline_ref, sharded=shard is not None)
    options = replace(_options(model, repeats, concurrency, no_cache, shard), latency_profile=latency_profile)
    review.check_budget(project, loaded, options, baseline_ref)  # money before spending: no call yet
    if wait and not batch:
        raise InputError("--wait goes with --batch")
    if batch:
        if not send(project, [(suite, options) for suite in loaded], options.use_cache, wait):
            return 0  # submitted: `promptops batch collect` finishes the run
        options = replace(options, use_cache=True)
    runs, run_ids = run(project, loaded, options, out)
    output.data(summary_text(runs))
    outputs = review.Outputs(
        report_md=report_md, junit_xml=junit_xml, report_html=report_html, environ=os.environ, run_ids=run_ids
    )
    reviewed = review.gate_suites(project, runs, loaded, outputs, baseline_ref=baseline_ref)
    if reviewed.unavailable is not None:
        raise reviewed.unavailable
    say(reviewed)
    for line in reviewed.annotations:
        output.data(line)
    if baseline_ref is None:
        hint_missing_baselines(project, runs)
    return reviewed.exit_code


POLL_S = 30.0  # how often --wait asks a batch's status


def send(project: Project, planned: list[tuple[Suite, RunOptions]], use_cache: bool, wait: bool) -> bool:
    """Submit the uncached calls of each (suite, options) as batches; with `wait`, wait and collect them.
    Return whether the run can go on now (nothing to send, or every batch collected)."""
    from promptops.evals import batches

    records = batches.submit(project, planned, use_cache)
    for record in records:
        output.info(
            f"submitted batch {record.id}: {record.requests} calls of {record.model} "
            f"for {', '.join(record.suites)} (batch price: 50% of the listed price)"
        )
    if not records:
        output.info("every call is cached: nothing to send as a batch")
        return True
    if not wait:
        output.info("collect the answers with `promptops batch collect` when the batches are done")
        return False
    for record in records:
        done = batches.wait(project, record, POLL_S, output.info)
        output.info(collected_line(batches.collect(project, done)))
    return True


def collected_line(record: BatchRecord) -> str:
    """Return what collecting `record` did, for stderr."""
    missing = record.requests - record.answered
    return (
        f"batch {record.id} {record.status}: {record.answered} of {record.requests} answers cached at the "
        "batch price" + (f"; the other {missing} calls run online now" if missing else "")
    )


def select(project: Project, names: list[str], changed: bool, base: str | None) -> list[Suite]:
    """Return the suites to run: those named (default every one), narrowed by `--changed`."""
    from promptops.evals import suites

    pinned = [n for n in names if "@" in n]
    plain = [n for n in names if "@" not in n]
    if pinned:
        everything = suites.load_suites(project)
        loaded = suites.load_suites(project, plain) if plain else []
        for selector in pinned:
            loaded += _on_release(project, everything, selector, loaded)
    else:
        loaded = suites.load_suites(project, names)
    if not loaded:
        raise InputError(
            f"no eval suites in {project.relative(project.evals_dir)}/",
            hint="add evals/NAME.yaml (see `promptops init`)",
        )
    if changed or base is not None:
        return only_changed(project, loaded, changed, base)
    return loaded


def _on_release(project: Project, every: list[Suite], selector: str, chosen: list[Suite]) -> list[Suite]:
    """Return the suites of prompt NAME, to run on the released NAME@VERSION instead of the working tree."""
    from dataclasses import replace

    from promptops.prompts.registry import open_registry

    name = selector.split("@", 1)[0]
    spec = open_registry(project).load(selector)
    taken = {c.name for c in chosen}
    found = [replace(s, spec=spec) for s in every if s.prompt == name and s.name not in taken]
    if not found and all(c.prompt != name for c in chosen):
        raise InputError(
            f"no eval suite evaluates prompt '{name}'",
            hint=f"add a suite with `prompt: {name}` below {project.relative(project.evals_dir)}/",
        )
    return found


def _options(
    model: str | None, repeats: int | None, concurrency: int | None, no_cache: bool, shard: str | None
) -> RunOptions:
    from promptops.evals import runner

    return runner.RunOptions(
        model=model,
        repeats=repeats,
        concurrency=concurrency,
        use_cache=not no_cache,
        shard=runner.Shard.parse(shard) if shard else None,
    )


def hint_missing_baselines(project: Project, runs: list[RunResult]) -> None:
    """Tell how to record a baseline for each suite that has none yet."""
    for run_result in runs:
        if not project.baseline_path(run_result.suite).exists():
            output.info(
                f"hint: no baseline for {run_result.suite} yet; record this run with "
                f"`promptops baseline update {run_result.suite}`"
            )


def run(
    project: Project, suites: list[Suite], options: RunOptions, out: Path | None
) -> tuple[list[RunResult], list[str]]:
    """Run the suites with a progress bar; write latest.json, --out and the history (also after Ctrl-C)."""
    from promptops.evals import runner
    from promptops.evals.history import write_runs

    total_cases = sum(len(s.cases) for s in suites)
    with output.progress(f"eval {total_cases} cases") as progress:
        try:
            runs = runner.run_suites(project, suites, options, progress, warn=output.warn)
        except runner.InterruptedRun as stop:
            paths, _ = write_runs(project, stop.runs, out)
            finished = sum(len(r.cases) for r in stop.runs)
            output.info(
                f"interrupted: {finished} finished cases written to {', '.join(paths)}; "
                "their answers are cached, so a re-run resumes"
            )
            raise KeyboardInterrupt from None
        except runner.UnavailableRun as stop:
            write_runs(project, stop.runs, out)  # every case is there, the unreachable model's as errors
            raise
    _, ids = write_runs(project, runs, out)
    return runs, ids


def only_changed(project: Project, suites: list[Suite], changed: bool, base: str | None) -> list[Suite]:
    """Return the suites `--changed` selects, saying which and why (nothing selected: an empty list)."""
    from promptops.evals.changes import changed_files, select

    if not changed:
        raise InputError("--base only applies with --changed", hint="use `--changed --base REF`")
    changes = changed_files(project, base)
    since = base if base is not None else changes.base[:12]
    selected = select(project, suites, changes.files)
    if not selected:
        output.info(
            f"nothing to evaluate: no suite's prompt, suite file, dataset or baseline changed since {since}"
        )
        return []
    for item in selected:
        output.info(f"changed since {since}: {item.suite.name} ({', '.join(item.reasons)})")
    return [item.suite for item in selected]
