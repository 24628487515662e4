"""Golden files: compare output byte for byte; `UPDATE_GOLDEN=1 pytest ...` rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"  # read at import: the hermetic fixture clears it later


def check_golden(name: str, actual: str) -> None:
    """Assert that `actual` equals tests/golden/NAME (or rewrite it when UPDATE_GOLDEN=1)."""
    path = GOLDEN_DIR / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert path.is_file(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text("utf-8")
