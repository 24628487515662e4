"""Shell habits: the umask, closed pipes, --debug anywhere, completion, SIGTERM, unwritable outputs."""

from __future__ import annotations

import errno
import json
import os
import shlex
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from promptops.atomic import _write_error
from promptops.errors import InputError, UnavailableError
from promptops.project import write_atomic
from support.evalproject import interrupted_eval, order_id_answer, results, write_project
from support.fixtures import CLI, run_subprocess
from support.openai_server import FakeOpenAI


@pytest.fixture
def server(openai_server: FakeOpenAI) -> FakeOpenAI:
    openai_server.answers = order_id_answer
    return openai_server


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_files_respect_the_umask(
    cli: CLI, project_dir: Path, server: FakeOpenAI, umask_022: None
) -> None:
    write_project(project_dir, count=2)
    assert cli("eval", "--out", "results.json").code == 0
    assert cli("baseline", "update", "order-id", "--from", "results.json").code == 0
    for rel in ("results.json", ".promptops/runs/latest.json", "evals/baselines/order-id.json"):
        assert mode(project_dir / rel) == 0o644, rel
    os.umask(0o077)
    write_atomic(project_dir / "private.txt", "x")
    assert mode(project_dir / "private.txt") == 0o600
    (project_dir / "results.json").chmod(0o640)  # a file that exists keeps its mode
    assert cli("eval", "--out", "results.json").code == 0
    assert mode(project_dir / "results.json") == 0o640


def test_init_files_respect_the_umask(cli: CLI, project_dir: Path, umask_022: None) -> None:
    assert cli("init").code == 0
    assert mode(project_dir / "promptops.yaml") == 0o644
    assert mode(project_dir / "prompts/order-id.yaml") == 0o644


def closed_pipe(*args: str, cwd: Path) -> int:
    """Run promptops ARGS with stdout into a pipe whose reader has gone; return the exit code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptops", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    proc.stdout.close()  # like `| head -0`: every write fails with EPIPE
    _out, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"error" not in err, err
    return proc.returncode


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("lint", "--help"),
        ("render", "order-id", "--example", "0"),
        ("log", "order-id"),
        ("diff", "order-id", "--base", "HEAD"),
    ],
)
def test_closed_pipe_is_success(project_dir: Path, args: tuple[str, ...]) -> None:
    assert run_subprocess("init", cwd=project_dir).code == 0
    subprocess.run(["git", "init", "-q"], cwd=project_dir, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project_dir, check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=project_dir, check=True)
    assert closed_pipe(*args, cwd=project_dir) == 0


def test_debug_is_accepted_anywhere(cli: CLI, project_dir: Path) -> None:
    assert cli("init").code == 0
    assert cli("lint", "--debug").code == 0
    assert cli("--debug", "lint").code == 0
    result = cli("render", "nope", "--debug")
    assert result.code == 2 and "Traceback" in result.err


def test_shell_completion_is_offered(project_dir: Path) -> None:
    # typer detects the shell from the process tree: run it from bash, as a user's terminal would
    proc = subprocess.run(
        ["bash", "-c", f"{shlex.quote(sys.executable)} -m promptops --show-completion; exit $?"],  # no exec
        cwd=project_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "_promptops_completion" in proc.stdout
    assert "--install-completion" in run_subprocess("--help", cwd=project_dir).out


def test_sigterm_keeps_finished_cases_like_ctrl_c(project_dir: Path, server: FakeOpenAI) -> None:
    returncode, err = interrupted_eval(project_dir, server, signal.SIGTERM)
    assert returncode == 143, err
    assert "Traceback" not in err
    finished = [c["id"] for c in results(project_dir)["suites"]["order-id"]["cases"]]
    assert 4 <= len(finished) < 20
    assert f"interrupted: {len(finished)} finished cases written to .promptops/runs/latest.json" in err
    assert "Aborted" not in err


def test_out_that_cannot_be_written_names_the_path(cli: CLI, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=2)
    project_dir.gen({"blocker": "a file, not a directory"})
    result = cli("eval", "--out", "blocker/results.json")
    assert (result.code, result.err.splitlines()[-1]) == (
        2,
        "error: blocker/results.json: cannot write: blocker is a file, not a directory",
    )
    assert len(results(project_dir)["suites"]["order-id"]["cases"]) == 2  # latest.json kept the run


def test_a_full_disk_is_exit_3_naming_the_path() -> None:
    full = _write_error(Path("out/results.json"), OSError(errno.ENOSPC, "No space left on device"))
    assert isinstance(full, UnavailableError)
    assert full.message == "out/results.json: cannot write: No space left on device"
    readonly = _write_error(Path("out/results.json"), OSError(errno.EROFS, "Read-only file system"))
    assert isinstance(readonly, InputError) and readonly.exit_code == 2
    assert readonly.message == "out/results.json: cannot write: Read-only file system"


def test_a_cache_that_fails_mid_run_loses_nothing(cli: CLI, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=3)
    db_path = project_dir / ".promptops/cache/responses.sqlite3"
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE replies (key TEXT PRIMARY KEY, model TEXT NOT NULL, reply TEXT NOT NULL)")
    # what a full disk looks like to sqlite: every write fails
    db.execute(
        "CREATE TRIGGER full BEFORE INSERT ON replies BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
    )
    db.commit()
    db.close()
    result = cli("eval", "--out", "results.json")
    assert result.code == 0, result.err
    assert result.err.count("warning: the response cache") == 1
    assert "failed (database or disk is full); going on without it" in result.err
    data = json.loads((project_dir / "results.json").read_text(encoding="utf-8"))
    assert [c["error"] for c in data["suites"]["order-id"]["cases"]] == [None, None, None]


def test_an_unwritable_step_summary_is_a_warning(
    cli: CLI, project_dir: Path, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(project_dir, count=2)
    (project_dir / "summary").mkdir()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(project_dir / "summary"))
    result = cli("eval")
    assert result.code == 0, result.err
    assert f"warning: cannot write the step summary {project_dir / 'summary'}: Is a directory" in result.err
