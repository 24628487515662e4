"""Security, class 7: a release tag that was moved (or made by hand) cannot serve other content."""

from __future__ import annotations

import pytest

from support import releases
from support.fixtures import CLI, GitRepo

TAG = "prompts/order-id/v1.0.0"
HINT = f"hint: the tag is wrong: delete it (`git tag -d {TAG}`) and release order-id@1.0.0 again\n"


@pytest.fixture
def moved(git_repo: GitRepo) -> GitRepo:
    """order-id 1.0.0 released, then 2.0.0 committed and the 1.0.0 tag moved onto it."""
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    releases.release(git_repo, "2.0.0", tag=False)
    git_repo.git("tag", "-f", "-a", TAG, "-m", "moved")
    return git_repo


VERSION_LIE = f"error: tag {TAG} points at a commit where prompts/order-id.yaml has version 2.0.0\n" + HINT


@pytest.mark.parametrize(
    "args",
    [
        ["render", "order-id@1.0.0", "--var", "message=hi"],
        ["render", "order-id@1.0.0", "--format", "json", "--var", "message=hi"],
        ["render", "order-id@1.0.0", "--example", "0"],
        ["promote", "order-id@1.0.0", "--env", "production", "--force"],
    ],
)
def test_a_moved_tag_is_refused_everywhere(cli: CLI, moved: GitRepo, args: list[str]) -> None:
    result = cli(*args)
    assert (result.code, result.err) == (2, VERSION_LIE), result.out
    assert "v2.0.0" not in result.out and "2.0.0" not in result.out


def test_bundle_refuses_a_moved_tag(cli: CLI, moved: GitRepo) -> None:
    moved.commit({"environments.yaml": "production:\n  order-id: {version: 1.0.0}\n"}, "serve 1.0.0")
    result = cli("bundle", "--out", "prompts.lock.json")
    assert (result.code, result.err) == (2, VERSION_LIE)
    assert not (moved.root / "prompts.lock.json").exists()


def test_a_tag_on_a_file_of_another_name_is_refused(cli: CLI, git_repo: GitRepo) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    text = releases.prompt_text("1.0.0").replace("name: order-id", "name: other-prompt")
    git_repo.commit({"prompts/order-id.yaml": text}, "renamed inside")
    git_repo.git("tag", "-f", "-a", TAG, "-m", "moved")
    result = cli("render", "order-id@1.0.0", "--var", "message=hi")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"error: tag {TAG} points at a commit where prompts/order-id.yaml has name 'other-prompt'\n" + HINT
    )


def test_an_honest_tag_still_resolves(cli: CLI, git_repo: GitRepo) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    releases.release(git_repo, "2.0.0")
    result = cli("render", "order-id@1.0.0", "--var", "message=hi")
    assert result.code == 0, result.err
    assert "(v1.0.0)" in result.out
