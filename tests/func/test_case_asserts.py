"""A case's own `assert:` scorers: validated like suite scorers, run after them, named `assert.TYPE`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptops.errors import FileFormatError
from promptops.evals.suites import load_suites
from promptops.project import Project
from support.evalproject import order_id_answer, results, write_project


def dataset(*lines: dict) -> dict[str, str]:
    return {"evals/data/order-id.jsonl": "".join(json.dumps(line) + "\n" for line in lines)}


def test_assertions_are_validated_where_the_case_is(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        files=dataset(
            {"id": "a", "vars": {"message": "ORD-10001"}, "expected": "ORD-10001"},
            {"id": "b", "vars": {"message": "x"}, "assert": [{"type": "nope"}]},
            {"id": "c", "vars": {"message": "x"}, "assert": [{"type": "not_contains"}]},
            {"id": "d", "vars": {"message": "x"}, "assert": [{"type": "regex", "pattern": "("}]},
        ),
    )
    with pytest.raises(FileFormatError) as info:
        load_suites(Project.load(tmp_path), ["order-id"])
    lines = info.value.lines()
    assert lines[0].startswith(
        "evals/data/order-id.jsonl:2: assert[0].type: unknown scorer 'nope'; expected one of:"
    )
    assert "not_contains" in lines[0]
    assert len(lines) == 1  # the first bad case stops the check, like a bad suite scorer


def test_the_hash_of_a_case_without_assertions_is_unchanged(tmp_path: Path) -> None:
    write_project(tmp_path, count=1)
    (before,) = load_suites(Project.load(tmp_path), ["order-id"])[0].cases
    line = {"id": "c001", "vars": {"message": "Where is my order ORD-10001?"}, "expected": "ORD-10001"}
    write_project(tmp_path, files=dataset({**line, "assert": []}))
    (same,) = load_suites(Project.load(tmp_path), ["order-id"])[0].cases
    write_project(tmp_path, files=dataset({**line, "assert": [{"type": "not_contains", "value": "NONE"}]}))
    (changed,) = load_suites(Project.load(tmp_path), ["order-id"])[0].cases
    assert before.hash == same.hash != changed.hash
    assert [a.name for a in changed.asserts] == ["assert.not_contains"]


def test_a_case_with_assertions_and_no_answer_skips_the_scorers_of_expected(
    cli, project_dir: Path, openai_server
) -> None:
    openai_server.answers = order_id_answer
    write_project(
        project_dir,
        files=dataset(
            {
                "id": "a",
                "vars": {"message": "ORD-10001"},
                "expected": "ORD-10001",
                "assert": [{"type": "not_contains", "value": "NONE"}],
            },
            {
                "id": "b",
                "vars": {"message": "no id here"},
                "assert": [{"type": "not_contains", "value": ["NONE", "x"]}],
            },
            {
                "id": "c",
                "vars": {"message": "ORD-10003"},
                "assert": [{"type": "not_contains", "value": "ord-1", "ignore_case": True}],
            },
        ),
    )
    result = cli("eval")
    assert result.code == 0, result.err
    cases = {c["id"]: c for c in results(project_dir)["suites"]["order-id"]["cases"]}
    names = {k: [s["name"] for s in c["attempts"][0]["scores"]] for k, c in cases.items()}
    assert names == {
        "a": ["equals", "regex", "assert.not_contains"],
        "b": ["regex", "assert.not_contains"],
        "c": ["regex", "assert.not_contains"],
    }
    assert [cases[k]["passed"] for k in "abc"] == [True, False, False]
    details = {k: cases[k]["attempts"][0]["scores"][-1]["detail"] for k in "bc"}
    assert details == {"b": "contains 'NONE'", "c": "contains 'ord-1'"}
