"""The typer app: global options and one registration call per command group."""

from __future__ import annotations

import typer

from promptops import __version__
from promptops.cli import (
    baseline,
    batch,
    budget,
    canary,
    cases,
    channel,
    compare,
    cost,
    environments,
    evals,
    export,
    github,
    imports,
    prompts,
    report,
    traces,
    versions,
)

app = typer.Typer(
    name="promptops",
    help="Git-native prompt registry and CI eval gate.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"promptops {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """Git-native prompt registry and CI eval gate."""


for group in (
    prompts,
    versions,
    evals,
    batch,
    baseline,
    report,
    compare,
    environments,
    traces,
    canary,
    github,
    cost,
    budget,
    cases,
    channel,
    imports,
    export,
):
    group.register(app)
