"""docs/canary.md's walk-through, run as written: its files, and each command with its output at its hour.

A block `<!-- walkthrough file=NAME -->` before a fenced block is written to the project as NAME; a block
`<!-- walkthrough hours=N exit=C -->` before a console block runs its `$ promptops ...` line on the store
holding the first N hours of issue #26's traffic (seed 1: 250 control calls an hour passing the judge 92%
of the time, 50 canary calls passing 87%) and checks the exit code and that the output is the rest of the
block.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from support.canary_traffic import ISSUE_CANARIES, ISSUE_CONTROL, calls, fill_store, trace_lines
from support.fixtures import CLI

DOC = Path(__file__).resolve().parents[2] / "docs" / "canary.md"
BLOCK = re.compile(r"<!-- walkthrough (?P<args>[^>]*) -->\n```[a-z]*\n(?P<body>.*?)```", re.S)
VERSIONS = {"control": "1.3.0", "canary": "1.4.0"}


def traffic(hours: int) -> str:
    import random

    rng = random.Random(1)  # the same draws as support.canary_traffic.checks(seed=1)
    batches = []
    for _ in range(hours):
        batch = calls(rng, "control", ISSUE_CONTROL, 250, 1.0)
        batches.append(batch + calls(rng, "canary", ISSUE_CANARIES["quality -5 pp"], 50, 1.0))
    return trace_lines(batches, VERSIONS)


def test_the_walkthrough_runs_as_written(project_dir: Path, cli: CLI) -> None:
    blocks = [
        (dict(a.split("=", 1) for a in m["args"].split()), m["body"]) for m in BLOCK.finditer(DOC.read_text())
    ]
    runs = [(args, body) for args, body in blocks if "hours" in args]
    assert len(runs) >= 2
    for args, body in blocks:
        if "file" in args:
            (project_dir / args["file"]).write_text(body, encoding="utf-8")
    loaded = 0
    for args, body in runs:
        hours = int(args["hours"])
        lines = traffic(hours).splitlines(keepends=True)
        fill_store(project_dir, "".join(lines[loaded:]))  # the store grows hour by hour, as in production
        loaded = len(lines)
        command, _, expected = body.partition("\n")
        assert command.startswith("$ promptops ")
        result = cli(*shlex.split(command)[2:])
        assert (result.code, result.out) == (int(args["exit"]), expected), result.out


def test_the_simulation_command_of_the_docs_runs() -> None:
    import os
    import subprocess
    import sys

    root = DOC.parents[1]
    assert "$ PYTHONPATH=src python benchmarks/canary_simulation.py --runs 200\n" in DOC.read_text()
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    command = [sys.executable, "benchmarks/canary_simulation.py", "--runs", "2", "--only", "quality -5 pp"]
    done = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith("| canary | ROLLBACK by 72 h | PROMOTE | INCONCLUSIVE |")
    assert done.stdout.splitlines()[3].startswith("| quality -5 pp | 1.000 | 0.000 | 0.000 |")
