"""Commands about prompt files: init, lint, render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from promptops.cli import output
from promptops.errors import ExitCode, InputError


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("render")(render)


def _parse_var(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise InputError(f"--var '{item}': expected NAME=VALUE")
    key, value = item.split("=", 1)
    if not key:
        raise InputError(f"--var '{item}': empty variable name")
    return key, value


def render(
    name: str = typer.Argument(..., help="NAME, NAME@VERSION or NAME@REF."),
    var: list[str] = typer.Option([], "--var", help="A variable, NAME=VALUE (repeatable)."),
    vars_file: Path | None = typer.Option(None, "--vars-file", help="JSON or YAML file of variables."),
    example: int | None = typer.Option(None, "--example", help="Use the prompt's N-th example (from 0)."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
) -> int:
    """Render a prompt's messages with variables."""
    from promptops import render as rendering
    from promptops.project import Project

    if fmt not in {"text", "json"}:
        raise InputError(f"--format '{fmt}': expected text or json")
    project = Project.load()
    spec = project.load_prompt(name)
    values: dict[str, Any] = {}
    if example is not None:
        if not 0 <= example < len(spec.examples):
            raise InputError(f"--example {example}: {spec.name} has {len(spec.examples)} example(s)")
        values.update(spec.examples[example])
    if vars_file is not None:
        values.update(_read_vars_file(vars_file))
    values.update(dict(_parse_var(v) for v in var))
    messages = rendering.render(spec, values)
    if fmt == "json":
        output.data(
            json.dumps(
                {
                    "name": spec.name,
                    "version": spec.version,
                    "model": spec.model,
                    "params": dict(spec.params),
                    "messages": [m.as_dict() for m in messages],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for m in messages:
            output.data(f"--- {m.role} ---\n{m.content}")
    return int(ExitCode.OK)


def _read_vars_file(path: Path) -> dict[str, Any]:
    from promptops.formats import decode, parse_yaml
    from promptops.project import read_bytes

    doc = parse_yaml(decode(read_bytes(path, str(path)), str(path)), str(path))
    if not isinstance(doc.data, dict):
        raise InputError(f"{path}: expected a mapping of variable names to values")
    return dict(doc.data)
