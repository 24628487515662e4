"""kill -9 during a write (`baseline update`, the runs index): nothing is left in a tracked folder, and
the next write removes the temporary file the killed one left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.evalproject import order_id_answer, write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI

# Runs promptops with os.fsync replaced by a SIGKILL of the process when the file being synced is `target`:
# the process dies with the temporary file written and not yet renamed, as under kill -9.
KILLED_AT_FSYNC = """
import os, runpy, signal, sys
target = sys.argv.pop(1)
real = os.fsync
def fsync(fd):
    if os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[-1].startswith("." + target + "."):
        os.kill(os.getpid(), signal.SIGKILL)
    real(fd)
os.fsync = fsync
sys.argv[0] = "promptops"
runpy.run_module("promptops", run_name="__main__")
"""

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")


def killed(root: Path, target: str, *args: str) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_AT_FSYNC, target, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode


def temp_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(".*.tmp"))


@pytest.fixture
def project(project_dir: Path, cli: CLI, openai_server: FakeOpenAI) -> Path:
    openai_server.answers = order_id_answer
    write_project(project_dir, count=3)
    assert cli("eval").code == 0
    return project_dir


def test_a_killed_baseline_update_leaves_nothing_in_evals_baselines(cli: CLI, project: Path) -> None:
    code = killed(
        project, "order-id.json", "baseline", "update", "order-id", "--from", ".promptops/runs/latest.json"
    )
    assert code == -9
    assert not (project / "evals/baselines/order-id.json").exists()
    left = temp_files(project)
    assert len(left) == 1 and left[0].startswith(".promptops/tmp/.order-id.json.")  # staged, untracked
    result = cli("baseline", "update", "order-id", "--from", ".promptops/runs/latest.json")
    assert result.code == 0, result.err
    assert (project / "evals/baselines/order-id.json").is_file()
    assert temp_files(project) == []  # the next write removed the dead process's temporary file


def test_a_killed_runs_index_write_is_cleaned_by_the_next_run(cli: CLI, project: Path) -> None:
    code = killed(project, "index.json", "eval")
    assert code == -9
    left = temp_files(project)
    assert len(left) == 1 and left[0].startswith(".promptops/runs/.index.json.")
    assert cli("eval").code == 0
    assert temp_files(project) == []


def test_an_old_style_temp_file_beside_its_baseline_is_removed_once_stale(cli: CLI, project: Path) -> None:
    # what a promptops before this fix left in evals/baselines/ (no pid in the name)
    assert cli("baseline", "update", "order-id", "--from", ".promptops/runs/latest.json").code == 0
    old = project / "evals/baselines/.order-id.json.k3j_x9q2.tmp"
    old.write_text("{", encoding="utf-8")
    os.utime(old, (1, 1))
    unrelated = project / "evals/baselines/.notes.abcdefgh.tmp"  # not beside a file of its name: kept
    unrelated.write_text("mine", encoding="utf-8")
    os.utime(unrelated, (1, 1))
    assert cli("baseline", "update", "order-id", "--from", ".promptops/runs/latest.json").code == 0
    assert not old.exists()
    assert unrelated.exists()
