"""`export gh-models`: write a prompt (and its suites' cases and scorers) as a GitHub Models file."""

from __future__ import annotations

from pathlib import Path

import typer

from promptops.cli import output
from promptops.errors import ExitCode


def register(app: typer.Typer) -> None:
    """Add `export gh-models` to `app`."""
    group = typer.Typer(name="export", help="Export prompts for other tools.", no_args_is_help=True)
    group.command("gh-models")(export_gh_models)
    app.add_typer(group)


def export_gh_models(
    selector: str = typer.Argument(..., metavar="NAME[@VERSION]", help="Prompt to export."),
    out: Path | None = typer.Option(None, "--out", help="Write the .prompt.yml here (default: stdout)."),
) -> int:
    """Write a .prompt.yml that `gh models eval` accepts; say on stderr what it could not carry."""
    from promptops.interop.transfer import export_prompt
    from promptops.project import write_atomic

    text, notes = export_prompt(selector)
    for note in notes:
        output.warn(f"not carried: {note}")
    if out is None:
        output.data(text)
    else:
        write_atomic(out, text)
        output.info(f"wrote {out}")
    return int(ExitCode.OK)
