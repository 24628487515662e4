"""`promptops canary analyze`: judge a canary against its control from production traces."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output
from promptops.cli.channel import KEY_HELP, PUBLISH_HELP, key_for, publish_to
from promptops.cli.choices import CanaryFormat, choose

if TYPE_CHECKING:
    from promptops.deploy.rollout import CanaryRun
    from promptops.project import Project


def analyze(  # noqa: PLR0917 (typer maps each option to a parameter)
    name: str = typer.Argument(..., metavar="NAME", help="Prompt whose canary to judge."),
    env: str = typer.Option(..., "--env", help="Environment serving the canary, e.g. production."),
    since: str | None = typer.Option(
        None,
        "--since",
        help="Window back from the newest record, e.g. 24h (default: since the canary began).",
    ),
    shadow: bool = typer.Option(False, "--shadow", help="Compare the shadow version with paired statistics."),
    format: str = typer.Option("text", "--format", help="text, markdown or json."),
    apply: bool = typer.Option(False, "--apply", help="Carry the verdict out on environments.yaml."),
    source: str | None = typer.Option(
        None,
        "--from",
        metavar="SOURCE",
        help="Read the window where it lives: Parquet or JSONL files (a path, a glob or an object-store "
        "URL), with DuckDB (the duckdb extra).",
    ),
    publish: str | None = typer.Option(
        None, "--publish", metavar="DIR", help=PUBLISH_HELP + " With --apply."
    ),
    key_file: str | None = typer.Option(None, "--key-file", metavar="KEY", help=KEY_HELP),
) -> int:
    """Compare the canary arm with the control arm: PROMOTE, CONTINUE, ROLLBACK or INCONCLUSIVE."""
    from promptops.config import since_seconds
    from promptops.deploy import rollout
    from promptops.errors import InputError
    from promptops.observe.canary import report as canary_report
    from promptops.project import Project

    kind = choose(format, CanaryFormat)
    if publish is not None and not apply:
        raise InputError("--publish publishes what --apply changed; pass --apply too")
    key = key_for(publish, key_file)
    since_s = None if since is None else since_seconds(since, examples="90m, 24h or 7d")
    project = Project.load()
    run = rollout.analyze(project, name, env, since_s, shadow, source=source)
    render = {
        CanaryFormat.text: canary_report.text,
        CanaryFormat.markdown: canary_report.markdown,
        CanaryFormat.json: canary_report.json_text,
    }[kind]
    output.data(render(run.analysis, run.window))
    if apply:
        _apply(project, run)
    if publish is not None and key is not None:
        publish_to(project, env, publish, key)
    return run.analysis.exit_code


def _apply(project: Project, run: CanaryRun) -> None:
    from promptops.deploy import environments, rollout

    change = rollout.carry_out(project, run)
    if change is None:
        output.info("CONTINUE: nothing to apply yet; environments.yaml is unchanged")
        return
    evidence = rollout.write_evidence(project, run)
    before, after = change.before, change.after
    described = "" if before is None or before.canary is None else before.canary.version
    verb = "promote" if after.version == described else "roll back"
    done = "promoted" if verb == "promote" else "rolled back"
    output.info(f"{change.env}: {change.prompt} canary {described} {done}; {after.version} serves everyone")
    paths = [environments.file_path(project), *evidence]
    output.info(f"wrote {', '.join(project.relative(p) for p in paths)}; to ship it:")
    rels = " ".join(shlex.quote(os.path.relpath(p, Path.cwd())) for p in paths)
    message = f"canary: {verb} {change.prompt} {described} in {change.env} ({run.analysis.verdict})"
    # stderr, so stdout stays the report alone (valid JSON with --format json)
    output.info(f"git add {rels}\ngit commit -m {shlex.quote(message)}\ngit push")


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    group = typer.Typer(name="canary", help="Judge canaries from production traces.", no_args_is_help=True)
    group.command("analyze")(analyze)
    app.add_typer(group)
