"""Where the repository and the tests folder are, for tests at any depth of the layout."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
