"""Fixtures for driving the CLI and building git repositories with the `git` command line."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from promptops.cli import main
from support.tmpdir import TmpDir


@dataclass
class Result:
    code: int
    out: str
    err: str


class CLI:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str, internal: bool = False) -> Result:
        """Run the CLI in-process and return the exit code, stdout and stderr.

        An exit 4 (a bug in promptops) fails the test at once with the traceback, unless the test
        is about the internal-error boundary itself (`internal=True`).
        """
        self.capsys.readouterr()
        code = main(list(args))
        captured = self.capsys.readouterr()
        if code == 4 and not internal:
            pytest.fail(
                f"promptops {' '.join(args)} exited 4 (internal error):\n{captured.err}", pytrace=False
            )
        return Result(code, captured.out, captured.err)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CLI:
    return CLI(capsys)


def run_subprocess(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    """Run `python -m promptops ARGS` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-m", "promptops", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


class GitRepo:
    """A temporary repository driven through the `git` command line (its root is a TmpDir)."""

    def __init__(self, root: Path) -> None:
        self.root = TmpDir(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        return TmpDir(self.root).git(*args)  # TmpDir(): a test may set `root` to a plain Path

    def write(self, files: dict[str, str]) -> None:
        """Write files (dedented) relative to the root."""
        TmpDir(self.root).gen(files, dedent=True)

    def commit(
        self, files: dict[str, str] | None = None, message: str = "change", remove: list[str] | None = None
    ) -> str:
        """Write `files` (dedented), remove `remove`, commit everything and return the new commit sha."""
        self.write(files or {})
        for rel in remove or []:
            self.git("rm", "-q", rel)
        return TmpDir(self.root).scm_gen({}, message=message)


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """An empty git repository on branch main that is the current directory."""
    repo = GitRepo(tmp_path / "repo")
    monkeypatch.chdir(repo.root)
    return repo
