"""Commands that surprised users: tag_format fields, status in a fresh project, lint of odd entries and
every unknown key, eval NAME@VERSION, a huge JSONL of duplicate ids."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from support.evalproject import order_id_answer, results, write_project
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI


@pytest.mark.parametrize(
    ("tag_format", "message"),
    [
        (
            "prompts/{name}/v{version}-{oops}",
            "promptops.yaml:2: tag_format: unknown field '{oops}'; only {name} and {version} are filled in",
        ),
        (
            "{name}/{version}/{name!r}",
            "promptops.yaml:2: tag_format: unknown field '{name!r}'; only {name} and {version} are filled in",
        ),
        (
            "{name}/v{version}{",
            "promptops.yaml:2: tag_format: invalid format: Single '{' encountered in format string "
            "(write a literal brace as {{ or }})",
        ),
    ],
)
def test_tag_format_fields_are_checked_when_the_config_loads(
    cli: CLI, project_dir: Path, tag_format: str, message: str
) -> None:
    project_dir.gen({"promptops.yaml": f'version: 1\ntag_format: "{tag_format}"\n'})
    result = cli("release")
    assert (result.code, result.err) == (2, f"error: {message}\n")


def test_status_in_a_fresh_project_hints(cli: CLI, project_dir: Path) -> None:
    assert cli("init").code == 0
    result = cli("status")
    assert (result.code, result.err) == (
        2,
        "error: environments.yaml: no such file: nothing is deployed yet\n"
        "hint: `promptops release` tags the versions, then `promptops promote NAME@VERSION --env staging` "
        "creates it\n",
    )


def test_lint_reports_a_directory_or_fifo_named_like_a_prompt(cli: CLI, project_dir: Path) -> None:
    assert cli("init").code == 0
    (project_dir / "prompts/folder.yaml").mkdir()
    os.mkfifo(project_dir / "prompts/pipe.yaml")
    result = cli("lint")
    assert result.code == 1
    assert result.out.splitlines()[:2] == [
        "prompts/folder.yaml: error PO001 schema: is a directory, expected a file",
        "prompts/pipe.yaml: error PO001 schema: is not a regular file",
    ]
    assert cli("lint", "prompts/folder.yaml").out.startswith(
        "prompts/folder.yaml: error PO001 schema: is a directory"
    )


def test_lint_reports_every_unknown_key(cli: CLI, project_dir: Path) -> None:
    assert cli("init").code == 0
    path = project_dir / "prompts/order-id.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "version: 1.0.0\n", "version: 1.0.0\ntemprature: 0\nownr: me\n"
        ),
        encoding="utf-8",
    )
    result = cli("lint")
    lines = [line.split(": unknown key")[0] for line in result.out.splitlines() if "unknown key" in line]
    assert lines == [
        "prompts/order-id.yaml:3: error PO001 schema: temprature",
        "prompts/order-id.yaml:4: error PO001 schema: ownr",
    ]


def test_eval_name_at_version_runs_the_released_version(
    git_repo: GitRepo, cli: CLI, openai_server: FakeOpenAI
) -> None:
    openai_server.answers = order_id_answer
    write_project(git_repo.root, count=3)
    (git_repo.root / ".gitignore").write_text(".promptops/\n", encoding="utf-8")
    git_repo.commit(message="order-id 1.0.0")
    assert cli("release").code == 0
    prompt = git_repo.root / "prompts/order-id.yaml"
    prompt.write_text(
        prompt.read_text(encoding="utf-8")
        .replace("version: 1.0.0", "version: 1.1.0")
        .replace("Reply with the ID only", "Reply with the ID"),
        encoding="utf-8",
    )
    result = cli("eval", "order-id@1.0.0")
    assert result.code == 0, result.err
    provenance = results(git_repo.root)["suites"]["order-id"]["provenance"]
    assert provenance["prompt_version"] == "1.0.0"
    systems = {r.body["messages"][0]["content"] for r in openai_server.requests}
    assert systems == {"Extract the order ID. Reply with the ID only, or NONE."}
    promoted = cli("promote", "order-id@1.0.0", "--env", "staging")
    assert promoted.code == 0, promoted.err
    assert (
        "evidence: .promptops/runs/latest.json: suite 'order-id' on order-id@1.0.0 passes the gate"
        in promoted.err
    )


def test_eval_name_at_version_without_a_suite(git_repo: GitRepo, cli: CLI) -> None:
    write_project(git_repo.root, count=1)
    git_repo.commit(message="one")
    assert cli("release").code == 0
    (git_repo.root / "prompts/other.yaml").write_text(
        (git_repo.root / "prompts/order-id.yaml")
        .read_text(encoding="utf-8")
        .replace("name: order-id", "name: other"),
        encoding="utf-8",
    )
    git_repo.commit(message="other")
    assert cli("release").code == 0
    result = cli("eval", "other@1.0.0")
    assert (result.code, result.err) == (
        2,
        "error: no eval suite evaluates prompt 'other'\nhint: add a suite with `prompt: other` below evals/\n",
    )


def test_a_huge_jsonl_of_duplicate_ids_fails_fast(cli: CLI, project_dir: Path) -> None:
    line = json.dumps({"id": "same", "vars": {"message": "Where is ORD-12345? " + "x" * 60}}) + "\n"
    write_project(project_dir, files={"evals/data/order-id.jsonl": line * 500_000})  # ~50 MB
    start = time.monotonic()
    result = cli("eval")
    elapsed = time.monotonic() - start
    assert result.code == 2
    assert (
        result.err.splitlines()[0]
        == "error: evals/data/order-id.jsonl:2: id: duplicate case id 'same' (first on line 1)"
    )
    assert elapsed < 10
