"""`compare` (candidates side by side on one suite) and `runs` (the run history)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from promptops.cli import output


def register(app: typer.Typer) -> None:
    """Add `compare` and `runs` to `app`."""
    app.command("compare")(compare_command)
    app.command("runs")(runs_command)


def compare_command(  # noqa: PLR0917 (typer maps each option to a parameter)
    suite: str = typer.Argument(..., help="Suite name (evals/SUITE.yaml)."),
    models: list[str] = typer.Option(None, "--model", help="A candidate model (repeat: A, B, ...)."),
    prompts: list[str] = typer.Option(
        None, "--prompt", metavar="NAME@VERSION", help="A candidate prompt version (repeat)."
    ),
    runs: list[str] = typer.Option(
        None, "--run", metavar="ID", help="A stored run as a candidate (from `promptops runs`)."
    ),
    gate: bool = typer.Option(
        False, "--gate", help="Exit 1 when a candidate fails the gate (against the first)."
    ),
    qps: float | None = typer.Option(
        None, "--qps", min=0, help="Traffic for the monthly cost (default: `traffic:` in promptops.yaml)."
    ),
    repeats: int | None = typer.Option(None, "--repeats", min=1, max=100, help="Calls per case."),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1, max=1024, help="Calls in flight."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore cached answers."),
    report_html: Path | None = typer.Option(None, "--report-html", help="Write the HTML report here."),
    batch: bool = typer.Option(
        False,
        "--batch",
        help="Send the fresh candidates' uncached calls as Batch API jobs (half price) and wait for them.",
    ),
) -> int:
    """Run every candidate on the suite's cases and judge each against the first with the eval gate."""
    from dataclasses import replace

    from promptops import compare
    from promptops.compare import render
    from promptops.evals.runner import RunOptions
    from promptops.project import Project
    from promptops.secrets import secret_values

    project = Project.load()
    chosen = compare.candidates(models or [], prompts or [], runs or [])
    options = RunOptions(repeats=repeats, concurrency=concurrency, use_cache=not no_cache)
    if batch:
        from promptops.compare.comparison import planned
        from promptops.review.batching import send

        send(project, planned(project, suite, chosen, options), options.use_cache, True, output.info)
        options = replace(options, use_cache=True)  # the batches' answers are in the cache now
    with output.progress(f"compare {len(chosen)} candidates") as progress:
        result = compare.compare(project, suite, chosen, options, qps=qps, progress=progress)
    secrets = secret_values(os.environ)
    output.data(render.text(result, secrets))
    if report_html is not None:
        from promptops.project import write_atomic

        write_atomic(report_html, render.html_report(result, secrets))
        output.info(f"wrote {report_html}")
    if result.unavailable is not None:
        raise result.unavailable
    return result.exit_code(gate)


def runs_command(
    fmt: str = typer.Option("text", "--format", help="text or json."),
) -> int:
    """List the stored runs (newest last): time, suite, prompt version, model, verdict, score, cost."""
    from promptops.cli.choices import RenderFormat, choose
    from promptops.evals import history
    from promptops.project import Project
    from promptops.report.runs import runs_json, runs_text

    chosen = choose(fmt, RenderFormat)
    found = history.entries(Project.load())
    output.data(runs_json(found) if chosen.value == "json" else runs_text(found))
    return 0
