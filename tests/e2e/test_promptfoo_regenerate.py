"""Regenerate the promptfoo conformance corpus with the installed promptfoo and compare it with the committed one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from promptfoo_tool import FIXTURES, SKIP_REASON, promptfoo_dir


@pytest.mark.skipif(promptfoo_dir() is None or shutil.which("node") is None, reason=SKIP_REASON)
def test_promptfoo_still_agrees_with_the_committed_corpus() -> None:
    package = promptfoo_dir()
    assert package is not None
    proc = subprocess.run(
        ["node", str(FIXTURES / "conformance.mjs"), str(package)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": os.environ["PATH"], "PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1"},
        check=True,
    )
    fresh = [json.loads(line) for line in proc.stdout.splitlines()]
    committed = [
        json.loads(line) for line in (FIXTURES / "conformance.jsonl").read_text("utf-8").splitlines()
    ]
    if fresh[0] != committed[0]:
        pytest.skip(
            f"installed promptfoo {fresh[0]['promptfoo']} is not the pinned {committed[0]['promptfoo']}"
        )
    changed = [(c, f) for c, f in zip(committed[1:], fresh[1:], strict=True) if c != f]
    assert changed == []
