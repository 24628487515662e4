"""Commands about prompt files: init, lint, render."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from promptops.cli import output
from promptops.cli.choices import LintFormat, RenderFormat, choose
from promptops.errors import ExitCode, InputError

if TYPE_CHECKING:
    from promptops.prompts.finding import Finding
    from promptops.prompts.lint import Report
    from promptops.spec import PromptSpec


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("init")(init)
    app.command("lint")(lint)
    app.command("render")(render)


# --- init ----------------------------------------------------------------------


def init(
    example: str = typer.Option(
        "order-id", "--example", help="Example prompt and suite to scaffold: order-id or ticket-triage."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
) -> int:
    """Create promptops.yaml, an example prompt, its eval suite and the .gitignore line."""
    from promptops.prompts import scaffold

    root = Path.cwd()
    written = scaffold.apply(root, scaffold.plan(root, example, force))
    for target in written:
        output.info(f"wrote {target}")
    output.info(f"next: promptops lint && promptops render {example} --example 0")
    return int(ExitCode.OK)


# --- lint ----------------------------------------------------------------------


def lint(
    paths: list[Path] = typer.Argument(
        None, metavar="PATH", help="Prompt files or directories (default: all prompts)."
    ),
    fmt: str = typer.Option("text", "--format", metavar="text|json|github", help="Output format."),
    base: str | None = typer.Option(
        None, "--base", help="Also check version bumps and tagged versions against this git ref."
    ),
) -> int:
    """Check prompt files and promptops.yaml; exit 1 when a rule reports an error."""
    from promptops.prompts import lint as linting

    fmt = choose(fmt, LintFormat).value
    project, config_findings = linting.load_project(Path.cwd())
    report = linting.lint(project, paths or [], config_findings, base=base)
    return show_lint(report, fmt, project.root)


def show_lint(report: Report, fmt: str, root: Path) -> int:
    """Print a lint report in `fmt` and return the exit code (1 when it holds an error)."""
    if fmt == "json":
        from promptops.formats import dump_json

        output.data(dump_json(lint_json(report)))
    elif fmt == "github":
        from promptops.project import repo_prefix

        prefix = repo_prefix(root)
        for f in report.findings:
            output.data(github_annotation(f, prefix))
    else:
        for f in report.findings:
            output.data(lint_line(f))
    output.info(_summary(report))
    return int(ExitCode.FAILED if report.errors else ExitCode.OK)


def lint_line(f: Finding) -> str:
    """Return `file:line: severity CODE slug: message` plus an indented hint line."""
    where = f.file if f.line is None else f"{f.file}:{f.line}"
    text = f"{where}: {f.severity} {f.code} {f.slug}: {f.message}"
    return f"{text}\n    hint: {f.hint}" if f.hint else text


def lint_json(report: Report) -> dict[str, Any]:
    """Return the stable JSON form of a lint report (schema_version 1)."""
    return {
        "schema_version": 1,
        "files": list(report.files),
        "findings": [
            {
                "code": f.code,
                "slug": f.slug,
                "severity": f.severity,
                "file": f.file,
                "line": f.line,
                "message": f.message,
                "hint": f.hint,
            }
            for f in report.findings
        ],
        "summary": {"errors": report.errors, "warnings": report.warnings, "files": len(report.files)},
    }


def github_annotation(f: Finding, prefix: str = "") -> str:
    """Return a GitHub Actions workflow command (`::error file=...,line=...::message`)."""
    from promptops.report.annotations import workflow_data, workflow_property

    props = [f"file={workflow_property(prefix + f.file)}"]
    if f.line is not None:
        props.append(f"line={f.line}")
    props.append(f"title={workflow_property(f'{f.code} {f.slug}')}")
    message = f"{f.message} (hint: {f.hint})" if f.hint else f.message
    return f"::{f.severity} {','.join(props)}::{workflow_data(message)}"


def _summary(report: Report) -> str:
    files = f"{len(report.files)} file{'s' * (len(report.files) != 1)}"
    if not report.findings:
        return f"lint: no problems in {files}"
    errors = f"{report.errors} error{'s' * (report.errors != 1)}"
    warnings = f"{report.warnings} warning{'s' * (report.warnings != 1)}"
    return f"lint: {errors}, {warnings} in {files}"


# --- render --------------------------------------------------------------------


def _parse_var(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise InputError(f"--var '{item}': expected NAME=VALUE")
    key, value = item.split("=", 1)
    if not key:
        raise InputError(f"--var '{item}': empty variable name")
    return key, value


def _values(spec: PromptSpec, example: int | None, vars_file: Path | None, var: list[str]) -> dict[str, Any]:
    """Return the variables: the chosen example, then the vars file, then each --var (later wins)."""
    from promptops.prompts import render as rendering

    values: dict[str, Any] = {}
    if example is not None:
        if not 0 <= example < len(spec.examples):
            raise InputError(
                f"--example {example}: {spec.name} has {len(spec.examples)} example(s)",
                hint=f"use 0 to {len(spec.examples) - 1}" if spec.examples else "add `examples:` to the file",
            )
        values.update(spec.examples[example])
    if vars_file is not None:
        values.update(_read_vars_file(vars_file))
    values.update(rendering.coerce(spec, dict(_parse_var(v) for v in var)))
    return values


def render(
    name: str = typer.Argument(..., help="NAME, NAME@VERSION or NAME@REF."),
    var: list[str] = typer.Option([], "--var", help="A variable, NAME=VALUE (repeatable)."),
    vars_file: Path | None = typer.Option(None, "--vars-file", help="JSON or YAML file of variables."),
    example: int | None = typer.Option(None, "--example", help="Use the prompt's N-th example (from 0)."),
    fmt: str = typer.Option("text", "--format", metavar="text|json", help="Output format."),
) -> int:
    """Render a prompt's messages with variables."""
    from promptops.project import Project
    from promptops.prompts import render as rendering
    from promptops.prompts.registry import open_registry

    fmt = choose(fmt, RenderFormat).value
    project = Project.load()
    spec = open_registry(project).load(name)
    values = _values(spec, example, vars_file, var)
    messages = rendering.render_checked(spec, values, root=project.root)
    if fmt == "json":
        from promptops.report.rendered import rendered_json

        output.data(rendered_json(spec, values, messages))
    else:
        from promptops.report.rendered import rendered_text

        output.data(rendered_text(messages))
    return int(ExitCode.OK)


def _read_vars_file(path: Path) -> dict[str, Any]:
    from promptops.formats import decode, parse_yaml
    from promptops.project import read_bytes

    label = str(path)
    doc = parse_yaml(decode(read_bytes(path, label), label), label)
    if not isinstance(doc.data, dict):
        raise InputError(f"{label}: expected a mapping of variable names to values")
    return dict(doc.data)
