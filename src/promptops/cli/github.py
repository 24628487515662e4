"""`promptops comment`: create or update the sticky pull-request report comment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from promptops.cli import output

MAX_REPORT_BYTES = 1_000_000


def comment(
    pr: int = typer.Option(..., "--pr", help="Pull request number."),
    file: Path = typer.Option(..., "--file", help="Markdown report to post ('-' reads stdin)."),
    update_only: bool = typer.Option(
        False, "--update-only", help="Only update an existing report comment; never create one."
    ),
) -> int:
    """Create or update the one pull-request comment that carries the promptops report marker."""
    from promptops.errors import InputError
    from promptops.github import GitHubClient, GitHubConfig, upsert_comment
    from promptops.project import read_bytes

    if pr < 1:
        raise InputError(f"--pr must be a pull request number (1 or more), got {pr}")
    raw = sys.stdin.buffer.read() if str(file) == "-" else read_bytes(file, str(file), MAX_REPORT_BYTES)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{file}: not UTF-8 text") from None
    if not body.strip():
        raise InputError(f"{file}: the report is empty")
    client = GitHubClient(GitHubConfig.from_env(os.environ))
    result = upsert_comment(client, pr, body, create=not update_only)
    if result is None:
        output.info(f"no report comment on pull request #{pr} to update")
        return 0
    output.info(f"{result.action} comment {result.comment.id} on pull request #{pr}")
    output.data(result.comment.html_url)
    return 0


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("comment")(comment)
