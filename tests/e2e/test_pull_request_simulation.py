"""A pull request through the generated workflow, end to end.

`promptops init` writes the project and `.github/workflows/promptops.yml` into a temporary repo;
main gets a baseline from the fake model; a branch changes the prompt. The exact `run:` steps of the
generated workflow then run with the environment GitHub would set: the event payload and secrets
behind the `${{ }}` expressions, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY, a fake GitHub REST API for the
comment and the local OpenAI-compatible server for the model. Only the `uses:` steps (checkout,
setup-python, cache) and the PyPI install are the runner's part: the checkout is the merge commit
GitHub would build, and the installed promptops is the version the workflow pins.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import promptops
from support.fixtures import CLI, GitRepo
from support.github_server import TOKEN, FakeGitHub
from support.openai_server import FakeOpenAI
from support.paths import ROOT
from support.workflow_runner import JobRun, action_outputs, load_action, load_job, run_job, runner_env

MARKER = "<!-- promptops-report -->"
SECRET = "sk-repository-secret-123"
WORKFLOW = ".github/workflows/promptops.yml"
CHATTY = "Be friendly: answer in a full sentence."


def model(messages: list[dict[str, Any]]) -> str:
    """A scripted model: the first matching ID, or NONE; chatty when the system prompt asks for it."""
    found = re.search(r"ORD-\d{5}", messages[-1]["content"])
    answer = found.group(0) if found else "NONE"
    return f"Sure! The order ID is {answer}." if CHATTY in messages[0]["content"] else answer


@pytest.fixture
def repo(git_repo: GitRepo, cli: CLI, openai_server: FakeOpenAI) -> GitRepo:
    openai_server.answers = model
    assert cli("init").code == 0
    baseline = cli("baseline", "update", "order-id")
    assert baseline.code == 0, baseline.err
    assert baseline.err.startswith(
        "wrote evals/baselines/order-id.json: 6 cases, mean score 0.917, pass rate 83.3%"
    )
    git_repo.commit(message="promptops init, baseline")
    openai_server.reset()
    return git_repo


def _edit_prompt(repo: GitRepo, version: str, system_extra: str = "") -> None:
    path = repo.root / "prompts" / "order-id.yaml"
    text = path.read_text(encoding="utf-8").replace("version: 1.0.0", f"version: {version}")
    if system_extra:
        text = text.replace(
            "      Reply with the order ID only, or NONE when the message has none.\n",
            f"      Reply with the order ID only, or NONE when the message has none.\n      {system_extra}\n",
        )
    path.write_text(text, encoding="utf-8")


def _pull_request(
    repo: GitRepo, branch: str, files: dict[str, str] | None = None, *, edit: tuple[str, str] | None = None
) -> None:
    """Commit a change on `branch` and check out the merge commit GitHub builds for the pull request."""
    repo.git("checkout", "-q", "-B", branch, "main")
    if edit:
        _edit_prompt(repo, *edit)
    repo.commit(files, f"change on {branch}")
    repo.git("checkout", "-q", "--detach", "main")
    repo.git("merge", "-q", "--no-ff", "-m", f"Merge {branch} into main", branch)


ACTION = ROOT / "action.yml"


def _run(
    repo: GitRepo,
    tmp_path: Path,
    github_api: FakeGitHub,
    *,
    event: str = "pull_request",
    number: int = 42,
    fork: bool = False,
    action_inputs: dict[str, str] | None = None,
) -> JobRun:
    base = repo.git("rev-parse", "main")
    payload: dict[str, Any] = {
        "pull_request": {
            "number": number,
            "base": {"sha": base, "ref": "main"},
            "head": {"repo": {"fork": fork, "full_name": "someone/prompts" if fork else "acme/prompts"}},
        },
        "merge_group": {"base_sha": base, "head_ref": "refs/heads/gh-readonly-queue/main/pr-42"},
    }[event]
    context = {
        "github": {
            "event": {event: payload},
            "token": TOKEN,
            "event_name": event,
            "sha": repo.git("rev-parse", "HEAD"),
        },
        "secrets": {} if fork else {"OPENAI_API_KEY": SECRET},
        "runner": {"os": "Linux"},
    }
    env = runner_env(tmp_path)
    env.pop("OPENAI_API_KEY", None)  # the key must come from the workflow's secrets mapping
    env.update(
        GITHUB_REPOSITORY=github_api.repository,
        GITHUB_API_URL=github_api.url,
        GITHUB_EVENT_NAME=event,
        GITHUB_SHA=context["github"]["sha"],
        GITHUB_WORKSPACE=str(repo.root),
    )
    work = tmp_path / "runner"
    work.mkdir(exist_ok=True)
    if action_inputs is None:
        job = load_job(repo.root / WORKFLOW, "gate")
        assert (
            job["env"]["PROMPTOPS_VERSION"] == promptops.__version__
        )  # what the skipped install step installs
    else:
        # The caller's step env reaches every step of a composite action.
        env["OPENAI_API_KEY"] = context["secrets"].get("OPENAI_API_KEY", "")
        job, context = load_action(ACTION, action_inputs, context)
        assert context["inputs"]["promptops-version"] == promptops.__version__
    result = run_job(
        job, cwd=repo.root, context=context, base_env=env, work=work, skip=frozenset({"Install promptops"})
    )
    for step in result.steps:
        assert TOKEN not in step.out + step.err and SECRET not in step.out + step.err, step.name
        assert "Traceback" not in step.err, step.err
    return result


def _codes(result: JobRun) -> list[tuple[str, int]]:
    return [(s.name, s.code) for s in result.steps]


STEPS = [
    "Lint prompts",
    "Evaluate changed suites",
    "Write the report",
    "Post the report comment",
    "Fail when the gate failed",
]


def test_a_regressing_pull_request_gets_a_failing_check_and_one_comment_updated_by_the_fix(
    repo: GitRepo, tmp_path: Path, github_api: FakeGitHub, openai_server: FakeOpenAI
) -> None:
    _pull_request(repo, "chatty", edit=("1.1.0", CHATTY))
    failed = _run(repo, tmp_path, github_api)

    assert _codes(failed) == [(name, 1 if name == STEPS[-1] else 0) for name in STEPS]
    assert failed.code == 1
    assert failed.step("Evaluate changed suites").outputs == {"exit-code": "1"}
    assert failed.step("Evaluate changed suites").err.startswith(
        "changed since " + repo.git("rev-parse", "main") + ": order-id (prompt prompts/order-id.yaml)\n"
    )
    assert failed.step("Fail when the gate failed").out == (
        "::error title=promptops::promptops eval exited with 1 (1: gate failed, 2: bad input, 3: could not evaluate)\n"
    )
    assert {r.headers.get("authorization") for r in openai_server.requests} == {f"Bearer {SECRET}"}
    (comment,) = github_api.comments[42]
    body = comment["body"]
    assert body.splitlines()[:2] == [MARKER, "## ❌ promptops: FAIL"]
    # one repeat: a flip is no evidence on its own; the critical case fails the gate
    assert (
        "| `c001` | 1.00 → 0.00 | passed in base, fails now (within noise) | Sure! The order ID is ORD-12345. |"
        in body
    )
    assert "| `c004` | 1.00 → 0.00 | **critical failure** | Sure! The order ID is NONE. |" in body
    assert "1.0.0" in body and "1.1.0" in body  # the prompt diff: the version bump
    assert MARKER not in failed.summary
    assert "## ❌ promptops: FAIL" in failed.summary and "**critical failure** | Sure!" in failed.summary
    (tmp_path / "comment-fail.md").write_text(body, encoding="utf-8")

    # The author fixes the prompt: the same comment is updated, the check turns green.
    _pull_request(repo, "chatty", edit=("1.1.0", "Never add words around the ID."))
    passed = _run(repo, tmp_path, github_api)

    assert _codes(passed) == [(name, 0) for name in STEPS]
    assert passed.code == 0
    assert [c["id"] for c in github_api.comments[42]] == [comment["id"]]
    body = github_api.comments[42][0]["body"]
    assert body.splitlines()[:2] == [MARKER, "## ✅ promptops: PASS"]
    assert "| `c001` | pass | 1.00 | 1.00 | 1/1 | ORD-12345 |" in body
    assert [m for m, _ in github_api.requests] == ["GET", "POST", "GET", "PATCH"]
    assert "## ✅ promptops: PASS" in passed.summary
    (tmp_path / "comment-pass.md").write_text(body, encoding="utf-8")

    # The prompt change is dropped from the pull request: nothing to evaluate, and the old report says so.
    _pull_request(repo, "chatty", {"README.md": "# prompts\n"})
    dropped = _run(repo, tmp_path, github_api)
    assert dropped.code == 0
    assert [c["body"] for c in github_api.comments[42]] == [
        f"{MARKER}\n## promptops: nothing to evaluate\n\n"
        "No prompt, suite, dataset or baseline differs from the base branch any more.\n"
    ]


def test_a_pull_request_that_changes_no_prompt_passes_without_a_model_call(
    repo: GitRepo, tmp_path: Path, github_api: FakeGitHub, openai_server: FakeOpenAI
) -> None:
    _pull_request(repo, "docs", {"README.md": "# prompts\n"})
    result = _run(repo, tmp_path, github_api)
    assert _codes(result) == [(name, 0) for name in STEPS]
    assert result.step("Evaluate changed suites").err.startswith("nothing to evaluate: ")
    comment = result.step("Post the report comment")
    assert (comment.out, comment.err) == ("", "no report comment on pull request #42 to update\n")
    assert result.summary == (
        "### promptops: no prompt, suite, dataset or baseline changed, nothing to evaluate\n"
    )
    assert openai_server.count == 0
    assert github_api.requests == [("GET", "/repos/acme/prompts/issues/42/comments?per_page=100")]
    assert github_api.comments == {}


def test_a_fork_pull_request_skips_the_evals_with_a_notice(
    repo: GitRepo, tmp_path: Path, github_api: FakeGitHub, openai_server: FakeOpenAI
) -> None:
    _pull_request(repo, "fork", edit=("1.1.0", CHATTY))
    result = _run(repo, tmp_path, github_api, fork=True)
    assert _codes(result) == [(name, 0) for name in STEPS]
    assert result.step("Evaluate changed suites").out == (
        "::notice title=promptops::Evals skipped: pull requests from forks get no secrets.\n"
    )
    assert result.summary.startswith("### promptops: evals skipped\n\nThis pull request comes from a fork")
    assert openai_server.count == 0
    assert github_api.requests == []


def test_a_merge_group_run_gates_without_commenting(
    repo: GitRepo, tmp_path: Path, github_api: FakeGitHub, openai_server: FakeOpenAI
) -> None:
    _pull_request(repo, "queue", edit=("1.1.0", CHATTY))
    result = _run(repo, tmp_path, github_api, event="merge_group")
    assert result.code == 1
    assert result.step("Post the report comment").out == "No pull request report to post.\n"
    assert github_api.requests == []
    assert "## ❌ promptops: FAIL" in result.summary


def test_a_prompt_change_without_a_version_bump_fails_at_lint(
    repo: GitRepo, tmp_path: Path, github_api: FakeGitHub, openai_server: FakeOpenAI
) -> None:
    _pull_request(repo, "no-bump", edit=("1.0.0", CHATTY))
    result = _run(repo, tmp_path, github_api)
    assert _codes(result) == [("Lint prompts", 1)]
    assert "::error file=prompts/order-id.yaml" in result.step("Lint prompts").out
    assert openai_server.count == 0


ACTION_STEPS = ["Lint prompts", "Evaluate", "Write the report", "Post the report comment", "Decide"]


def test_the_composite_action_gates_comments_and_sets_its_outputs(
    repo: GitRepo, tmp_path: Path, github_api: FakeGitHub, openai_server: FakeOpenAI
) -> None:
    _pull_request(repo, "chatty", edit=("1.1.0", CHATTY))
    failed = _run(repo, tmp_path, github_api, action_inputs={})
    assert _codes(failed) == [(name, 1 if name == "Decide" else 0) for name in ACTION_STEPS]
    assert action_outputs(ACTION, failed) == {
        "verdict": "fail",
        "report-path": "./.promptops/report.md",
        "exit-code": "1",
    }
    (comment,) = github_api.comments[42]
    assert comment["body"].splitlines()[:2] == [MARKER, "## ❌ promptops: FAIL"]
    assert comment["body"] == (repo.root / ".promptops" / "report.md").read_text(encoding="utf-8")

    # Named suites, every one of them, no comment: the gate still decides.
    _pull_request(repo, "chatty", edit=("1.1.0", "Never add words around the ID."))
    passed = _run(
        repo,
        tmp_path,
        github_api,
        action_inputs={"suites": "order-id", "changed-only": "false", "comment": "false"},
    )
    assert _codes(passed) == [(name, 0) for name in ACTION_STEPS if name != "Post the report comment"]
    assert action_outputs(ACTION, passed) == {
        "verdict": "pass",
        "report-path": "./.promptops/report.md",
        "exit-code": "0",
    }
    assert github_api.comments[42][0]["body"].splitlines()[1] == "## ❌ promptops: FAIL"  # untouched


def test_the_composite_action_skips_when_nothing_changed(
    repo: GitRepo, tmp_path: Path, github_api: FakeGitHub, openai_server: FakeOpenAI
) -> None:
    _pull_request(repo, "docs", {"README.md": "# prompts\n"})
    result = _run(repo, tmp_path, github_api, action_inputs={})
    assert result.code == 0
    assert action_outputs(ACTION, result) == {"verdict": "skipped", "report-path": "", "exit-code": "0"}
    assert openai_server.count == 0
    assert [m for m, _ in github_api.requests] == ["GET"]  # only a stale report would be updated
    assert github_api.comments == {}
