"""The baseline file: built from a run, deterministic JSON, located errors, read at a git ref."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptops.errors import FileFormatError, InputError, RefError
from promptops.evals import baselines
from promptops.project import Project
from support.fixtures import GitRepo
from support.runs import Spec, run


def test_round_trip_is_deterministic_and_sorted() -> None:
    built = baselines.from_run(run({"c2": 1.0, "c1": Spec(scores=[0.5, 1.0], critical=True, cost=None)}))
    text = baselines.to_json(built)
    assert baselines.from_json(text, "b.json") == built
    data = json.loads(text)
    assert [c["id"] for c in data["cases"]] == ["c1", "c2"]
    assert data["cases"][0] == {
        "id": "c1",
        "hash": "h-c1",
        "score": 0.75,
        "pass_rate": 0.5,
        "passed": False,
        "critical": True,
        "error": False,
        "cost_usd": None,
        "latency_ms": 100.0,
        "tokens": 44,
        "repeats": 2,
        "repeats_passed": 1,
    }
    assert text == baselines.to_json(baselines.from_json(text, "b.json"))
    assert list(data) == sorted(data) and text.endswith("}\n")


def test_a_baseline_without_repeat_counts_still_reads() -> None:
    built = baselines.from_run(run({"c1": 1.0, "c2": 0.0}))
    data = json.loads(baselines.to_json(built))
    for case in data["cases"]:
        del case["repeats"], case["repeats_passed"]  # a file written before the counts were kept
    old = baselines.from_json(json.dumps(data), "b.json")
    assert [(c.repeats, c.repeats_passed, c.pass_rate) for c in old.cases] == [
        (None, None, 1.0),
        (None, None, 0.0),
    ]


def test_a_shard_or_a_run_with_errors_cannot_be_a_baseline() -> None:
    from dataclasses import replace

    with pytest.raises(
        InputError, match=r"results of suite 'order-id' hold only shard 1/2; a baseline needs"
    ):
        baselines.from_run(replace(run({"c1": 1.0}), shard="1/2"))
    with pytest.raises(InputError, match=r"^1 cases of suite 'order-id' could not be evaluated \(c2\)"):
        baselines.from_run(run({"c1": 1.0, "c2": Spec(scores=[None])}))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "b.json:1: invalid JSON: Expecting property name enclosed in double quotes (column 2)"),
        ('{"schema_version": 1}', "b.json: missing required key 'suite'"),
        (
            '{"schema_version": 1, "suite": "s", "provenance": {}, "summary": {}, "cases": []}',
            "b.json: provenance: missing required key 'prompt'",
        ),
    ],
)
def test_bad_files_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(FileFormatError) as info:
        baselines.from_json(text, "b.json")
    assert str(info.value.problems[0]) == message


def test_duplicate_case_ids_are_refused() -> None:
    data = json.loads(baselines.to_json(baselines.from_run(run({"c1": 1.0, "c2": 1.0}))))
    data["cases"][1]["id"] = "c1"
    with pytest.raises(FileFormatError, match=r"b.json: cases\[1\].id: duplicate case id 'c1'"):
        baselines.from_json(json.dumps(data), "b.json")


def test_read_from_the_working_tree_and_at_a_ref(git_repo: GitRepo) -> None:
    git_repo.commit({"promptops.yaml": "version: 1\n"}, "project")
    project = Project.load()
    assert baselines.read(project, "order-id") is None
    first = baselines.from_run(run({"c1": 1.0}))
    path = baselines.write(project, first)
    assert path == Path(git_repo.root / "evals/baselines/order-id.json")
    git_repo.commit(message="baseline")
    second = baselines.from_run(run({"c1": 0.5}))
    baselines.write(project, second)
    assert baselines.read(project, "order-id") == second
    assert baselines.read(project, "order-id", "HEAD") == first
    assert baselines.read(project, "order-id", "HEAD~1") is None
    with pytest.raises(RefError, match="unknown git ref 'nope'"):
        baselines.read(project, "order-id", "nope")
    (git_repo.root / "evals/baselines/order-id.json").write_text("[]", encoding="utf-8")
    with pytest.raises(
        FileFormatError, match=r"evals/baselines/order-id.json: expected a mapping, got a list"
    ):
        baselines.read(project, "order-id")


def test_a_newer_schema_version_says_so() -> None:
    with pytest.raises(FileFormatError) as info:
        baselines.from_json('{"schema_version": 2}', "b.json")
    assert (str(info.value.problems[0]), info.value.hint) == (
        "b.json: schema_version: 2 is newer than this promptops reads (1)",
        "upgrade promptops",
    )
