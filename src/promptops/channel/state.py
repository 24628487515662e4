"""The last good copy on disk: the pointer and its bundle, written atomically, shareable by processes."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

KEEP_OLD_S = 600  # another process may be about to write a pointer naming an older bundle

Writer = Callable[[Path, bytes], None]


@dataclass(frozen=True, kw_only=True)
class Saved:
    pointer: bytes
    bundle: bytes


def default_dir(channel: str, env: str) -> Path:
    """Return `$XDG_CACHE_HOME/promptops/channels/<hash>` (else `~/.cache/...`) for this channel and env."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    key = hashlib.sha256(f"{channel}\x00{env}".encode()).hexdigest()[:16]
    return Path(base) / "promptops" / "channels" / key


def _bundle_file(folder: Path, digest: str) -> Path:
    return folder / f"bundle-{digest}.json"


def pointer_file(folder: Path, env: str) -> Path:
    """Return where the saved pointer of `env` lives (one folder may hold several environments)."""
    return folder / f"pointer-{env}.json"


def load(folder: Path, env: str, digest_of: Callable[[bytes], str | None]) -> Saved | None:
    """Return the saved pointer and the bundle it names (`digest_of(pointer)`), or None if there is none."""
    try:
        pointer = pointer_file(folder, env).read_bytes()
    except OSError:
        return None
    digest = digest_of(pointer)
    if digest is None:
        return Saved(pointer=pointer, bundle=b"")
    try:
        return Saved(pointer=pointer, bundle=_bundle_file(folder, digest).read_bytes())
    except OSError:
        return Saved(pointer=pointer, bundle=b"")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` through a temporary file in the same folder, fsync and rename: readers never see half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # other processes of the application (other users, too) share the copy
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(folder: Path, env: str, saved: Saved, digest: str, write: Writer = write_atomic) -> None:
    """Save the bundle (content-addressed, so never torn) and then the pointer naming it; raise OSError."""
    bundle = _bundle_file(folder, digest)
    if not bundle.is_file():
        write(bundle, saved.bundle)
    write(pointer_file(folder, env), saved.pointer)
    _prune(folder, keep=bundle)


def _prune(folder: Path, keep: Path) -> None:
    now = time.time()
    for old in folder.glob("bundle-*.json"):
        try:
            if old != keep and now - old.stat().st_mtime > KEEP_OLD_S:
                old.unlink()
        except OSError:
            pass  # another process pruned it first
