"""gitstore on real repositories built with the git command line."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from promptops.errors import RefError
from promptops.prompts.gitstore import FETCH_HINT, SHALLOW_HINT, GitStore, open_store
from support.fixtures import GitRepo


@pytest.fixture
def store(git_repo: GitRepo) -> Iterator[GitStore]:
    git_repo.commit({"prompts/a.yaml": "a1\n", "prompts/team/b.yaml": "b1\n", "README.md": "x\n"}, "first")
    with open_store(git_repo.root) as opened:
        yield opened


def test_read_file_at_refs(git_repo: GitRepo, store: GitStore) -> None:
    first = git_repo.git("rev-parse", "HEAD")
    git_repo.commit({"prompts/a.yaml": "a2\n"}, "second")
    assert store.read_file("HEAD", "prompts/a.yaml") == b"a2\n"
    assert store.read_file(first, "prompts/a.yaml") == b"a1\n"
    assert store.read_file("HEAD~1", "prompts/a.yaml") == b"a1\n"
    assert store.read_file("HEAD", "prompts/missing.yaml") is None
    assert store.read_file("HEAD", "prompts") is None  # a directory is not a file


def test_list_files_below_a_directory(store: GitStore) -> None:
    assert store.list_files("HEAD", "prompts") == ["prompts/a.yaml", "prompts/team/b.yaml"]
    assert store.list_files("HEAD", "nothing-here") == []
    assert store.list_files("HEAD", "") == ["README.md", "prompts/a.yaml", "prompts/team/b.yaml"]


def test_history_follows_renames(git_repo: GitRepo, store: GitStore) -> None:
    git_repo.commit({"prompts/a.yaml": "a1\nmore\n"}, "edit a")
    git_repo.git("mv", "prompts/a.yaml", "prompts/c.yaml")
    git_repo.commit(message="rename a to c")
    history = store.history("prompts/c.yaml")
    assert [(r.subject, r.path) for r in history] == [
        ("rename a to c", "prompts/c.yaml"),
        ("edit a", "prompts/a.yaml"),
        ("first", "prompts/a.yaml"),
    ]
    assert history[0].author == "Test Author"
    assert history[0].sha == git_repo.git("rev-parse", "HEAD")
    assert history[0].date.startswith("20")


def test_tags_are_created_annotated_and_listed(git_repo: GitRepo, store: GitStore) -> None:
    head = git_repo.git("rev-parse", "HEAD")
    made = store.create_tag("prompts/a/v1.0.0", "HEAD", "release a 1.0.0")
    assert made.sha == head
    git_repo.git("tag", "lightweight")
    assert git_repo.git("cat-file", "-t", "prompts/a/v1.0.0") == "tag"
    assert [t.name for t in store.tags()] == ["lightweight", "prompts/a/v1.0.0"]
    tag = store.tag("prompts/a/v1.0.0")
    assert tag is not None
    assert (tag.sha, tag.annotated, tag.message) == (head, True, "release a 1.0.0")
    assert store.tags("prompts/") == [tag]
    assert store.tag("prompts/a/v9.9.9") is None
    with pytest.raises(
        RefError, match=r"^cannot create tag 'prompts/a/v1.0.0': tag 'prompts/a/v1.0.0' already exists$"
    ):
        store.create_tag("prompts/a/v1.0.0", "HEAD", "again")


def test_unknown_ref_names_the_ref_and_hints_fetch(store: GitStore) -> None:
    with pytest.raises(RefError) as info:
        store.read_file("v9-nope", "prompts/a.yaml")
    assert info.value.message == "unknown git ref 'v9-nope'"
    assert info.value.hint == FETCH_HINT
    assert not store.has_ref("--output=x")


def test_merge_base_and_default_branch(git_repo: GitRepo, store: GitStore) -> None:
    fork = git_repo.git("rev-parse", "HEAD")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.commit({"prompts/a.yaml": "feature\n"}, "feature work")
    git_repo.git("checkout", "-q", "main")
    git_repo.commit({"README.md": "main moved\n"}, "main work")
    git_repo.git("checkout", "-q", "feature")
    assert store.default_branch() == "main"
    assert store.merge_base("HEAD", "main") == fork


def test_default_branch_prefers_origin_head(git_repo: GitRepo, store: GitStore, tmp_path: Path) -> None:
    git_repo.git("branch", "-m", "main", "trunk")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(git_repo.root), str(clone)], check=True)
    with open_store(clone) as cloned:
        assert cloned.default_branch() == "origin/trunk"
    assert store.default_branch() is None  # no origin, no main, no master


def test_changed_paths_include_untracked_files(git_repo: GitRepo, store: GitStore) -> None:
    git_repo.write({"prompts/a.yaml": "changed\n", "prompts/new.yaml": "new\n", "README.md": "y\n"})
    assert store.changed_paths("HEAD", "prompts") == ["prompts/a.yaml", "prompts/new.yaml"]
    assert store.changed_paths("HEAD") == ["README.md", "prompts/a.yaml", "prompts/new.yaml"]
    assert store.uncommitted(["prompts/a.yaml", "prompts/team/b.yaml", "prompts/new.yaml"]) == [
        "prompts/a.yaml",
        "prompts/new.yaml",
    ]


def test_paths_are_relative_to_a_project_in_a_subdirectory(git_repo: GitRepo) -> None:
    git_repo.commit({"sub/proj/prompts/a.yaml": "a\n", "other.txt": "o\n"}, "nested")
    with open_store(git_repo.root / "sub" / "proj") as nested:
        assert nested.list_files("HEAD", "prompts") == ["prompts/a.yaml"]
        assert nested.read_file("HEAD", "prompts/a.yaml") == b"a\n"
        assert [r.path for r in nested.history("prompts/a.yaml")] == ["prompts/a.yaml"]
        git_repo.write({"sub/proj/prompts/a.yaml": "b\n"})
        assert nested.changed_paths("HEAD") == ["prompts/a.yaml"]


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(RefError) as info:
        open_store(tmp_path)
    assert info.value.message == f"not a git repository: {tmp_path.resolve()}"
    assert info.value.hint == "run promptops inside a git clone (or `git init` and commit your prompts)"


def test_empty_repository_has_no_head(git_repo: GitRepo) -> None:
    with open_store(git_repo.root) as empty:
        assert empty.head() is None
        with pytest.raises(RefError, match=r"^unknown git ref 'HEAD': the repository has no commits yet$"):
            empty.resolve("HEAD")


def test_shallow_clone_is_detected_and_hinted(git_repo: GitRepo, store: GitStore, tmp_path: Path) -> None:
    first = git_repo.git("rev-parse", "HEAD")
    git_repo.commit({"prompts/a.yaml": "a2\n"}, "second")
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{git_repo.root}", str(clone)], check=True)
    assert not store.is_shallow()
    with open_store(clone) as shallow:
        assert shallow.is_shallow()
        assert len(shallow.history("prompts/a.yaml")) == 1
        with pytest.raises(RefError) as info:
            shallow.resolve(first)
        assert info.value.message == f"unknown git ref '{first}'"
        assert info.value.hint == SHALLOW_HINT
        assert "fetch-depth: 0" in SHALLOW_HINT


def test_missing_git_command_is_a_clear_error(git_repo: GitRepo) -> None:
    import os
    import shutil
    import sys

    bindir = str(Path(sys.executable).parent)
    if shutil.which("git", path=bindir):
        pytest.skip("git sits next to the interpreter")
    (git_repo.root / "promptops.yaml").write_text("version: 1\n")
    env = {**os.environ, "PATH": bindir}
    proc = subprocess.run(
        [sys.executable, "-m", "promptops", "diff"],
        cwd=git_repo.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert (
        proc.stderr
        == "error: the git command is not installed (or not on PATH)\nhint: install git, then retry\n"
    )
