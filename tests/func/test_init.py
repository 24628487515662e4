"""`promptops init`: the scaffold, refusing to overwrite, --force, .gitignore, the example's files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from promptops.project import Project
from promptops.prompts import scaffold, working
from support.fixtures import CLI
from support.openai_server import FakeOpenAI

SCAFFOLD = [t.target for t in scaffold.templates("order-id")]


def test_init_writes_every_file_and_prints_next_steps(cli: CLI, project_dir: Path) -> None:
    result = cli("init")
    assert (result.code, result.out) == (0, "")
    assert result.err == "".join(f"wrote {t}\n" for t in [*SCAFFOLD, ".gitignore"]) + (
        "next: promptops lint && promptops render order-id --example 0\n"
    )
    for target in SCAFFOLD:
        assert (project_dir / target).read_text("utf-8") == scaffold.template_text(
            next(t.source for t in scaffold.templates("order-id") if t.target == target)
        )
    assert (project_dir / ".gitignore").read_text("utf-8") == ".promptops/\n"


def test_scaffold_holds_config_prompt_suite_and_dataset() -> None:
    assert {
        "promptops.yaml",
        "prompts/order-id.yaml",
        "evals/order-id.yaml",
        "evals/data/order-id.jsonl",
    } <= set(SCAFFOLD)


def test_scaffolded_project_loads(cli: CLI, project_dir: Path) -> None:
    cli("init")
    project = Project.load(project_dir)
    spec = working.load_prompt(project, "order-id")
    assert (spec.name, spec.version, spec.model) == ("order-id", "1.0.0", "openai/gpt-4o-mini-2024-07-18")
    assert len(spec.examples) == 2
    assert project.suite_files() == [project_dir / "evals" / "order-id.yaml"]


def test_example_dataset_has_unique_ids_and_valid_inputs(cli: CLI, project_dir: Path) -> None:
    from promptops.prompts.render import check_inputs

    cli("init")
    spec = working.load_prompt(Project.load(project_dir), "order-id")
    lines = (project_dir / "evals/data/order-id.jsonl").read_text("utf-8").splitlines()
    cases = [json.loads(line) for line in lines]
    assert len(cases) == 6
    assert len({c["id"] for c in cases}) == 6
    for case in cases:
        check_inputs(spec, case["vars"])
        assert case["expected"] == "NONE" or case["expected"] in case["vars"]["message"]


def test_refuses_to_overwrite_and_writes_nothing(cli: CLI, project_dir: Path) -> None:
    (project_dir / "prompts").mkdir()
    (project_dir / "prompts" / "order-id.yaml").write_text("mine\n", encoding="utf-8")
    result = cli("init")
    assert (result.code, result.out) == (2, "")
    assert result.err == "error: prompts/order-id.yaml already exists\nhint: use --force to overwrite it\n"
    assert not (project_dir / "promptops.yaml").exists()
    assert (project_dir / "prompts" / "order-id.yaml").read_text("utf-8") == "mine\n"


def test_force_overwrites(cli: CLI, project_dir: Path) -> None:
    project_dir.gen({"promptops.yaml": "version: 1\n"})
    assert cli("init", "--force").code == 0
    assert (project_dir / "promptops.yaml").read_text("utf-8").startswith("# promptops project configuration")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("node_modules/\n", "node_modules/\n.promptops/\n"),
        ("node_modules/", "node_modules/\n.promptops/\n"),
        ("x\n.promptops/\n", "x\n.promptops/\n"),
        ("/.promptops\n", "/.promptops\n"),
    ],
)
def test_gitignore_line_appended_once(cli: CLI, project_dir: Path, before: str, after: str) -> None:
    project_dir.gen({".gitignore": before})
    assert cli("init").code == 0
    assert (project_dir / ".gitignore").read_text("utf-8") == after
    assert cli("init", "--force").code == 0
    assert (project_dir / ".gitignore").read_text("utf-8") == after


def test_file_where_a_directory_belongs_exit_2_before_writing(cli: CLI, project_dir: Path) -> None:
    project_dir.gen({"evals": "not a directory\n"})
    result = cli("init")
    assert (result.code, result.err) == (2, "error: evals: is a file, expected a directory\n")
    assert sorted(p.name for p in project_dir.iterdir()) == ["evals"]


def test_gitignore_in_another_encoding_is_appended_to(cli: CLI, project_dir: Path) -> None:
    (project_dir / ".gitignore").write_bytes(b"caf\xe9/")
    assert cli("init").code == 0
    assert (project_dir / ".gitignore").read_bytes() == b"caf\xe9/\n.promptops/\n"


def test_unknown_example_exit_2(cli: CLI, project_dir: Path) -> None:
    result = cli("init", "--example", "nope")
    assert (result.code, result.err) == (
        2,
        "error: unknown example 'nope' (known: order-id, ticket-triage)\n",
    )
    assert list(project_dir.iterdir()) == []


def test_directory_in_the_way_exit_2(cli: CLI, project_dir: Path) -> None:
    (project_dir / "promptops.yaml").mkdir()
    result = cli("init", "--force")
    assert (result.code, result.err) == (2, "error: promptops.yaml: is a directory, expected a file\n")
    (project_dir / "promptops.yaml").rmdir()
    (project_dir / ".gitignore").mkdir()
    result = cli("init")
    assert (result.code, result.err) == (2, "error: .gitignore: is a directory, expected a file\n")


def test_scaffolded_suite_runs_end_to_end(cli: CLI, project_dir: Path, openai_server: FakeOpenAI) -> None:
    # a model that answers like a good one: the last order ID in the message, else NONE
    def answer(messages: list[dict[str, Any]]) -> str:
        found = re.findall(r"ORD-\d{5}", messages[-1]["content"])
        return found[-1] if found else "NONE"

    openai_server.answers = answer
    assert cli("init").code == 0
    result = cli("eval", "--out", "results.json")
    assert result.code == 0, result.err
    suite = json.loads((project_dir / "results.json").read_text("utf-8"))["suites"]["order-id"]
    assert [c["id"] for c in suite["cases"]] == [f"c00{i}" for i in range(1, 7)]
    assert suite["summary"]["pass_rate"] == 1.0
    assert [s["name"] for s in suite["cases"][0]["attempts"][0]["scores"]] == ["equals", "regex"]
    assert openai_server.count == 6
    # the few-shot turns of the prompt reach the model as they are written
    assert [m["role"] for m in openai_server.requests[0].body["messages"]] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]


@pytest.mark.parametrize("example", sorted(scaffold.EXAMPLES))
def test_every_example_lints_clean_and_renders(cli: CLI, project_dir: Path, example: str) -> None:
    result = cli("init", "--example", example)
    assert result.code == 0
    assert result.err.endswith(f"next: promptops lint && promptops render {example} --example 0\n")
    assert cli("lint").code == 0
    rendered = cli("render", example, "--example", "0")
    assert (rendered.code, rendered.err) == (0, "")
    assert rendered.out.startswith("--- system ---\n")


def test_json_example_runs_end_to_end(cli: CLI, project_dir: Path, openai_server: FakeOpenAI) -> None:
    assert cli("init", "--example", "ticket-triage").code == 0
    cases = [
        json.loads(line) for line in (project_dir / "evals/data/ticket-triage.jsonl").read_text().splitlines()
    ]
    # a model that gets every case right except t006, where it misses the urgency
    answers = {c["vars"]["ticket"]: json.dumps(c["expected"]) for c in cases}
    answers[cases[5]["vars"]["ticket"]] = json.dumps({"category": "shipping", "urgent": False})
    openai_server.answers = answers
    result = cli("eval", "--out", "results.json")
    assert result.code == 0, result.err
    suite = json.loads((project_dir / "results.json").read_text("utf-8"))["suites"]["ticket-triage"]
    by_id = {c["id"]: c for c in suite["cases"]}
    assert [s["name"] for s in by_id["t001"]["attempts"][0]["scores"]] == [
        "json_schema",
        "json_field",
        "json_field#2",
    ]
    assert all(by_id[f"t00{i}"]["score"] == 1.0 for i in range(1, 6))
    # the urgency scorer is optional with weight 0.5: the case passes with score 2/2.5
    assert (by_id["t006"]["passed"], by_id["t006"]["score"]) == (True, 0.8)
