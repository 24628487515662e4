"""One JSON decoding path: NaN/Infinity, duplicate keys and 10,000-deep nesting are bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptops.errors import FileFormatError
from promptops.formats import load_json
from promptops.sdk import load_prompt
from support.evalproject import order_id_answer, write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI

DEEP = "[" * 10_000 + "]" * 10_000


@pytest.fixture
def evaluated(cli: CLI, project_dir: Path, openai_server: FakeOpenAI) -> Path:
    """A project with a results file (results.json) and a baseline from it."""
    openai_server.answers = order_id_answer
    write_project(project_dir, count=3)
    assert cli("eval", "--out", "results.json").code == 0
    assert cli("baseline", "update", "order-id", "--from", "results.json").code == 0
    return project_dir


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": NaN}', "x.json: invalid JSON: NaN is not allowed (numbers must be finite)"),
        ('{"a": -Infinity}', "x.json: invalid JSON: -Infinity is not allowed (numbers must be finite)"),
        ('{"a": 1e999}', "x.json: invalid JSON: 1e999 is too large (numbers must be finite)"),
        ('{"a": 1, "a": 2}', 'x.json: invalid JSON: duplicate key "a"'),
        (DEEP, "x.json: invalid JSON: nested too deeply"),
        ('{\n"a": }', "x.json:2: invalid JSON: Expecting value (column 6)"),
    ],
)
def test_load_json_refuses(text: str, message: str) -> None:
    with pytest.raises(FileFormatError) as caught:
        load_json(text, "x.json")
    assert caught.value.message == message


def replace_first(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_nan_score_in_results_is_bad_input(cli: CLI, evaluated: Path) -> None:
    replace_first(evaluated / "results.json", '"mean_score": 1.0', '"mean_score": NaN')
    result = cli("report", "--results", "results.json")
    assert (result.code, result.err) == (
        2,
        "error: results.json: invalid JSON: NaN is not allowed (numbers must be finite)\n",
    )


def test_nan_baseline_is_bad_input(cli: CLI, evaluated: Path) -> None:
    replace_first(evaluated / "evals/baselines/order-id.json", '"score": 1.0', '"score": NaN')
    result = cli("report", "--results", "results.json")
    assert (result.code, result.err) == (
        2,
        "error: evals/baselines/order-id.json: invalid JSON: NaN is not allowed (numbers must be finite)\n",
    )


def test_duplicate_case_in_results_is_refused_by_baseline_update(cli: CLI, evaluated: Path) -> None:
    data = json.loads((evaluated / "results.json").read_text(encoding="utf-8"))
    cases = data["suites"]["order-id"]["cases"]
    cases.append(cases[0])
    (evaluated / "results.json").write_text(json.dumps(data), encoding="utf-8")
    result = cli("baseline", "update", "order-id", "--from", "results.json")
    assert (result.code, result.err) == (
        2,
        "error: results.json: suites.order-id.cases[3].id: duplicate case id 'c001'\n",
    )


def test_duplicate_key_in_baseline(cli: CLI, evaluated: Path) -> None:
    replace_first(evaluated / "evals/baselines/order-id.json", '"id": "c001"', '"id": "c001", "id": "c002"')
    result = cli("report", "--results", "results.json")
    assert (result.code, result.err) == (
        2,
        'error: evals/baselines/order-id.json: invalid JSON: duplicate key "id"\n',
    )


def test_duplicate_id_key_in_jsonl(cli: CLI, evaluated: Path) -> None:
    (evaluated / "evals/data/order-id.jsonl").write_text(
        '{"id": "a", "vars": {"message": "x"}}\n{"id": "b", "id": "a", "vars": {"message": "y"}}\n',
        encoding="utf-8",
    )
    result = cli("eval")
    assert (result.code, result.err) == (
        2,
        'error: evals/data/order-id.jsonl:2: invalid JSON: duplicate key "id"\n',
    )


@pytest.mark.parametrize(
    "target", ["results.json", "evals/baselines/order-id.json", "evals/data/order-id.jsonl"]
)
def test_deep_json_is_bad_input(cli: CLI, evaluated: Path, target: str) -> None:
    (evaluated / target).write_text(DEEP + "\n", encoding="utf-8")
    command = ("eval",) if target.endswith(".jsonl") else ("report", "--results", "results.json")
    result = cli(*command)
    line = ":1" if target.endswith(".jsonl") else ""
    assert (result.code, result.err) == (2, f"error: {target}{line}: invalid JSON: nested too deeply\n")


def test_deep_bundle_in_cli_and_sdk(cli: CLI, project_dir: Path) -> None:
    project_dir.gen({"promptops.yaml": "version: 1\n"})
    project_dir.gen({"prompts.lock.json": DEEP})
    with pytest.raises(FileFormatError) as caught:
        load_prompt("order-id", env="production", bundle=project_dir / "prompts.lock.json")
    assert caught.value.message == f"{project_dir / 'prompts.lock.json'}: invalid JSON: nested too deeply"


def test_duplicate_key_in_bundle(project_dir: Path) -> None:
    project_dir.gen({"b.json": '{"schema_version": 1, "schema_version": 1}'})
    with pytest.raises(FileFormatError) as caught:
        load_prompt("order-id", env="production", bundle=project_dir / "b.json")
    assert caught.value.message == f'{project_dir / "b.json"}: invalid JSON: duplicate key "schema_version"'


def test_a_deep_json_var_is_a_type_error_not_a_crash(cli: CLI, project_dir: Path) -> None:
    project_dir.gen({"promptops.yaml": "version: 1\n"})
    (project_dir / "prompts").mkdir()
    project_dir.gen(
        {
            "prompts/deep.yaml": "name: deep\nversion: 1.0.0\nmodel: openai/gpt-4o-mini-2024-07-18\n"
            "inputs: {type: object, properties: {items: {type: array}}}\n"
            "messages:\n  - {role: user, content: '{{ items }}'}\n"
        }
    )
    result = cli("render", "deep", "--var", f"items={DEEP}")
    assert (result.code, result.err.splitlines()[0]) == (
        2,
        "error: variable 'items' of deep: expected a list, got a string",
    )
