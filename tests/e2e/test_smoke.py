from __future__ import annotations

from pathlib import Path

import promptops
from support.fixtures import CLI, run_subprocess


def test_version_flag(cli: CLI) -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.out == f"promptops {promptops.__version__}\n"


def test_python_m_runs_the_cli(tmp_path: Path) -> None:
    result = run_subprocess("--version", cwd=tmp_path)
    assert (result.code, result.out) == (0, f"promptops {promptops.__version__}\n")


def test_unknown_command_is_usage_error(cli: CLI) -> None:
    result = cli("frobnicate")
    assert result.code == 2
    assert "error: No such command 'frobnicate'." in result.err
    assert "Traceback" not in result.err
