"""`promptops traces import`, `traces stats` and `feedback import`: production calls in the trace store."""

from __future__ import annotations

from pathlib import Path

import typer

from promptops.cli import output
from promptops.cli.choices import DiffFormat, choose


def register(app: typer.Typer) -> None:
    """Add `traces import|stats|score` and `feedback import` to `app`."""
    from promptops.cli.scoring import traces_score

    traces = typer.Typer(
        name="traces", help="Production calls: import them, summarize them.", no_args_is_help=True
    )
    traces.command("import")(import_traces)
    traces.command("stats")(stats)
    traces.command("score")(traces_score)
    app.add_typer(traces)
    feedback = typer.Typer(name="feedback", help="User ratings of production calls.", no_args_is_help=True)
    feedback.command("import")(import_feedback)
    app.add_typer(feedback)


def import_traces(
    files: list[Path] = typer.Argument(..., metavar="FILE...", help="OTLP JSON, litellm or promptops JSONL."),
    format: str = typer.Option("auto", "--format", help="auto, promptops, otlp or litellm."),
) -> int:
    """Import trace files into .promptops/traces/ (idempotent; bad lines are named, the rest kept)."""
    from promptops.observe import ingest
    from promptops.project import Project

    summary = ingest.import_project(Project.load(), files, format)
    for line in ingest.summary_lines(summary):
        output.info(line)
    error = ingest.bad_lines_error(summary)
    if error is not None:
        raise error
    return 0


def stats(
    name: str | None = typer.Argument(None, metavar="[NAME]", help="One prompt (default: every prompt)."),
    env: str | None = typer.Option(None, "--env", help="Only calls served in this environment."),
    since: str | None = typer.Option(
        None, "--since", help="Only the last 30m, 24h, 7d... before the newest record."
    ),
    by: str = typer.Option("version", "--by", help="version, arm, model or day."),
    format: str = typer.Option("text", "--format", help="text, markdown or json."),
) -> int:
    """Calls, error rate, latency, tokens, cost and feedback of the stored traces, per version (or --by)."""
    from promptops.formats import dump_json
    from promptops.observe import summary
    from promptops.observe.store import TraceStore
    from promptops.project import Project

    format = choose(format, DiffFormat).value  # the same three renderings as diff
    project = Project.load()
    with TraceStore.open(project.state_dir / "traces") as store:
        result = summary.compute(store, name, env, since, by)
    if format == "json":
        output.data(dump_json(summary.to_data(result)))
    elif format == "markdown":
        output.data(summary.markdown(result))
    else:
        table = summary.text(result)
        if table:
            output.data(table)
        else:
            output.info("no attributed records in the window; import some with `promptops traces import`")
        for line in summary.notes(result):
            output.info(line)
    return 0


def import_feedback(
    file: Path = typer.Argument(
        ..., metavar="FILE", help="JSON Lines of ratings (record_id or response_id)."
    ),
) -> int:
    """Attach user ratings to stored trace records (idempotent; unmatched lines are named)."""
    from promptops.errors import FileFormatError
    from promptops.observe import feedback
    from promptops.observe.store import TraceStore
    from promptops.project import Project

    project = Project.load()
    with TraceStore.open(project.state_dir / "traces") as store:
        result = feedback.import_file(store, file, str(file))
    output.info(f"attached {result.added} new rating{'s' if result.added != 1 else ''} ({result.read} read)")
    if result.problems:
        raise FileFormatError(result.problems, hint="the other lines were imported")
    return 0
