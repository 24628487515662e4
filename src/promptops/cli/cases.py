"""`cases propose` and `cases accept`: adapters over observe.proposals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer

from promptops.cli import output
from promptops.config import since_seconds
from promptops.errors import ExitCode, InputError


def register(app: typer.Typer) -> None:
    """Add `cases propose` and `cases accept` to `app`."""
    group = typer.Typer(name="cases", help="Golden cases from production records.", no_args_is_help=True)
    group.command("propose")(propose)
    group.command("accept")(accept)
    app.add_typer(group)


def propose(  # noqa: PLR0917 (typer maps each option to a parameter)
    name: str = typer.Argument(..., help="Suite name (evals/NAME.yaml); its prompt's records are read."),
    worst: int | None = typer.Option(None, "--worst", min=1, help="The N worst-scored records (with --by)."),
    by: str | None = typer.Option(None, "--by", metavar="SCORE", help="Score name to rank records by."),
    feedback: str | None = typer.Option(None, "--feedback", metavar="down", help="Records users rated down."),
    failed: bool = typer.Option(
        False, "--failed", help="Failed and timed-out workflow runs, with their tool results as a cassette."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Only records this recent (7d, 24h), from the newest."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Proposed-cases file (default .promptops/proposed/NAME.yaml)."
    ),
    source: str | None = typer.Option(
        None,
        "--from",
        metavar="SOURCE",
        help="Read the records where they live: Parquet or JSONL files (a path, a glob or an object-store "
        "URL), with DuckDB (the duckdb extra).",
    ),
) -> int:
    """Propose golden cases from production records: variables rebuilt, deduplicated, redacted, unreviewed."""
    from promptops.observe.flywheel.proposals import propose as run
    from promptops.observe.flywheel.proposer import Selection
    from promptops.project import Project

    if feedback is not None and feedback != "down":
        raise InputError(f"--feedback '{feedback}': expected down")
    if worst is not None and by is None:
        raise InputError("--worst needs --by SCORE (the score to rank records by)")
    if by is None and feedback is None and not failed:
        raise InputError("choose records with --worst N --by SCORE, --feedback down or --failed (or several)")
    selection = Selection(
        worst=worst,
        by=by,
        feedback_down=feedback == "down",
        failed=failed,
        since=timedelta(seconds=since_seconds(since)) if since else None,
    )
    project = Project.load()
    path, proposal = run(project, name, selection, out, source)
    for refusal in proposal.refused:
        output.info(f"refused record {refusal.call.id} (trace {refusal.call.trace_id}): {refusal.reason}")
    for call, case_id in proposal.duplicates:
        output.info(f"skipped record {call.id}: repeats case {case_id}")
    redacted = ", ".join(f"{n} {kind}" for kind, n in proposal.replaced.items())
    if proposal.cassettes:
        output.info(
            f"wrote {len(proposal.cassettes)} replay cassette(s) beside it in "
            f"{project.relative(path.parent / 'cassettes')}/ (placeholders as in the cases)"
        )
    output.info(
        f"wrote {project.relative(path)}: {len(proposal.cases)} proposed, {len(proposal.refused)} refused, "
        f"{len(proposal.duplicates)} duplicates" + (f"; placeholders for {redacted}" if redacted else "")
    )
    if proposal.cases:
        output.info(
            "next: fill in `expected`, set `reviewed: true`, run "
            f"`promptops cases accept {project.relative(path)}`"
        )
    return int(ExitCode.OK)


def accept(file: Path = typer.Argument(..., help="A reviewed proposed-cases file.")) -> int:
    """Append the reviewed cases to the suite's dataset; exit 1 when some were refused (they stay in FILE)."""
    from promptops.observe.flywheel.proposals import accept as run
    from promptops.project import Project

    project = Project.load()
    done = run(project, file)
    for case_id, line, why in done.refused:
        output.info(f"{project.relative(file)}:{line}: {case_id}: {why}")
    if done.accepted:
        output.info(
            f"added {len(done.accepted)} cases to {done.dataset}: {', '.join(done.accepted)}; the next "
            "eval runs them as added cases (not gated until `promptops baseline update`)"
        )
    else:
        output.info(f"no reviewed cases to add to {done.dataset}")
    return int(ExitCode.FAILED if done.refused else ExitCode.OK)
