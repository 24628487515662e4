"""`import promptfoo` and `import gh-models`: move a promptfoo config or GitHub Models files in.

The module is named `imports`, not `import` (a Python keyword, so no module can have that name) and not
`importing` (the house rule names a CLI module for its command group): the plural is the nearest name.
"""

from __future__ import annotations

from pathlib import Path

import typer

from promptops.cli import output
from promptops.errors import ExitCode


def register(app: typer.Typer) -> None:
    """Add `import promptfoo` and `import gh-models` to `app`."""
    group = typer.Typer(
        name="import", help="Import prompts and evals from other tools.", no_args_is_help=True
    )
    group.command("promptfoo")(import_promptfoo)
    group.command("gh-models")(import_gh_models)
    app.add_typer(group)


def _run(kind: str, paths: list[Path], out: Path, dry_run: bool) -> int:
    from promptops.interop.transfer import apply_import, plan_import

    plan = plan_import(kind, paths)
    report = [note.text() for note in plan.notes]
    if dry_run:
        output.data("\n".join(report) if report else "everything carried, nothing changed")
        return int(ExitCode.OK)
    written = apply_import(plan, out)
    for line in report:
        output.info(line)
    output.info(
        f"wrote {len(written)} files: {len(plan.prompts)} prompts, {len(plan.suites)} suites "
        f"({sum(not n.carried for n in plan.notes)} things not carried); run `promptops lint`"
    )
    return int(ExitCode.OK)


def import_promptfoo(
    config: Path = typer.Argument(..., help="promptfooconfig.yaml to import."),
    out: Path = typer.Option(Path(), "--out", help="Project directory to write into (default: here)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would not be carried; write nothing."),
) -> int:
    """Import a promptfoo config: one prompt file per (prompt, provider), one suite each."""
    return _run("promptfoo", [config], out, dry_run)


def import_gh_models(
    files: list[Path] = typer.Argument(..., help="GitHub Models .prompt.yml files."),
    out: Path = typer.Option(Path(), "--out", help="Project directory to write into (default: here)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would not be carried; write nothing."),
) -> int:
    """Import GitHub Models prompt files: testData as cases, evaluators as scorers."""
    return _run("gh-models", files, out, dry_run)
