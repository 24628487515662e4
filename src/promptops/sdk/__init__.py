"""load_prompt() for applications: a prompt from a bundle, a followed channel or the working tree.

No git, litellm or rich; following a channel needs only stdlib urllib (and `cryptography` to verify).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from promptops.errors import InputError, UnknownPromptError
from promptops.prompts import working
from promptops.sdk.prompt import VARIABLES, Prompt
from promptops.sdk.routing import BUCKETS, bucket, choose
from promptops.sdk.shadow import (
    PAIR_KEY,
    SHADOW_OFF,
    call_with_shadow,
    new_pair_id,
    paired_kwargs,
    shadow_kwargs,
)
from promptops.sdk.spans import ToolRun, WorkflowRun, tool_span, workflow_span

if TYPE_CHECKING:
    from promptops.channel.follower import Snapshot
    from promptops.deploy.bundle import Bundle

__all__ = [
    "BUCKETS",
    "PAIR_KEY",
    "SHADOW_OFF",
    "VARIABLES",
    "Prompt",
    "ToolRun",
    "WorkflowRun",
    "bucket",
    "call_with_shadow",
    "choose",
    "load_prompt",
    "new_pair_id",
    "paired_kwargs",
    "shadow_kwargs",
    "tool_span",
    "workflow_span",
]


def load_prompt(
    name: str,
    env: str | None = None,
    *,
    bundle: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
    key: str | int | None = None,
    channel: str | os.PathLike[str] | None = None,
    public_key: str | os.PathLike[str] | None = None,
    poll_s: float = 10.0,
    timeout_s: float = 2.0,
    state_dir: str | os.PathLike[str] | None = None,
) -> Prompt:
    """Return the prompt `name` (or a pinned `name@VERSION`) as served by `env`.

    With `bundle=` everything comes from the verified bundle file (what production should use). Otherwise
    the project at `root` (default: the current directory) is read from the working tree: environments.yaml
    and the prompt files as they are on disk, so a version that is not the working tree's is refused.
    `key` (a user id, a session id) picks the canary for a stable share of keys.

    With `channel=` (a URL or a directory written by `promptops publish`) and `public_key=` (PEM text or a
    path), the environment's signed pointer is followed by a background poller every `poll_s` seconds;
    `bundle=` is then the fallback served when neither the channel nor the last good copy on disk (in
    `state_dir=`) can be read. The first call per (channel, env, key) starts the poller and fixes its
    settings; later calls return its current snapshot without touching the network.
    """
    base, at, pinned = name.partition("@")
    if at and not pinned:
        raise InputError(f"'{name}': nothing after '@'; write {base}@1.2.0 or pass env=")
    if pinned and env is not None:
        raise InputError(f"'{name}' pins a version; pass either NAME@VERSION or env=, not both")
    if bundle is not None and root is not None:
        raise InputError("pass either bundle= or root=, not both")
    if channel is not None:
        if env is None or public_key is None or root is not None:
            raise InputError("load_prompt(..., channel=...) needs env= and public_key=, and no root=")
        snapshot = _follow(channel, env, public_key, poll_s, timeout_s, state_dir, bundle)
        return _from_snapshot(snapshot, base, pinned, env, key)
    if bundle is not None:
        return _from_bundle(Path(bundle), base, pinned, env, key)
    return _from_tree(Path(root) if root is not None else None, base, pinned, env, key)


def _from_bundle(path: Path, name: str, pinned: str, env: str | None, key: str | int | None) -> Prompt:
    loaded = _bundle(path)
    if pinned:
        entry = loaded.prompt(name, pinned)
        return Prompt(entry.spec, entry.content_hash)
    if env is None:
        raise InputError(f"load_prompt('{name}', bundle=...) needs env= or a pinned '{name}@VERSION'")
    version, is_canary = choose(name, loaded.environments.require(env, name), key)
    entry = loaded.prompt(name, version)
    return Prompt(entry.spec, entry.content_hash, env, is_canary)


def _follow(  # noqa: PLR0917 (the keyword arguments of load_prompt, passed through)
    channel: str | os.PathLike[str],
    env: str,
    public_key: str | os.PathLike[str],
    poll_s: float,
    timeout_s: float,
    state_dir: str | os.PathLike[str] | None,
    embedded: str | os.PathLike[str] | None,
) -> Snapshot:
    from promptops.channel import follower, pollers
    from promptops.deploy.environments import check_name

    check_name(env)  # it becomes a file name on the channel
    if poll_s <= 0 or timeout_s <= 0:
        raise InputError(f"poll_s and timeout_s must be above 0, got {poll_s} and {timeout_s}")
    settings = follower.Settings(
        channel=os.fspath(channel),
        env=env,
        public_key=pollers.public_key_pem(public_key),
        poll_s=poll_s,
        timeout_s=timeout_s,
        state_dir=None if state_dir is None else Path(state_dir),
        embedded=None if embedded is None else Path(embedded),
    )
    return pollers.follow(settings).current()


def _from_snapshot(snapshot: Snapshot, name: str, pinned: str, env: str, key: str | int | None) -> Prompt:
    loaded = snapshot.bundle
    version, is_canary = (
        (pinned, False) if pinned else choose(name, loaded.environments.require(env, name), key)
    )
    entry = loaded.prompt(name, version)
    return Prompt(
        entry.spec,
        entry.content_hash,
        env,
        is_canary,
        channel_serial=snapshot.serial,
        bundle_hash=snapshot.bundle_hash,
    )


_CACHE: dict[str, tuple[tuple[int, int], Bundle]] = {}
_LOCK = threading.Lock()


def _bundle(path: Path) -> Bundle:
    # Applications call load_prompt per request: verify a bundle once per file version, not per call.
    from promptops.deploy import bundle

    try:
        stat = path.stat()
        where, version = os.path.abspath(path), (stat.st_mtime_ns, stat.st_size)
    except OSError:
        return bundle.read(path)  # reports the missing or unreadable file
    with _LOCK:
        cached = _CACHE.get(where)
        if cached is not None and cached[0] == version:
            return cached[1]
    loaded = bundle.read(path)
    with _LOCK:
        _CACHE[where] = (version, loaded)
    return loaded


def _from_tree(root: Path | None, name: str, pinned: str, env: str | None, key: str | int | None) -> Prompt:
    from promptops.deploy import environments
    from promptops.formats import content_hash
    from promptops.project import Project

    project = Project.load(root)
    spec = working.load_prompt(project, name)
    wanted, is_canary = pinned or None, False
    if env is not None:
        envs = environments.read(project, missing_ok=False)
        wanted, is_canary = choose(name, envs.require(env, name), key)
    if wanted is not None and wanted != spec.version:
        source = f"environment '{env}' serves" if env else "you pinned"
        raise UnknownPromptError(
            f"{source} {name}@{wanted}, but the working tree has {name}@{spec.version} ({spec.source})",
            hint="root= reads only the working tree; load released versions from a bundle: "
            "`promptops bundle --out prompts.lock.json`, then load_prompt(..., bundle='prompts.lock.json')",
        )
    return Prompt(spec, content_hash(spec.content()), env, is_canary, root=project.root)
