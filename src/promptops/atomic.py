"""Atomic writes of the files promptops writes, and the removal of the temporary files a killed write
left behind (kill -9 cannot be caught: the next write cleans up instead)."""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import time
from pathlib import Path

from promptops.errors import InputError, PromptOpsError, UnavailableError

# .NAME.PID.XXXXXXXX.tmp (mkstemp's eight characters); .NAME.XXXXXXXX.tmp before the pid was kept
_TEMP = re.compile(r"^\.(?P<name>.+?)(?:\.(?P<pid>\d+))?\.[a-z0-9_]{8}\.tmp$")
_STALE_S = 86_400.0  # a temp file this old is stale whatever its pid (the pid may have been reused)
_STALE_UNNAMED_S = 600.0  # one without a pid (beside its file): no write takes ten minutes


def write_atomic(path: Path, text: str, *, stage: Path | None = None) -> None:
    """Write `text` to `path` through a temporary file and a rename, so readers never see half.

    The temporary file, .NAME.PID.XXXXXXXX.tmp, is written in `stage` (a folder on the same file system
    that git does not track; `path`'s own folder by default); each write first removes those of dead
    processes there and beside `path`. The file gets the mode a plain `open()` would give (0666 less the
    umask; an existing file keeps its mode). A path that cannot be written is exit 2 naming it; a full
    disk is exit 3.
    """
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        stage = stage or path.parent
        clean_temp_files(path.parent)
        if stage != path.parent:
            clean_temp_files(stage)
        fd, tmp = tempfile.mkstemp(dir=stage, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
        os.fchmod(fd, mode)  # mkstemp makes 0600, which an application reading a bundle may not share
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise _write_error(path, exc) from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


def clean_temp_files(directory: Path) -> list[Path]:
    """Remove promptops's temporary files in `directory` whose writer is gone (its process no longer
    runs, or the file is a day old; ten minutes without a pid). Return what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        found = _TEMP.match(entry.name)
        if found is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            age = time.time() - entry.stat(follow_symlinks=False).st_mtime
            pid = found["pid"]
            if pid is None:
                stale = age > _STALE_UNNAMED_S and (directory / found["name"]).is_file()
            else:
                stale = age > _STALE_S or not _running(int(pid))
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # another writer removed or renamed it first
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, OSError):
        return True  # another user's process, or a pid this system cannot have: leave it
    return True


def _write_error(path: Path, exc: OSError) -> PromptOpsError:
    what = exc.strerror or str(exc)
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:  # mkdir says "File exists", which hides the reason
        what = f"{blocker} is a file, not a directory"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
        return UnavailableError(f"{path}: cannot write: {what}", hint="free some disk space and run again")
    return InputError(f"{path}: cannot write: {what}")


def _umask() -> int:
    # Linux shows the umask without changing it; elsewhere it can only be read by setting it
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current
