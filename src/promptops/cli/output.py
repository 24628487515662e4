"""Everything the CLI prints: data to stdout, messages to stderr. The only rich user."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

# rich is imported on first use only: most commands print plain lines, and start-up time matters


@cache
def stdout() -> Console:
    from rich.console import Console

    # no fixed file: rich looks up sys.stdout at each write, so redirection (and capture) works
    return Console(highlight=False, soft_wrap=True)


@cache
def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def data(text: str) -> None:
    """Write data (a report, JSON, a rendered prompt) to stdout exactly as given."""
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


def info(text: str) -> None:
    sys.stderr.write(text + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"warning: {text}\n")


def error(lines: Sequence[str], hint: str | None) -> None:
    for line in lines:
        sys.stderr.write(f"error: {line}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")


def usage_error(exc: Any) -> None:
    """Print a usage error from the CLI framework (the full help when no arguments were given)."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":
        return  # the framework has already printed the help
    if ctx is not None:
        sys.stderr.write(ctx.get_usage() + "\n")
    error([exc.format_message()], "run with --help for usage")


def table(
    title: str | None, columns: Sequence[str], rows: Sequence[Sequence[str]], to_stderr: bool = False
) -> None:
    """Print a table: coloured on terminals, plain aligned columns in pipes (never wrapped at 80)."""
    console = stderr() if to_stderr else stdout()
    if not console.is_terminal:
        from promptops.report.table import columns as aligned

        console.file.write(aligned([columns, *rows]))
        return
    from rich.table import Table

    grid = Table(title=title, show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*row)
    console.print(grid)


def styled(lines: Sequence[tuple[str, str]]) -> None:
    """Print (text, style) lines to stdout: coloured on terminals, plain text in pipes and NO_COLOR."""
    from rich.text import Text

    console = stdout()
    for text, style in lines:
        console.print(Text(text, style=style or ""), soft_wrap=True)


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """Yield a `(done, total)` callback drawing a progress bar on stderr, or None when it is no terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr(),
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
