"""Which suites a change touches, on real git repositories."""

from __future__ import annotations

import pytest

from promptops.errors import RefError
from promptops.evals.cases import Suite
from promptops.evals.changes import changed_files, select
from promptops.project import Project
from support.fixtures import GitRepo

FILES = {
    "promptops.yaml": "version: 1\n",
    "prompts/a.yaml": "name: a\n",
    "prompts/b.yaml": "name: b\n",
    "prompts/team/c.yaml": "name: team/c\n",
    "evals/a.yaml": "prompt: a\n",
    "evals/a-hard.yaml": "prompt: a\n",
    "evals/b.yaml": "prompt: b\n",
    "evals/c.yaml": "prompt: team/c\n",
    "evals/data/a.jsonl": "{}\n",
    "evals/data/shared.jsonl": "{}\n",
    "evals/baselines/b.json": "{}\n",
    "README.md": "hello\n",
}


def _suites() -> list[Suite]:
    def suite(name: str, prompt: str, dataset: str | None) -> Suite:
        return Suite(
            name=name, prompt=prompt, path=f"evals/{name}.yaml", cases=(), scorers=(), dataset=dataset
        )

    return [
        suite("a", "a", "evals/data/a.jsonl"),
        suite("a-hard", "a", "evals/data/shared.jsonl"),
        suite("b", "b", "evals/data/shared.jsonl"),
        suite("c", "team/c", None),
    ]


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.commit(FILES, "base")
    git_repo.git("branch", "base")
    return git_repo


def _selected(repo: GitRepo) -> dict[str, tuple[str, ...]]:
    project = Project.load(repo.root)
    return {c.suite.name: c.reasons for c in select(project, _suites(), changed_files(project, "base").files)}


def test_nothing_changed_selects_nothing(repo: GitRepo) -> None:
    repo.commit({"README.md": "changed\n"}, "docs")
    assert _selected(repo) == {}


def test_a_prompt_change_selects_every_suite_of_that_prompt(repo: GitRepo) -> None:
    repo.commit({"prompts/a.yaml": "name: a\nversion: 2\n"}, "edit a")
    assert _selected(repo) == {"a": ("prompt prompts/a.yaml",), "a-hard": ("prompt prompts/a.yaml",)}


def test_nested_prompt_names_suite_files_datasets_and_baselines(repo: GitRepo) -> None:
    repo.write(
        {
            "prompts/team/c.yaml": "name: team/c\nx: 1\n",  # uncommitted edits count too
            "evals/a-hard.yaml": "prompt: a\nrepeats: 2\n",
            "evals/data/shared.jsonl": "{}\n{}\n",
            "evals/baselines/b.json": '{"x": 1}\n',
        }
    )
    assert _selected(repo) == {
        "a-hard": ("suite evals/a-hard.yaml", "dataset evals/data/shared.jsonl"),
        "b": ("dataset evals/data/shared.jsonl", "baseline evals/baselines/b.json"),
        "c": ("prompt prompts/team/c.yaml",),
    }


def test_untracked_and_deleted_files_count(repo: GitRepo) -> None:
    repo.write({"evals/baselines/a.json": "{}\n"})  # untracked
    repo.commit(remove=["evals/data/a.jsonl"], message="drop dataset")
    assert _selected(repo) == {"a": ("dataset evals/data/a.jsonl", "baseline evals/baselines/a.json")}


def test_a_config_change_selects_every_suite(repo: GitRepo) -> None:
    repo.commit({"promptops.yaml": "version: 1\ngate: {max_score_drop: 0.0}\n"}, "stricter")
    assert set(_selected(repo)) == {"a", "a-hard", "b", "c"}
    assert _selected(repo)["c"] == ("config promptops.yaml",)


def test_a_project_below_the_repository_root(git_repo: GitRepo) -> None:
    git_repo.commit({f"sub/{k}": v for k, v in FILES.items()}, "base")
    git_repo.git("branch", "base")
    git_repo.commit({"sub/prompts/b.yaml": "name: b\nv: 2\n", "prompts/b.yaml": "outside\n"}, "edit")
    project = Project.load(git_repo.root / "sub")
    changed = changed_files(project, "base").files
    assert changed == {"prompts/b.yaml"}
    assert [c.suite.name for c in select(project, _suites(), changed)] == ["b"]


def test_an_unknown_base_is_a_ref_error(repo: GitRepo) -> None:
    with pytest.raises(RefError, match="unknown git ref 'nope'"):
        changed_files(Project.load(repo.root), "nope")


def test_the_default_base_is_the_merge_base_with_the_default_branch(repo: GitRepo) -> None:
    fork_point = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit({"prompts/b.yaml": "name: b\nv: 2\n"}, "edit b")
    repo.git("checkout", "-q", "main")
    repo.commit({"prompts/a.yaml": "name: a\nv: 3\n"}, "main moves on")
    repo.git("checkout", "-q", "feature")
    changes = changed_files(Project.load(repo.root), None)
    assert (changes.base, changes.files) == (fork_point, {"prompts/b.yaml"})


def test_no_commits_is_a_ref_error(git_repo: GitRepo) -> None:
    git_repo.write({"promptops.yaml": "version: 1\n"})
    with pytest.raises(RefError, match="the repository has no commits yet"):
        changed_files(Project.load(git_repo.root), None)
