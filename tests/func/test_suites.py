"""Suite files and datasets: formats, hashes, and every bad input with its exact message and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptops.errors import FileFormatError
from promptops.evals.datasets import read_cases
from promptops.evals.scoring import SCORERS
from promptops.evals.suites import load_suites
from promptops.project import Project
from support.evalproject import write_project


def load(root: Path, name: str = "order-id"):
    return load_suites(Project.load(root), [name])[0]


def problems(root: Path, name: str = "order-id") -> list[str]:
    with pytest.raises(FileFormatError) as info:
        load(root, name)
    return info.value.lines()


def test_jsonl_suite(tmp_path: Path) -> None:
    write_project(tmp_path, count=3)
    suite = load(tmp_path)
    assert suite.name == "order-id" and suite.prompt == "order-id" and suite.path == "evals/order-id.yaml"
    assert suite.dataset == "evals/data/order-id.jsonl"
    assert [c.id for c in suite.cases] == ["c001", "c002", "c003"]
    assert [c.line for c in suite.cases] == [1, 2, 3]
    assert suite.cases[0].vars == {"message": "Where is my order ORD-10001?"}
    assert [s.name for s in suite.scorers] == ["equals", "regex"]
    assert suite.scorers[0].options == {"expected": "{{ expected }}"}
    assert suite.scorers[1].line == 5


def test_hashes_track_content_not_order(tmp_path: Path) -> None:
    write_project(tmp_path, count=3)
    first = load(tmp_path)
    data = tmp_path / "evals/data/order-id.jsonl"
    lines = data.read_text().splitlines()
    data.write_text("\n".join(reversed(lines)) + "\n\n")
    reordered = load(tmp_path)
    assert reordered.dataset_hash == first.dataset_hash
    assert [c.line for c in reordered.cases] == [1, 2, 3]
    data.write_text(lines[0].replace("ORD-10001?", "ORD-10001!") + "\n" + "\n".join(lines[1:]) + "\n")
    changed = load(tmp_path)
    assert changed.dataset_hash != first.dataset_hash
    assert changed.cases[0].hash != first.cases[0].hash and changed.cases[1].hash == first.cases[1].hash
    suite = tmp_path / "evals/order-id.yaml"
    suite.write_text(suite.read_text().replace("{type: equals", "{type: equals, weight: 2"))
    assert load(tmp_path).scorers_hash != first.scorers_hash


def test_csv_dataset(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        files={
            "evals/order-id.yaml": "prompt: order-id\ndataset: data/cases.csv\nscorers: [{type: equals}]\n",
            "evals/data/cases.csv": "id,vars.message,expected,tags,critical\n"
            'a,"Where, oh where is ORD-1?",ORD-1,easy;short,true\n'
            "\n"
            'b,"multi\nline",,,\n',
        },
    )
    suite = load(tmp_path)
    a, b = suite.cases
    assert (a.id, a.vars, a.expected, a.tags, a.critical, a.line) == (
        "a",
        {"message": "Where, oh where is ORD-1?"},
        "ORD-1",
        ("easy", "short"),
        True,
        2,
    )
    assert (b.id, b.vars, b.expected, b.critical, b.line) == ("b", {"message": "multi\nline"}, None, False, 4)


def test_inline_cases(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        files={
            "evals/order-id.yaml": """\
        prompt: order-id
        repeats: 2
        gate: {max_score_drop: 0.0}
        cases:
          - {id: x1, vars: {message: hi}, expected: NONE}
          - id: x2
            vars: {message: ORD-12345}
            expected: ORD-12345
            critical: true
        scorers:
          - {type: equals}
          - {type: equals, expected: NONE, required: false}
    """
        },
    )
    suite = load(tmp_path)
    assert [(c.id, c.line, c.critical) for c in suite.cases] == [("x1", 5, False), ("x2", 6, True)]
    assert suite.dataset is None and suite.repeats == 2 and suite.gate == {"max_score_drop": 0.0}
    assert [s.name for s in suite.scorers] == ["equals", "equals#2"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"id": "a", "vars": {}}\n{"id": "b", oops}\n',
            [
                "evals/data/order-id.jsonl:2: invalid JSON: Expecting property name enclosed in double quotes (column 13)"
            ],
        ),
        (
            '{"id": "a"}\n\n{"id": "a"}\n',
            ["evals/data/order-id.jsonl:3: id: duplicate case id 'a' (first on line 1)"],
        ),
        ('{"vars": {}}\n', ["evals/data/order-id.jsonl:1: missing required key 'id'"]),
        ('{"id": 7}\n', ["evals/data/order-id.jsonl:1: id: expected a string, got an integer"]),
        (
            '{"id": "a", "varz": {}}\n',
            [
                "evals/data/order-id.jsonl:1: varz: unknown key; expected one of: assert, cassette, critical, description, expected, id, tags, vars"
            ],
        ),
        ('["a"]\n', ["evals/data/order-id.jsonl:1: a case must be a JSON object with an `id`"]),
        (
            '{"id": "a", "expected": NaN}\n',
            ["evals/data/order-id.jsonl:1: invalid JSON: NaN is not allowed (numbers must be finite)"],
        ),
        (
            '{"id": "a", "tags": "easy"}\n{"id": "b", "critical": "yes"}\n',
            [
                "evals/data/order-id.jsonl:1: tags: expected a list, got a string",
                "evals/data/order-id.jsonl:2: critical: expected true or false, got a string",
            ],
        ),
    ],
)
def test_bad_jsonl(tmp_path: Path, text: str, expected: list[str]) -> None:
    write_project(tmp_path, files={"evals/data/order-id.jsonl": text})
    assert problems(tmp_path) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name,vars.message\na,hi\n",
            [
                "evals/data/c.csv:1: unknown column 'name'; expected id, expected, tags, critical or vars.NAME",
                "evals/data/c.csv:1: missing column 'id'",
            ],
        ),
        ("id,vars.message\na,hi,extra\n", ["evals/data/c.csv:2: row has 3 fields; the header has 2"]),
        ("id,critical\na,maybe\n", ["evals/data/c.csv:2: critical: expected true or false, got 'maybe'"]),
        ("id\na\nb\na\n", ["evals/data/c.csv:4: id: duplicate case id 'a' (first on line 2)"]),
        ("", ["evals/data/c.csv:1: empty CSV file; expected a header row with `id`"]),
    ],
)
def test_bad_csv(tmp_path: Path, text: str, expected: list[str]) -> None:
    write_project(
        tmp_path,
        files={
            "evals/order-id.yaml": "prompt: order-id\ndataset: data/c.csv\nscorers: [{type: equals}]\n",
            "evals/data/c.csv": text,
        },
    )
    assert problems(tmp_path) == expected


@pytest.mark.parametrize(
    ("suite", "expected"),
    [
        (
            "prompt: order-id\ndataset: ../../outside.jsonl\nscorers: [{type: equals}]\n",
            ["evals/order-id.yaml:2: dataset: '../../outside.jsonl' leaves the project root"],
        ),
        (
            "prompt: order-id\ndataset: data/none.jsonl\nscorers: [{type: equals}]\n",
            ["evals/data/none.jsonl: no such file"],
        ),
        (
            "prompt: order-id\ndataset: data/x.txt\nscorers: [{type: equals}]\n",
            ["evals/order-id.yaml:2: dataset: unsupported dataset format '.txt'; expected .jsonl or .csv"],
        ),
        (
            "prompt: nope\ndataset: data/order-id.jsonl\nscorers: [{type: equals}]\n",
            ["evals/order-id.yaml:1: prompt: unknown prompt 'nope' (known: order-id)"],
        ),
        (
            "prompt: order-id\nscorers: [{type: equals}]\n",
            ["evals/order-id.yaml:1: give exactly one of `dataset` and `cases`"],
        ),
        (
            "prompt: order-id\ndataset: data/order-id.jsonl\nscorers: []\n",
            ["evals/order-id.yaml:3: scorers: [] should be non-empty"],
        ),
        (
            "prompt: order-id\ndataset: data/order-id.jsonl\nscorers:\n  - {type: equal}\n",
            [
                "evals/order-id.yaml:4: scorers[0].type: unknown scorer 'equal'; expected one of: "
                + ", ".join(sorted(SCORERS))
            ],
        ),
        (
            "prompt: order-id\ndataset: data/order-id.jsonl\nscorers:\n  - type: regex\n    pattern: '(['\n",
            [
                "evals/order-id.yaml:5: scorers[0].pattern: invalid regular expression: unterminated character set at "
                "position 1"
            ],
        ),
        (
            "prompt: order-id\ndataset: data/order-id.jsonl\nscorers:\n  - type: contains\n    valu: x\n",
            [
                "evals/order-id.yaml:4: scorers[0]: missing required key 'value'",
                "evals/order-id.yaml:5: scorers[0].valu: unknown key; expected one of: ignore_case, mode, name, required, "
                "threshold, type, value, weight",
            ],
        ),
        (
            "prompt: order-id\ndataset: data/order-id.jsonl\nscorers:\n  - {type: json_schema}\n",
            [
                "evals/order-id.yaml:4: scorers[0].schema: needs `schema`: prompt 'order-id' declares no output schema"
            ],
        ),
        (
            "prompt: order-id\ndataset: data/order-id.jsonl\nscorers:\n  - {type: python, function: nomod_xyz:f}\n",
            [
                "evals/order-id.yaml:4: scorers[0].function: cannot import nomod_xyz:f: ModuleNotFoundError: "
                "No module named 'nomod_xyz'"
            ],
        ),
        (
            "prompt: order-id\ndataset: data/order-id.jsonl\nrepeats: 0\nscorers: [{type: equals, weight: -1}]\n",
            [
                "evals/order-id.yaml:3: repeats: 0 is less than the minimum of 1",
                "evals/order-id.yaml:4: scorers[0].weight: -1 is less than the minimum of 0",
            ],
        ),
    ],
)
def test_bad_suite_files(tmp_path: Path, suite: str, expected: list[str]) -> None:
    write_project(tmp_path, files={"evals/order-id.yaml": suite})
    assert problems(tmp_path) == expected


def test_bad_input_through_the_cli(cli, project_dir: Path) -> None:
    write_project(project_dir, files={"evals/data/order-id.jsonl": '{"id": "a"}\n{"id": "a"}\n'})
    result = cli("eval")
    assert result.code == 2
    assert result.err == "error: evals/data/order-id.jsonl:2: id: duplicate case id 'a' (first on line 1)\n"


def test_case_vars_that_do_not_fit_the_prompt_fail_before_any_call(
    cli, project_dir: Path, openai_server
) -> None:
    rows = [
        {"id": "a", "vars": {"message": "ok"}},
        {"id": "b", "vars": {}},
        {"id": "c", "vars": {"message": 5}},
    ]
    write_project(
        project_dir, files={"evals/data/order-id.jsonl": "".join(json.dumps(r) + "\n" for r in rows)}
    )
    result = cli("eval")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: evals/data/order-id.jsonl:2: vars: variable 'message' is required by order-id",
        "error: evals/data/order-id.jsonl:3: vars: variable 'message' of order-id: expected a string, got an integer",
    ]
    assert openai_server.count == 0


def test_scorer_template_errors_name_the_case_line(cli, project_dir: Path, openai_server) -> None:
    write_project(
        project_dir,
        count=2,
        files={
            "evals/order-id.yaml": """\
        prompt: order-id
        dataset: data/order-id.jsonl
        scorers:
          - {type: contains, value: "{{ vars.missing }}"}
    """
        },
    )
    result = cli("eval")
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "error: evals/data/order-id.jsonl:1: scorer contains: 'dict object' has no attribute 'missing'"
    )
    assert openai_server.count == 0


def test_unknown_suite_and_no_suites(cli, project_dir: Path) -> None:
    write_project(project_dir)
    result = cli("eval", "nope")
    assert result.code == 2
    assert (
        result.err
        == "error: unknown suite 'nope' (known: order-id)\nhint: expected a file at evals/nope.yaml\n"
    )
    (project_dir / "evals/order-id.yaml").unlink()
    result = cli("eval")
    assert result.code == 2
    assert result.err == "error: no eval suites in evals/\nhint: add evals/NAME.yaml (see `promptops init`)\n"


def test_read_cases_directly() -> None:
    cases = read_cases(b'{"id": "a", "vars": {"x": 1}, "expected": [1, 2], "tags": ["t"]}\n', "d.jsonl")
    assert cases[0].expected == [1, 2] and cases[0].tags == ("t",) and cases[0].hash.startswith("sha256:")


def test_a_suite_may_be_named_by_its_path(project_dir: Path) -> None:
    write_project(project_dir)
    project = Project.load(project_dir)
    assert load_suites(project, ["evals/order-id.yaml"])[0].name == "order-id"
    assert load_suites(project, ["order-id.yaml"])[0].name == "order-id"
    assert [s.name for s in load_suites(project, ["order-id", "evals/order-id.yaml"])] == ["order-id"]
