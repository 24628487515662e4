"""Security, class 8: a shallow checkout whose base cannot be told from its head refuses instead of passing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support import releases
from support.evalproject import write_project
from support.fixtures import CLI, GitRepo

REFUSAL = (
    "error: cannot tell the base from the head in this shallow clone: "
    "HEAD's merge base with origin/{branch} is HEAD itself\n"
    "hint: pass --base REF, or this is a shallow clone: fetch the full history with "
    "`git fetch --unshallow --tags` (GitHub Actions: `actions/checkout` with `fetch-depth: 0`)\n"
)


def _clone(origin: GitRepo, target: Path, branch: str, head_branch: str) -> GitRepo:
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", branch, origin.root.as_uri(), str(target)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    clone = GitRepo.__new__(GitRepo)
    clone.root = target
    clone.git("symbolic-ref", "refs/remotes/origin/HEAD", f"refs/remotes/origin/{head_branch}")
    return clone


def _pull_request(git_repo: GitRepo) -> None:
    """Commit a project on main, then a branch `pr` that changes the prompt (checked out)."""
    write_project(git_repo.root, count=2)
    git_repo.commit(message="project")
    git_repo.git("checkout", "-q", "-b", "pr")
    prompt = git_repo.root / "prompts" / "order-id.yaml"
    git_repo.commit(
        {
            "prompts/order-id.yaml": prompt.read_text(encoding="utf-8").replace(
                "Reply with the ID only", "Reply with just the ID"
            )
        },
        "pr change",
    )


@pytest.fixture
def pr_clone(tmp_path: Path, git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A depth-1 clone of a pull request branch that changes the prompt; origin/HEAD names that branch."""
    _pull_request(git_repo)
    clone = _clone(git_repo, tmp_path / "clone", "pr", "pr")
    monkeypatch.chdir(clone.root)
    return clone


@pytest.mark.parametrize(
    "args", [["eval", "--changed"], ["diff"], ["diff", "--format", "json"], ["lint", "--base", "HEAD"]]
)
def test_shallow_clone_without_base_refuses(cli: CLI, pr_clone: GitRepo, args: list[str]) -> None:
    result = cli(*args)
    if args[0] == "lint":  # an explicit base is a choice: it still compares
        assert result.code == 0, result.err
        return
    assert (result.code, result.out) == (2, "")
    assert result.err == REFUSAL.format(branch="pr")


def test_an_explicit_base_still_works_in_a_shallow_clone(cli: CLI, pr_clone: GitRepo) -> None:
    result = cli("diff", "--base", "HEAD")
    assert result.code == 0, result.err
    assert "no prompt changes" in result.out + result.err


def test_shallow_clone_of_the_default_branch_refuses_too(
    tmp_path: Path, git_repo: GitRepo, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    clone = _clone(git_repo, tmp_path / "clone", "main", "main")
    monkeypatch.chdir(clone.root)
    result = cli("diff")
    assert (result.code, result.err) == (2, REFUSAL.format(branch="main"))


def test_a_full_clone_keeps_comparing_with_the_merge_base(cli: CLI, git_repo: GitRepo) -> None:
    _pull_request(git_repo)
    result = cli("diff")
    assert result.code == 0, result.err
    assert "order-id" in result.out
