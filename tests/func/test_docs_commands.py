"""Every command, subcommand and option that `promptops --help` offers is explained in the written docs
(the README and the site's hand-written pages; the generated CLI reference does not count)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer

from promptops.cli.app import app
from support.docs import written_pages

DOCS = "\n".join(written_pages().values())


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    # typer ships its own click: groups are told apart by their `commands`
    for name, command in group.commands.items():
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


def test_every_command_and_option_is_in_the_docs() -> None:
    root = typer.main.get_command(app)
    assert hasattr(root, "commands")
    missing = [opt for param in root.params for opt in param.opts if opt.startswith("--") and opt not in DOCS]
    for path, command in _commands(root):
        name = "promptops " + " ".join(path)
        if name not in DOCS:
            missing.append(name)
        for param in command.params:
            missing += [f"{name} {opt}" for opt in param.opts if opt.startswith("--") and opt not in DOCS]
    assert [m for m in missing if not m.endswith("--help")] == []
