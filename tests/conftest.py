"""Shared fixtures: a hermetic environment, the CLI runner, temporary git repositories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.tmpdir import TmpDir

pytest_plugins = ["support.fixtures", "support.github_server", "support.openai_server"]

_SLOW_DIRS = {
    "e2e"
}  # subprocess CLI runs, workflows, the browser, the real model: `make test-fast` skips them


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SLOW_DIRS & set(item.path.parts):
            item.add_marker(pytest.mark.slow)


_KEEP = {"PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV", "PYTHONPATH"}


@pytest.fixture(autouse=True)
def hermetic(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No API keys, no global git config, a temporary HOME, no GitHub Actions variables."""
    home = tmp_path_factory.mktemp("home")
    for key in list(os.environ):
        if (
            key not in _KEEP
            and not key.startswith("PYTEST")
            and key != "COV_CORE_SOURCE"
            and not key.startswith("COV_CORE")
            and not key.startswith("COVERAGE")
        ):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Author")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "author@example.com")
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n", encoding="utf-8")


@pytest.fixture
def tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TmpDir:
    """An empty directory that is the current directory, with `gen` and `scm_gen` (support/tmpdir.py)."""
    root = TmpDir(tmp_path / "proj")
    root.mkdir()
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def project_dir(tmp_dir: TmpDir) -> TmpDir:
    """The same directory as `tmp_dir` (its older name)."""
    return tmp_dir
