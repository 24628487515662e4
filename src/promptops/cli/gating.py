"""`baseline update` and `report`: adapters over the review use case."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output
from promptops.cli.choices import ReportFormat, choose
from promptops.errors import ExitCode

if TYPE_CHECKING:
    from promptops.review import Review


def register(app: typer.Typer) -> None:
    """Add `baseline update` and `report` to `app`."""
    group = typer.Typer(name="baseline", help="Baselines the gate compares with.", no_args_is_help=True)
    group.command("update")(baseline_update)
    app.add_typer(group)
    app.command("report")(report)


def baseline_update(
    suite: str = typer.Argument(..., help="Suite name (evals/SUITE.yaml)."),
    results_file: Path | None = typer.Option(
        None, "--from", help="Take the scores from this results file instead of running the suite."
    ),
) -> int:
    """Write evals/baselines/SUITE.json from a results file or a fresh run of the suite."""
    from promptops.project import Project
    from promptops.review import update_baseline

    project = Project.load()
    written, run = update_baseline(project, suite, results_file)
    summary = run.summary
    score = "n/a" if summary.mean_score is None else f"{summary.mean_score:.3f}"
    rate = "n/a" if summary.pass_rate is None else f"{summary.pass_rate:.1%}"
    output.info(
        f"wrote {project.relative(written)}: {len(run.cases)} cases, mean score {score}, pass rate {rate} "
        f"({run.provenance.prompt}@{run.provenance.prompt_version}, {run.provenance.model}); commit it"
    )
    return int(ExitCode.OK)


def report(
    results: list[Path] = typer.Option(
        ..., "--results", help="Results files or run ids from `promptops runs` (repeat, or list more)."
    ),
    more: list[Path] = typer.Argument(None, help="More results files.", show_default=False),
    base: str | None = typer.Option(
        None, "--base", help="Git ref whose baselines to compare with and to diff prompts against."
    ),
    fmt: str = typer.Option("markdown", "--format", help="markdown or json."),
    report_html: Path | None = typer.Option(
        None, "--report-html", help="Also write the self-contained HTML report."
    ),
) -> int:
    """Combine results files (or stored runs by id) into one PR report; exit as the gate."""
    from promptops import review
    from promptops.project import Project

    chosen = choose(fmt, ReportFormat)
    sources = [*results, *(more or [])]
    text, reviewed = review.report(Project.load(), sources, base, chosen.value, os.environ, report_html)
    say(reviewed)
    output.data(text)
    return reviewed.exit_code


def say(reviewed: Review) -> None:
    """Print the review's messages on stderr in order."""
    for kind, text in reviewed.messages:
        (output.warn if kind == "warn" else output.info)(text)
