"""`promptops traces import`, `traces stats` and `feedback import`: production calls in the trace store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output
from promptops.cli.choices import DiffFormat, choose

if TYPE_CHECKING:
    from promptops.observe.scoring import ScoreReport
    from promptops.project import Project


def register(app: typer.Typer) -> None:
    """Add `traces import|stats|score` and `feedback import` to `app`."""
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
    from promptops.observe.traces import ingest
    from promptops.project import Project

    summary = ingest.import_project(Project.load(), files, format)
    for line in ingest.summary_lines(summary):
        output.info(line)
    error = ingest.bad_lines_error(summary)
    if error is not None:
        raise error
    return 0


def stats(  # noqa: PLR0917 (typer maps each option to a parameter)
    name: str | None = typer.Argument(None, metavar="[NAME]", help="One prompt (default: every prompt)."),
    env: str | None = typer.Option(None, "--env", help="Only calls served in this environment."),
    since: str | None = typer.Option(
        None, "--since", help="Only the last 30m, 24h, 7d... before the newest record."
    ),
    by: str = typer.Option("version", "--by", help="version, arm, model, day or tool."),
    workflows: bool = typer.Option(False, "--workflows", help="Per workflow run, per version and arm."),
    format: str = typer.Option("text", "--format", help="text, markdown or json."),
    source: str | None = typer.Option(
        None,
        "--from",
        metavar="SOURCE",
        help="Read the window where it lives: Parquet or JSONL files (a path, a glob or an object-store "
        "URL), with DuckDB (the duckdb extra).",
    ),
) -> int:
    """Calls, error rate, latency, tokens, cost and feedback of the stored traces, per version (or --by)."""
    from promptops.formats import dump_json
    from promptops.observe.traces import summary
    from promptops.observe.traces.store import TraceStore, location
    from promptops.project import Project

    format = choose(format, DiffFormat).value  # the same three renderings as diff
    project = Project.load()
    if workflows or by == "tool":
        return _agent_stats(
            project, name=name, env=env, since=since, kind="workflows" if workflows else "tool", fmt=format
        )
    if source is not None:
        from promptops.observe.traces.source_stats import Ask, project_stats

        result = project_stats(project, source, Ask(prompt=name, env=env, since=since, by=by))
    else:
        with TraceStore.open(location(project)) as store:
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


def _agent_stats(
    project: Project, *, name: str | None, env: str | None, since: str | None, kind: str, fmt: str
) -> int:
    from promptops.formats import dump_json
    from promptops.observe.traces import agent_tables as tables
    from promptops.observe.traces import workflows
    from promptops.observe.traces.store import TraceStore, location

    with TraceStore.open(location(project)) as store:
        query = workflows.window(store, name, env, since)
        columns: Sequence[str]
        if kind == "workflows":
            runs = workflows.workflows(store, query)
            data = {"workflows": [workflows.workflow_data(g) for g in runs]}
            columns, rows, notes = (
                tables.WORKFLOW_COLUMNS,
                tables.workflow_rows(runs),
                tables.workflow_notes(runs),
            )
        else:
            calls = workflows.tools(store, query)
            data = {"tools": [workflows.tool_data(g) for g in calls]}
            columns, rows, notes = tables.TOOL_COLUMNS, tables.tool_rows(calls), tables.tool_notes(calls)
    if fmt == "json":
        output.data(dump_json(data))
    elif fmt == "markdown":
        output.data(tables.markdown(columns, rows, notes))
    else:
        table = tables.text(columns, rows)
        if table:
            output.data(table)
        else:
            output.info(
                "no workflow runs or tool calls in the window; import some with `promptops traces import`"
            )
        for line in notes:
            output.info(line)
    return 0


def import_feedback(
    file: Path = typer.Argument(
        ..., metavar="FILE", help="JSON Lines of ratings (record_id or response_id)."
    ),
) -> int:
    """Attach user ratings to stored trace records (idempotent; unmatched lines are named)."""
    from promptops.errors import FileFormatError
    from promptops.observe.traces import feedback
    from promptops.observe.traces.store import TraceStore, location
    from promptops.project import Project

    project = Project.load()
    with TraceStore.open(location(project)) as store:
        result = feedback.import_file(store, file, str(file))
    output.info(f"attached {result.added} new rating{'s' if result.added != 1 else ''} ({result.read} read)")
    if result.problems:
        raise FileFormatError(result.problems, hint="the other lines were imported")
    return 0


def traces_score(
    name: str | None = typer.Argument(
        None, metavar="[NAME]", help="Prompt to score (default: every suite's)."
    ),
    env: str | None = typer.Option(None, "--env", help="Only records of this environment."),
    sample: float | None = typer.Option(None, "--sample", metavar="RATE", help="Share of records, 0..1."),
    max_records: int | None = typer.Option(None, "--max", metavar="N", help="At most N records per prompt."),
    budget: float = typer.Option(1.0, "--budget", metavar="USD", help="Stop judging once this is spent."),
) -> int:
    """Score sampled production records with the suite's reference-free scorers (llm_judge included)."""
    from promptops.observe import scoring
    from promptops.project import Project
    from promptops.wording import money

    project = Project.load()
    reports = scoring.score_prompts(project, name, env, scoring.sampling(sample, max_records, budget))
    for suite, report in reports:
        _show(project, suite.prompt, report)
    spent = sum(report.spent_usd for _, report in reports)
    output.data(f"judge spend: {money(spent)} of the {money(budget)} budget")
    return 0


def _show(project: Project, prompt: str, report: ScoreReport) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.scores.items())) or "no scores"
    skipped = "; ".join(f"{k}: {v}" for k, v in sorted(report.skipped.items()))
    output.data(
        f"{prompt}: scored {report.scored} of {report.sampled} sampled records "
        f"({report.candidates} scorable): {counts}" + (f"; skipped {skipped}" if skipped else "")
    )
    if report.stored:
        from promptops.observe.traces.store import location

        output.info(f"stored {report.stored} new score(s) in {project.relative(location(project))}")
    if report.unpriced_calls:
        output.warn(
            f"{report.unpriced_calls} judge call(s) have no known price; the budget cannot count them"
        )
    if report.over_budget:
        output.warn(f"{prompt}: stopped at the budget; the rest of the sample is not scored")
