"""Wall time of `promptops diff` on a repository with 200 prompts and 50 commits.

Run: /work/venv/bin/python benchmarks/diff_speed.py [--prompts 200] [--commits 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = """\
name: p{i:03d}
version: 1.{minor}.0
description: Benchmark prompt {i}.
model: openai/gpt-4o-mini-2024-07-18
params: {{temperature: 0, max_tokens: 64}}
inputs:
  type: object
  required: [message]
  properties: {{message: {{type: string}}}}
messages:
  - role: system
    content: "You are assistant {i}. Revision {minor}. Answer briefly and precisely."
  - role: user
    content: "Message: {{{{ message }}}}"
examples:
  - {{message: "hello {i}"}}
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def build(root: Path, prompts: int, commits: int) -> None:
    """Write `prompts` prompt files, then commit `commits` times, each commit bumping 4 prompts."""
    git(root, "init", "-q", "-b", "main")
    (root / "promptops.yaml").write_text("version: 1\n")
    minors = [0] * prompts
    (root / "prompts").mkdir()
    for i in range(prompts):
        (root / "prompts" / f"p{i:03d}.yaml").write_text(PROMPT.format(i=i, minor=0))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial prompts")
    for c in range(1, commits):
        for k in range(4):
            i = (c * 4 + k) % prompts
            minors[i] += 1
            (root / "prompts" / f"p{i:03d}.yaml").write_text(PROMPT.format(i=i, minor=minors[i]))
        git(root, "commit", "-q", "-am", f"commit {c}")
    for i in range(0, prompts, 20):  # uncommitted edits to 10 prompts
        minors[i] += 1
        (root / "prompts" / f"p{i:03d}.yaml").write_text(PROMPT.format(i=i, minor=minors[i]))


def timed(root: Path, *args: str) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "promptops", "diff", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"promptops diff failed ({proc.returncode}): {proc.stderr}")
    return elapsed, proc.stdout.count("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--commits", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    env = {
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    os.environ.update(env)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        build(root, options.prompts, options.commits)
        built = time.perf_counter() - start
        print(f"built {options.prompts} prompts, {options.commits} commits in {built:.1f}s")
        first = subprocess.run(
            ["git", "rev-list", "--max-parents=0", "HEAD"],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        cases: list[tuple[str, tuple[str, ...]]] = [
            ("diff (working tree vs HEAD)", ()),
            ("diff --base <first commit> (every prompt changed)", ("--base", first)),
            ("diff --base <first commit> --format json", ("--base", first, "--format", "json")),
        ]
        for label, args in cases:
            runs = [timed(root, *args) for _ in range(options.runs)]
            best = min(t for t, _ in runs)
            print(f"{label}: best {best:.2f}s of {options.runs} runs ({runs[0][1]} output lines)")


if __name__ == "__main__":
    main()
