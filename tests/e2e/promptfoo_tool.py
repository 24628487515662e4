"""Where the pinned promptfoo is installed (for the tests that compare promptops with it)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "promptfoo"


# read once, at collection: the tests' hermetic environment drops PROMPTFOO_DIR before they run
@functools.cache
def promptfoo_dir() -> Path | None:
    """Return the installed promptfoo package directory: $PROMPTFOO_DIR, else ./node_modules/promptfoo."""
    candidates = [
        os.environ.get("PROMPTFOO_DIR", ""),
        str(ROOT / "node_modules" / "promptfoo"),
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "dist" / "src" / "index.js").is_file():
            return Path(candidate)
    return None


SKIP_REASON = (
    "promptfoo is not installed: `npm install promptfoo@0.121` (in the repository root or set PROMPTFOO_DIR "
    "to its node_modules/promptfoo) to compare promptops with it"
)
