"""`promptops keygen` and `publish`: signed channels that running applications follow."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output

if TYPE_CHECKING:
    from promptops.project import Project

PUBLISH_HELP = "Also publish ENV's signed pointer into this channel folder (break-glass: no CI wait)."
KEY_HELP = "Private signing key (PEM); default: the PROMPTOPS_SIGNING_KEY environment variable."


def keygen(
    out: str = typer.Option(".", "--out", help="Folder to write the key pair into."),
) -> int:
    """Write an Ed25519 key pair: promptops-signing.key (0600, keep it secret) and promptops-signing.pub."""
    from promptops.channel import signing

    private, public = signing.write_pair(Path(out), signing.generate())
    output.info(f"wrote {private} (secret: store it as the CI secret PROMPTOPS_SIGNING_KEY) and {public}")
    output.info("applications verify with it: load_prompt(..., public_key='promptops-signing.pub')")
    return 0


def publish(
    env: str = typer.Option(..., "--env", help="Environment whose pointer to publish, e.g. production."),
    to: str = typer.Option(..., "--to", metavar="DIR", help="Channel folder (bundles/ and channels/)."),
    key_file: str | None = typer.Option(None, "--key-file", metavar="KEY", help=KEY_HELP),
) -> int:
    """Write the content-addressed bundle and ENV's signed pointer into DIR, for any static host."""
    from promptops.channel.publish import load_key
    from promptops.project import Project

    publish_to(Project.load(), env, to, load_key(key_file))
    return 0


def publish_to(project: Project, env: str, to: str, key: tuple[str, str]) -> None:
    """Publish `env` into `to` and say what was written (shared by promote, rollback and canary --apply)."""
    from promptops.channel.publish import publish_project

    done = publish_project(project, env, Path(to), key)
    kept = "" if done.bundle_written else " (already there)"
    output.info(f"wrote {done.bundle_path}{kept} and {done.pointer_path}")
    output.info(f"published {env}: serial {done.serial}, bundle {done.bundle}")


def key_for(publish_dir: str | None, key_file: str | None) -> tuple[str, str] | None:
    """Return the checked signing key when `--publish` is given (before anything changes), else None."""
    if publish_dir is None:
        return None
    from promptops.channel.publish import load_key

    return load_key(key_file)


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("keygen")(keygen)
    app.command("publish")(publish)
