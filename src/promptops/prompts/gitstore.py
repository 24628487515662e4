"""Reads files at refs, tags and history from git; the only GitPython user and error translator."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

# Without a git executable GitPython raises ImportError at import; we report it in open_store instead.
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import git
from git.exc import BadName, BadObject

from promptops.errors import RefError


@dataclass(frozen=True, kw_only=True)
class Revision:
    """One commit that touched a file, with the file's path (relative to the project root) there."""

    sha: str
    path: str
    date: str  # author date, ISO 8601
    author: str
    subject: str


@dataclass(frozen=True, kw_only=True)
class TagRef:
    """A git tag and the commit it points at."""

    name: str
    sha: str
    annotated: bool = True
    message: str = ""


FETCH_HINT = "if it is a tag or branch of the remote, fetch it first: `git fetch --tags`"
SHALLOW_HINT = (
    "this is a shallow clone: fetch the full history with `git fetch --unshallow --tags` "
    "(GitHub Actions: `actions/checkout` with `fetch-depth: 0`)"
)
_FIELD = "\x1f"
_RECORD = "\x1e"


def open_store(root: Path) -> GitStore:
    """Return a GitStore for the repository containing `root` (paths are relative to `root`)."""
    root = root.resolve()
    if shutil.which(str(git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git")) is None:
        raise RefError("the git command is not installed (or not on PATH)", hint="install git, then retry")
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise RefError(
            f"not a git repository: {root}",
            hint="run promptops inside a git clone (or `git init` and commit your prompts)",
        ) from None
    if repo.working_tree_dir is None:
        raise RefError(f"not a git working tree: {root}", hint="run promptops inside a git clone")
    worktree = Path(repo.working_tree_dir).resolve()
    prefix = root.relative_to(worktree).as_posix()
    return GitStore(repo, worktree, "" if prefix == "." else prefix)


@dataclass
class GitStore:
    """One repository; every path argument and result is relative to the project root."""

    repo: git.Repo
    worktree: Path
    prefix: str  # the project root relative to the worktree, "" at the top
    _commits: dict[str, Any] = field(default_factory=dict, repr=False)

    def close(self) -> None:
        """Stop the git helper processes GitPython keeps open."""
        self.repo.close()

    def __enter__(self) -> GitStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- refs ----------------------------------------------------------------

    def is_shallow(self) -> bool:
        """Return whether this is a shallow clone (history cut off)."""
        return (Path(self.repo.git_dir) / "shallow").exists()

    def head(self) -> str | None:
        """Return the sha HEAD points at, or None before the first commit."""
        try:
            return str(self.repo.head.commit.hexsha)
        except ValueError:
            return None

    def resolve(self, ref: str) -> str:
        """Return the commit sha `ref` (any commit-ish) names; raise RefError when unknown."""
        if not ref or ref.startswith("-"):
            raise self.unknown_ref(ref)
        try:
            return str(self.repo.commit(ref).hexsha)
        except (BadName, BadObject, ValueError, IndexError, git.GitCommandError):
            raise self.unknown_ref(ref) from None

    def has_ref(self, ref: str) -> bool:
        """Return whether `ref` names a commit."""
        try:
            self.resolve(ref)
        except RefError:
            return False
        return True

    def unknown_ref(self, ref: str) -> RefError:
        """Return the error for an unknown ref, with the hint that fits this clone."""
        if self.head() is None:
            return RefError(
                f"unknown git ref '{ref}': the repository has no commits yet",
                hint="commit your prompts first",
            )
        return RefError(f"unknown git ref '{ref}'", hint=SHALLOW_HINT if self.is_shallow() else FETCH_HINT)

    def merge_base(self, a: str, b: str) -> str | None:
        """Return the best common ancestor of two refs, or None when they share no history."""
        sha_a, sha_b = self.resolve(a), self.resolve(b)
        with self._translated(f"{a}...{b}"):
            bases = self.repo.merge_base(sha_a, sha_b)
        return str(bases[0].hexsha) if bases else None

    def default_branch(self) -> str | None:
        """Return the default branch ref (origin/HEAD, else main or master), or None."""
        try:
            target = self.repo.git.symbolic_ref("--quiet", "refs/remotes/origin/HEAD")
        except git.GitCommandError:
            target = ""
        if target.startswith("refs/remotes/"):
            return str(target.removeprefix("refs/remotes/"))
        for candidate in ("main", "master", "origin/main", "origin/master"):
            if self.has_ref(candidate):
                return candidate
        return None

    # --- files ---------------------------------------------------------------

    def _commit(self, ref: str) -> Any:
        if ref not in self._commits:
            self._commits[ref] = self.repo.commit(self.resolve(ref))
        return self._commits[ref]

    def read_file(self, ref: str, path: str) -> bytes | None:
        """Return the bytes of `path` at `ref`, or None when no file is there."""
        commit = self._commit(ref)
        try:
            item = commit.tree / self._git_path(path)
        except KeyError:
            return None
        if item.type != "blob":
            return None
        with self._translated(ref):
            return bytes(item.data_stream.read())

    def list_files(self, ref: str, directory: str) -> list[str]:
        """Return every file below `directory` at `ref`, sorted (empty when the directory is absent)."""
        return sorted(self._blobs(ref, directory))

    def read_files(self, ref: str, directory: str, suffix: str = "") -> dict[str, bytes]:
        """Return path -> bytes of every file below `directory` at `ref` whose name ends with `suffix`.

        Two git processes whatever the number of files: `ls-tree` names the blobs, one
        `cat-file --batch` reads them all (a round trip per blob costs more than the parse).
        """
        sha = self.resolve(ref)
        scope = self._git_path(directory) if directory not in ("", ".") else (self.prefix or ".")
        with self._translated(ref):
            listing = self.repo.git.ls_tree("-r", "-z", "--full-tree", sha, "--", scope)
        wanted: dict[str, str] = {}  # project path -> blob sha
        for entry in listing.split("\0"):
            meta, _, name = entry.partition("\t")
            fields = meta.split()
            if len(fields) == 3 and fields[1] == "blob" and name.endswith(suffix):
                wanted[self._project_path(name)] = fields[2]
        paths = sorted(wanted)
        return dict(zip(paths, self._cat([wanted[p] for p in paths]), strict=True))

    def _cat(self, shas: list[str]) -> list[bytes]:
        """Return the contents of the blobs `shas`, in order, from one `git cat-file --batch`."""
        if not shas:
            return []
        proc = subprocess.run(
            [str(git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git"), "cat-file", "--batch"],
            cwd=self.worktree,
            input=("\n".join(shas) + "\n").encode("ascii"),
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RefError(f"git failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
        out, at = [], 0
        data = proc.stdout
        for _ in shas:
            header_end = data.index(b"\n", at)
            header = data[at:header_end].split()
            if len(header) != 3:  # `<sha> missing`
                raise RefError(f"git failed: cannot read object {header[0].decode('ascii', 'replace')}")
            size = int(header[2])
            out.append(data[header_end + 1 : header_end + 1 + size])
            at = header_end + 1 + size + 1
        return out

    def _blobs(self, ref: str, directory: str) -> dict[str, Any]:
        commit = self._commit(ref)
        try:
            tree = commit.tree / self._git_path(directory) if directory not in ("", ".") else commit.tree
        except KeyError:
            return {}
        if tree.type != "tree":
            return {}
        return {self._project_path(str(item.path)): item for item in tree.traverse() if _is_blob(item)}

    def changed_paths(self, ref: str, directory: str = "") -> list[str]:
        """Return files that differ between `ref` and the working tree (untracked included), sorted."""
        sha = self.resolve(ref)
        scope = self._git_path(directory) if directory not in ("", ".") else (self.prefix or ".")
        with self._translated(ref):
            diffed = self.repo.git.diff("--name-only", "--no-renames", "-z", sha, "--", scope)
            untracked = self.repo.git.ls_files("--others", "--exclude-standard", "-z", "--", scope)
        names = {n for n in (diffed + "\0" + untracked).split("\0") if n}
        return sorted(self._project_path(n) for n in names)

    def uncommitted(self, paths: list[str]) -> list[str]:
        """Return those of `paths` with staged, unstaged or untracked changes against HEAD."""
        if not paths:
            return []
        with self._translated("HEAD"):
            status = self.repo.git.status(
                "--porcelain", "-z", "--untracked-files=all", "--", *(self._git_path(p) for p in paths)
            )
        dirty = set()
        entries = iter(status.split("\0"))
        for entry in entries:
            if not entry:
                continue
            dirty.add(self._project_path(entry[3:]))
            if entry[0] in "RC":
                next(entries, None)  # the source path of a rename/copy follows
        return sorted(p for p in paths if p in dirty)

    def history(self, path: str, ref: str = "HEAD") -> list[Revision]:
        """Return the commits that touched `path` up to `ref`, newest first, following renames."""
        sha = self.resolve(ref)
        with self._translated(ref):
            raw = self.repo.git.log(
                "--follow",
                "-M",
                "--name-status",
                "-z",
                f"--format={_RECORD}%H{_FIELD}%aI{_FIELD}%an{_FIELD}%s",
                sha,
                "--",
                self._git_path(path),
            )
        return [r for r in (_parse_log_record(rec, self) for rec in raw.split(_RECORD)) if r is not None]

    # --- tags ----------------------------------------------------------------

    def tags(self, prefix: str = "") -> list[TagRef]:
        """Return the tags whose name starts with `prefix`, sorted by name."""
        out = []
        with self._translated("refs/tags"):
            for tag in self.repo.tags:
                if not tag.name.startswith(prefix):
                    continue
                try:
                    sha = str(tag.commit.hexsha)
                except ValueError:
                    continue  # a tag of a tree or blob: not a version
                obj = tag.tag
                message = str(obj.message).strip() if obj is not None else ""
                out.append(TagRef(name=tag.name, sha=sha, annotated=obj is not None, message=message))
        return sorted(out, key=lambda t: t.name)

    def tag(self, name: str) -> TagRef | None:
        """Return the tag `name`, or None when there is none."""
        return next((t for t in self.tags(name) if t.name == name), None)

    def create_tag(self, name: str, ref: str, message: str) -> TagRef:
        """Create the annotated tag `name` at `ref` and return it."""
        sha = self.resolve(ref)
        try:
            self.repo.create_tag(name, ref=sha, message=message)
        except git.GitCommandError as exc:
            raise RefError(f"cannot create tag '{name}': {_stderr(exc)}") from None
        return TagRef(name=name, sha=sha, annotated=True, message=message)

    # --- internals -----------------------------------------------------------

    def _git_path(self, path: str) -> str:
        clean = PurePosixPath(path).as_posix()
        return f"{self.prefix}/{clean}" if self.prefix else clean

    def _project_path(self, git_path: str) -> str:
        if self.prefix and git_path.startswith(self.prefix + "/"):
            return git_path[len(self.prefix) + 1 :]
        return git_path

    @contextmanager
    def _translated(self, ref: str) -> Iterator[None]:
        try:
            yield
        except (BadName, BadObject):
            raise self.unknown_ref(ref) from None
        except git.GitCommandError as exc:
            text = _stderr(exc)
            if "unknown revision" in text or "bad revision" in text or "bad object" in text:
                raise self.unknown_ref(ref) from None
            raise RefError(f"git failed: {text}", hint=SHALLOW_HINT if self.is_shallow() else None) from None


def _is_blob(item: Any) -> bool:
    return bool(item.type == "blob")


def _stderr(exc: git.GitCommandError) -> str:
    text = str(exc.stderr or exc).strip().strip("'").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else str(exc)
    return last.removeprefix("stderr: ").strip("'").removeprefix("fatal: ").removeprefix("error: ")


def _parse_log_record(record: str, store: GitStore) -> Revision | None:
    if not record.strip("\0\n"):
        return None
    header, _, rest = record.partition("\0")
    sha, date, author, subject = header.split(_FIELD, 3)
    parts = [p for p in rest.strip("\0\n").split("\0") if p]
    if not parts or parts[0].startswith("D"):
        return None  # a deletion leaves nothing to read at this commit
    path = parts[-1]  # the new path of a rename, or the one path of a change
    return Revision(
        sha=sha, path=store._project_path(path.strip()), date=date, author=author, subject=subject
    )
