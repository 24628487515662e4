"""The one project builder, in the spirit of dvc's `tmp_dir`: a directory (a Path) that writes files.

    tmp_dir.gen({"promptops.yaml": "version: 1\n", "prompts": {"a.yaml": TEXT}})   # files, nested dirs
    tmp_dir.scm_gen({"prompts/a.yaml": TEXT}, message="a 1.0.0")                 # written and committed

The `tmp_dir` fixture (tests/conftest.py) is an empty directory that is the current directory;
`project_dir` is the same fixture under its older name; `git_repo` builds on it too.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Union

Tree = Mapping[str, Union[str, bytes, "Tree"]]


class TmpDir(type(Path())):  # type: ignore[misc]  # PosixPath (or WindowsPath): a Path with builders
    def gen(self, files: Tree, *, dedent: bool = False) -> list[Path]:
        """Write `files` (relative path -> text or bytes; a mapping is a directory) and return the paths.

        Parent directories are created; `dedent=True` strips the common indentation of each text."""
        written: list[Path] = []
        for rel, content in files.items():
            path = self / rel
            if isinstance(content, Mapping):
                path.mkdir(parents=True, exist_ok=True)
                written += TmpDir(path).gen(content, dedent=dedent)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(textwrap.dedent(content) if dedent else content, encoding="utf-8")
            written.append(path)
        return written

    def scm_gen(self, files: Tree, *, message: str = "change", dedent: bool = False) -> str:
        """Write `files`, commit everything (a repository is created on branch main when there is none)
        and return the new commit's sha."""
        if not (self / ".git").exists():
            self.git("init", "-q", "-b", "main")
        self.gen(files, dedent=dedent)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def git(self, *args: str) -> str:
        """Run git in this directory and return its stripped stdout (raising on failure)."""
        proc = subprocess.run(
            ["git", *args], cwd=self, capture_output=True, text=True, check=True, timeout=60
        )
        return proc.stdout.strip()
