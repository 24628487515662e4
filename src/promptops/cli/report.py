"""`report`: combine results files into one PR report; an adapter over the review use case."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output
from promptops.cli.choices import ReportFormat, choose

if TYPE_CHECKING:
    from promptops.review import Review


def register(app: typer.Typer) -> None:
    """Add `report` to `app`."""
    app.command("report")(report)


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
