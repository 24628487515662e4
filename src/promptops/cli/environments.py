"""`promptops promote`, `rollback`, `status` and `bundle`: which version each environment serves."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output
from promptops.cli.channel import KEY_HELP, PUBLISH_HELP, key_for, publish_to

if TYPE_CHECKING:
    from promptops.deploy.environments import Assignment, Environments
    from promptops.deploy.promotion import Change, StatusRow
    from promptops.project import Project


def promote(  # noqa: PLR0917 (typer maps each option to a parameter)
    selector: str = typer.Argument(..., metavar="NAME@VERSION", help="The released version to serve."),
    env: str = typer.Option(..., "--env", help="Environment to promote into, e.g. production."),
    canary: float | None = typer.Option(
        None, "--canary", metavar="PERCENT", help="Serve the version to this share of keys only."
    ),
    force: bool = typer.Option(False, "--force", help="Promote even without a passing gate result."),
    publish: str | None = typer.Option(None, "--publish", metavar="DIR", help=PUBLISH_HELP),
    key_file: str | None = typer.Option(None, "--key-file", metavar="KEY", help=KEY_HELP),
) -> int:
    """Make ENV serve a released version (it needs a passing gate result unless --force)."""
    from promptops.deploy import environments, evidence, promotion
    from promptops.project import Project
    from promptops.prompts.registry import open_registry

    name, version = promotion.version_selector(selector)
    environments.check_name(env)
    key = key_for(publish, key_file)
    project = Project.load()
    registry = open_registry(project)
    found = promotion.released(registry, name, version)
    proof = evidence.find(project, registry, found)
    if proof is None and not force:
        output.error(
            [f"{name}@{version} has no passing gate result; refusing to promote it to {env}"],
            f"run `promptops eval {name}@{version}` (its gate must pass) or commit a baseline "
            "produced by it with `promptops baseline update`; --force promotes anyway",
        )
        return 1
    if proof is None:
        output.warn(f"promoting {name}@{version} to {env} without a passing gate result (--force)")
    else:
        output.info(f"evidence: {proof}")
    envs = environments.read(project)
    change = promotion.assign(envs, env, name, version, canary)
    code = _apply(project, change, envs, f"promote {name}@{version} to {env}")
    if publish is not None and key is not None:
        publish_to(project, env, publish, key)
    return code


def rollback(
    name: str = typer.Argument(..., metavar="NAME", help="Prompt to roll back."),
    env: str = typer.Option(..., "--env", help="Environment to roll back, e.g. production."),
    publish: str | None = typer.Option(None, "--publish", metavar="DIR", help=PUBLISH_HELP),
    key_file: str | None = typer.Option(None, "--key-file", metavar="KEY", help=KEY_HELP),
) -> int:
    """Make ENV serve the version it served before (an active canary is removed first)."""
    from promptops.deploy import environments, promotion
    from promptops.project import Project
    from promptops.prompts.registry import open_registry

    key = key_for(publish, key_file)
    project = Project.load()
    envs = environments.read(project, missing_ok=False)
    current = envs.require(env, name)
    served: list[str] = []
    shallow = False
    if current.canary is None:
        registry = open_registry(project)
        served = promotion.served_versions(registry, project, env, name)
        shallow = registry.history.is_shallow()
    change = promotion.rollback(envs, env, name, served, shallow)
    code = _apply(project, change, envs, f"roll back {name} in {env} to {change.after.version}")
    if publish is not None and key is not None:
        publish_to(project, env, publish, key)
    return code


def _apply(project: Project, change: Change, envs: Environments, message: str) -> int:
    from promptops.deploy import environments

    path = environments.file_path(project)
    if not change.changed:
        output.info(
            f"{change.env} already serves {_describe(change.after)} of {change.prompt}; nothing to do"
        )
        return 0
    environments.write(project, envs.with_assignment(change.env, change.prompt, change.after))
    before = "nothing" if change.before is None else _describe(change.before)
    output.info(f"{change.env}: {change.prompt} {before} -> {_describe(change.after)}")
    output.info(f"wrote {project.relative(path)}; to ship it:")
    rel = os.path.relpath(path, Path.cwd())
    output.data(f"git add {shlex.quote(rel)}\ngit commit -m {shlex.quote(message)}\ngit push\n")
    return 0


def _describe(assignment: Assignment) -> str:
    if assignment.canary is None:
        return assignment.version
    return f"{assignment.version} (canary {assignment.canary.version} at {assignment.canary.percent:g}%)"


def status(
    format: str = typer.Option("text", "--format", help="text or json."),
) -> int:
    """Show which version every environment serves, its canary, and drift from the working tree."""
    from promptops.deploy import promotion
    from promptops.errors import InputError
    from promptops.project import Project

    if format not in ("text", "json"):
        raise InputError(f"--format must be text or json, got '{format}'")
    found = promotion.project_status(Project.load())
    rows, envs_file = found.rows, found.file
    if format == "json":
        output.data(promotion.status_json(found))
        return 0
    if not rows:
        output.info(
            f"{envs_file} serves no prompt yet; promote one with `promptops promote NAME@VERSION --env ENV`"
        )
        return 0
    table = [[r.env, r.prompt, r.version, _canary(r), r.working_tree or "(no file)", _notes(r)] for r in rows]
    output.table(None, ["ENV", "PROMPT", "VERSION", "CANARY", "WORKING TREE", "NOTES"], table)
    if found.uncommitted:
        output.warn(f"{envs_file} has uncommitted changes")
    return 0


def _canary(row: StatusRow) -> str:
    return "-" if row.canary is None else f"{row.canary.version} ({row.canary.percent:g}%)"


def _notes(row: StatusRow) -> str:
    notes = []
    if row.drifted:
        notes.append("drifted: working tree differs")
    if row.released is False:
        notes.append("not released (no tag)")
    return "; ".join(notes) or "ok"


def bundle(
    out: str = typer.Option("prompts.lock.json", "--out", help="Bundle file to write ('-': stdout)."),
) -> int:
    """Write the bundle an application ships: every served version, read from its tag, with hashes."""
    from promptops.deploy import bundle as bundles
    from promptops.deploy import promotion
    from promptops.project import Project

    built, envs = promotion.bundle_for(Project.load())
    if out == "-":
        output.data(bundles.dump(built))
        return 0
    bundles.write(Path(out), built)
    names = {name for name, _ in built.prompts}
    output.info(
        f"wrote {out}: {len(built.prompts)} version(s) of {len(names)} prompt(s) "
        f"for {len(envs.envs)} environment(s)"
    )
    return 0


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("promote")(promote)
    app.command("rollback")(rollback)
    app.command("status")(status)
    app.command("bundle")(bundle)
