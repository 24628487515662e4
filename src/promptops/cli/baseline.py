"""`baseline update`: write a suite's baseline from results or a fresh run."""

from __future__ import annotations

from pathlib import Path

import typer

from promptops.cli import output
from promptops.errors import ExitCode


def register(app: typer.Typer) -> None:
    """Add `baseline update` to `app`."""
    group = typer.Typer(name="baseline", help="Baselines the gate compares with.", no_args_is_help=True)
    group.command("update")(baseline_update)
    app.add_typer(group)


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
