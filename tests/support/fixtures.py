"""Fixtures for driving the CLI and building git repositories with the `git` command line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from promptops.cli import main


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
    """A temporary repository driven through the `git` command line."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=True, timeout=60
        )
        return proc.stdout.strip()

    def write(self, files: dict[str, str]) -> None:
        """Write files (dedented) relative to the root."""
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")

    def commit(
        self, files: dict[str, str] | None = None, message: str = "change", remove: list[str] | None = None
    ) -> str:
        """Write `files`, remove `remove`, commit everything and return the new commit sha."""
        if files:
            self.write(files)
        for rel in remove or []:
            self.git("rm", "-q", rel)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """An empty git repository on branch main that is the current directory."""
    repo = GitRepo(tmp_path / "repo")
    monkeypatch.chdir(repo.root)
    return repo
