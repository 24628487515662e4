"""The CLI's one error boundary: bugs, --debug, interrupts and closed pipes (pre-commit's error_handler_test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptops.errors import InputError
from promptops.prompts import lint as linting
from support.fixtures import CLI


@pytest.fixture
def project(project_dir: Path) -> Path:
    project_dir.gen({"promptops.yaml": "version: 1\n"})
    return project_dir


def _raise(exc: BaseException) -> object:
    def fail(*_args: object, **_kwargs: object) -> object:
        raise exc

    return fail


def test_a_bug_is_exit_4_with_the_traceback_and_a_report_request(
    project: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linting, "lint", _raise(RuntimeError("boom")))
    result = cli("lint", internal=True)
    assert result.code == 4
    assert "Traceback (most recent call last)" in result.err
    assert "RuntimeError: boom" in result.err
    assert result.err.endswith(
        "error: internal error: this is a bug in promptops\n"
        "hint: please report it with the traceback above at https://github.com/promptops/promptops-cli/issues\n"
    )


def test_a_user_error_has_no_traceback_unless_debug(
    project: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linting, "lint", _raise(InputError("prompts/x.yaml:3: name: bad", hint="fix it")))
    plain = cli("lint")
    assert (plain.code, plain.err) == (2, "error: prompts/x.yaml:3: name: bad\nhint: fix it\n")
    debug = cli("--debug", "lint")
    assert debug.code == 2
    assert "Traceback (most recent call last)" in debug.err
    assert debug.err.endswith("error: prompts/x.yaml:3: name: bad\nhint: fix it\n")


def test_ctrl_c_is_exit_130(project: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linting, "lint", _raise(KeyboardInterrupt()))
    result = cli("lint")
    assert (result.code, result.err) == (130, "error: interrupted\n")


def test_a_closed_pipe_is_not_a_failure(project: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linting, "lint", _raise(BrokenPipeError()))
    result = cli("lint")
    assert result.code in (0, 141)
    assert "Traceback" not in result.err


def test_a_usage_error_is_exit_2_with_the_usage(project: Path, cli: CLI) -> None:
    result = cli("lint", "--no-such-flag")
    assert result.code == 2
    assert result.err.startswith("Usage: promptops lint")
    assert "error: No such option: --no-such-flag" in result.err
