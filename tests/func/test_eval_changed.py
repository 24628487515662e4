"""`promptops eval --changed --base REF` on a real repository, against the local OpenAI-compatible server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptops.evals.results import load_results
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI


def prompt(name: str, instruction: str, version: str = "1.0.0") -> str:
    return f"""\
        name: {name}
        version: {version}
        model: openai/gpt-4o-mini-2024-07-18
        messages:
          - {{role: system, content: "{instruction}"}}
          - {{role: user, content: "{{{{ text }}}}"}}
        """


def suite(name: str) -> str:
    return f"""\
        prompt: {name}
        dataset: data/{name}.jsonl
        scorers:
          - {{type: equals, expected: "{{{{ expected }}}}"}}
        """


def cases(prefix: str) -> str:
    return "".join(
        json.dumps({"id": f"{prefix}{i}", "vars": {"text": f"{prefix} {i}"}, "expected": "OK"}) + "\n"
        for i in range(3)
    )


@pytest.fixture
def repo(git_repo: GitRepo, openai_server: FakeOpenAI) -> GitRepo:
    git_repo.commit(
        {
            "promptops.yaml": "version: 1\n",
            ".gitignore": ".promptops/\nresults.json\n",
            "prompts/upper.yaml": prompt("upper", "Answer OK."),
            "prompts/lower.yaml": prompt("lower", "Answer OK."),
            "evals/upper.yaml": suite("upper"),
            "evals/upper-again.yaml": suite("upper").replace("data/upper.jsonl", "data/again.jsonl"),
            "evals/lower.yaml": suite("lower"),
            "evals/data/upper.jsonl": cases("u"),
            "evals/data/again.jsonl": cases("a"),
            "evals/data/lower.jsonl": cases("l"),
            "README.md": "hello\n",
        },
        "project",
    )
    return git_repo


def _suites(path: Path) -> list[str]:
    return sorted(run.suite for run in load_results(path, path.name))


def test_only_the_suites_of_a_changed_prompt_run(cli: CLI, repo: GitRepo, openai_server: FakeOpenAI) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit({"prompts/upper.yaml": prompt("upper", "Answer OK, please.", "1.1.0")}, "edit upper")

    result = cli("eval", "--changed", "--base", "main", "--out", "results.json")

    assert result.code == 0, result.err
    assert result.err.splitlines()[:2] == [
        "changed since main: upper-again (prompt prompts/upper.yaml)",
        "changed since main: upper (prompt prompts/upper.yaml)",
    ]
    assert _suites(repo.root / "results.json") == ["upper", "upper-again"]
    assert sorted(r.last_user for r in openai_server.requests) == ["a 0", "a 1", "a 2", "u 0", "u 1", "u 2"]


def test_a_dataset_or_suite_change_in_the_working_tree_counts(
    cli: CLI, repo: GitRepo, openai_server: FakeOpenAI
) -> None:
    repo.write(
        {"evals/data/lower.jsonl": cases("l") + '{"id": "l9", "vars": {"text": "l 9"}, "expected": "OK"}\n'}
    )
    result = cli("eval", "--changed", "--base", "HEAD", "--out", "results.json")
    assert result.code == 0, result.err
    assert result.err.splitlines()[0] == "changed since HEAD: lower (dataset evals/data/lower.jsonl)"
    assert _suites(repo.root / "results.json") == ["lower"]
    assert openai_server.count == 4


def test_nothing_changed_says_so_and_exits_0(cli: CLI, repo: GitRepo, openai_server: FakeOpenAI) -> None:
    repo.commit({"README.md": "changed\n"}, "docs only")
    result = cli("eval", "--changed", "--base", "main~1", "--out", "results.json")
    assert (result.code, result.out) == (0, "")
    assert result.err == (
        "nothing to evaluate: no suite's prompt, suite file, dataset or baseline changed since main~1\n"
    )
    assert not (repo.root / "results.json").exists()
    assert openai_server.count == 0


def test_named_suites_are_narrowed_to_the_changed_ones(
    cli: CLI, repo: GitRepo, openai_server: FakeOpenAI
) -> None:
    repo.write({"prompts/upper.yaml": prompt("upper", "Answer OK!", "1.1.0")})
    result = cli("eval", "lower", "upper", "--changed", "--base", "HEAD", "--out", "results.json")
    assert result.code == 0, result.err
    assert _suites(repo.root / "results.json") == ["upper"]


def test_without_base_it_compares_with_the_merge_base_of_the_default_branch(
    cli: CLI, repo: GitRepo, openai_server: FakeOpenAI
) -> None:
    fork_point = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit({"evals/lower.yaml": suite("lower") + "repeats: 1\n"}, "edit the lower suite")
    result = cli("eval", "--changed", "--out", "results.json")
    assert result.code == 0, result.err
    assert result.err.splitlines()[0] == f"changed since {fork_point[:12]}: lower (suite evals/lower.yaml)"


def test_bad_input_is_exit_2(cli: CLI, repo: GitRepo, openai_server: FakeOpenAI) -> None:
    alone = cli("eval", "--base", "main")
    assert (alone.code, alone.err) == (
        2,
        "error: --base only applies with --changed\nhint: use `--changed --base REF`\n",
    )
    unknown = cli("eval", "--changed", "--base", "no-such-ref")
    assert unknown.code == 2
    assert unknown.err.splitlines()[0] == "error: unknown git ref 'no-such-ref'"
    assert "Traceback" not in unknown.err
    assert openai_server.count == 0
