"""`import promptops`, `--help`, `lint` and `render` never import litellm (its import takes seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.fixtures import CLI

PROBE = """
import sys
args = sys.argv[1:]
code = 0
if args != ["import"]:
    from promptops.cli import main
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code or 0
else:
    import promptops
heavy = sorted(m for m in ("litellm", "openai") if m in sys.modules)
sys.stderr.write(f"\\nPROBE code={code} heavy={','.join(heavy) or '-'} litellm={'litellm' in sys.modules}\\n")
"""


@pytest.fixture
def initialized(cli: CLI, project_dir: Path) -> Path:
    assert cli("init").code == 0
    return project_dir


@pytest.mark.parametrize(
    "args",
    [
        ["import"],
        ["--help"],
        ["lint"],
        ["lint", "--format", "json"],
        ["render", "order-id", "--example", "0"],
    ],
    ids=["import", "help", "lint", "lint-json", "render"],
)
def test_command_leaves_litellm_unimported(initialized: Path, args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=initialized,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    probe = proc.stderr.strip().splitlines()[-1]
    assert probe == "PROBE code=0 heavy=- litellm=False", proc.stderr


def test_the_probe_can_see_litellm(initialized: Path) -> None:
    # guards the test above against passing vacuously: the same probe notices an import
    proc = subprocess.run(
        [sys.executable, "-c", "import litellm\n" + PROBE, "import"],
        cwd=initialized,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stderr.strip().splitlines()[-1].endswith("litellm=True")
