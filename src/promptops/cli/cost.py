"""`cost project`: an adapter over observe.spend."""

from __future__ import annotations

from pathlib import Path

import typer

from promptops.cli import output
from promptops.cli.choices import CostFormat, choose
from promptops.errors import ExitCode, InputError

LATEST = Path(".promptops/runs/latest.json")


def register(app: typer.Typer) -> None:
    """Add `cost project` to `app`."""
    cost = typer.Typer(name="cost", help="What prompts cost at a production rate.", no_args_is_help=True)
    cost.command("project")(cost_project)
    app.add_typer(cost)


def cost_project(  # noqa: PLR0917 (typer maps each option to a parameter)
    name: str | None = typer.Argument(None, metavar="[NAME]", help="Prompt name (default: every prompt)."),
    qps: float | None = typer.Option(
        None, "--qps", min=0.0, help="Calls per second (default: the prompt's `traffic:` entry)."
    ),
    results: list[Path] = typer.Option(
        None, "--results", help="Eval results files (default: .promptops/runs/latest.json)."
    ),
    traces: bool = typer.Option(
        False, "--traces", help="Use the production records instead of eval results."
    ),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    source: str | None = typer.Option(
        None,
        "--from",
        metavar="SOURCE",
        help="With --traces: read the records where they live, Parquet or JSONL files (a path, a glob or "
        "an object-store URL), with DuckDB (the duckdb extra).",
    ),
) -> int:
    """Project the monthly cost of prompts at a rate: mean and p95 per call, judge and shadow lines."""
    from promptops.observe import spend
    from promptops.project import Project
    from promptops.report.spend import projection_json, projection_text

    chosen = choose(fmt, CostFormat)
    if qps is not None and qps <= 0:
        raise InputError(f"--qps must be above 0, got {qps:g}")
    if traces and results:
        raise InputError("give --results or --traces, not both")
    if source is not None and not traces:
        raise InputError("--from needs --traces (it reads production records, not eval results)")
    project = Project.load()
    if traces:
        projections = spend.from_traces(project, name, qps, source)
    else:
        paths = list(results or [project.root / LATEST])
        projections = spend.from_results(project, paths, name, qps)
    output.data(projection_json(projections) if chosen is CostFormat.json else projection_text(projections))
    return int(ExitCode.OK)
