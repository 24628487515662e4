"""Publishing: write the content-addressed bundle and the environment's signed pointer into a folder."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from promptops.channel import pointer, signing
from promptops.errors import InputError
from promptops.project import write_atomic

if TYPE_CHECKING:
    from promptops.project import Project


@dataclass(frozen=True, kw_only=True)
class Published:
    env: str
    serial: int
    bundle: str  # sha256:<hex>
    pointer_path: Path
    bundle_path: Path
    bundle_written: bool  # False: the folder already held this bundle


def previous_serial(folder: Path, env: str) -> int | None:
    """Return the serial of the pointer already in `folder` for `env`, or None (none, or unreadable)."""
    path = folder / pointer.POINTERS / f"{env}.json"
    try:
        return pointer.parse(path.read_bytes()).payload.serial
    except (OSError, pointer.RefusedError):
        return None


def next_serial(previous: int | None, now_ms: int) -> int:
    """Return max(previous + 1, now in Unix milliseconds): it goes up even from a fresh folder."""
    return now_ms if previous is None else max(previous + 1, now_ms)


def publish(
    folder: Path, bundle_text: str, env: str, key: tuple[str, str], now: float | None = None
) -> Published:
    """Write `bundles/<sha256>.json` (if new) and the signed `channels/ENV.json`; return what was written."""
    at = time.time() if now is None else now
    data = bundle_text.encode("utf-8")
    digest = pointer.bundle_digest(data)
    bundle_path = folder / pointer.BUNDLES / f"{digest.removeprefix('sha256:')}.json"
    created = datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    payload = pointer.Payload(
        env=env,
        bundle=digest,
        serial=next_serial(previous_serial(folder, env), int(at * 1000)),
        created=created,
    )
    private, label = key
    signature, key_id = signing.sign(private, label, pointer.canonical(payload))  # a bad key writes nothing
    written = not (bundle_path.is_file() and bundle_path.read_bytes() == data)
    if written:
        write_atomic(bundle_path, bundle_text)  # before the pointer: a pointer never names a missing bundle
    pointer_path = folder / pointer.POINTERS / f"{env}.json"
    write_atomic(
        pointer_path, pointer.to_text(pointer.Pointer(payload=payload, signature=signature, key_id=key_id))
    )
    return Published(
        env=env,
        serial=payload.serial,
        bundle=digest,
        pointer_path=pointer_path,
        bundle_path=bundle_path,
        bundle_written=written,
    )


def load_key(key_file: str | None) -> tuple[str, str]:
    """Return the checked signing key PEM and its label (`--key-file`, else PROMPTOPS_SIGNING_KEY)."""
    text, label = signing.signing_key_text(key_file)
    signing.sign(text, label, b"")  # a bad key fails before anything changes
    return text, label


def publish_project(project: Project, env: str, folder: Path, key: tuple[str, str]) -> Published:
    """Return the publication of `env` from the project's environments and released tags into `folder`."""
    from promptops.deploy import bundle, environments, promotion

    environments.check_name(env)
    built, envs = promotion.bundle_for(project)
    if env not in envs.envs:
        known = ", ".join(sorted(envs.envs)) or "none"
        raise InputError(f"{envs.file} has no environment '{env}' (it has {known}); nothing to publish")
    return publish(folder, bundle.dump(built), env, key)
