"""Datasets kept out of git: `dataset: {from: URI, sha256: ...}` is verified before any case is read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from promptops.errors import FileFormatError
from promptops.evals.suites import load_suites
from promptops.project import Project
from support.evalproject import cases, order_id_answer, results, write_project
from support.tmpdir import TmpDir

SUITE = """\
prompt: order-id
dataset: {{from: {source}, sha256: {digest}}}
scorers:
  - {{type: equals, expected: "{{{{ expected }}}}"}}
"""


def private(root: Path, count: int = 3) -> tuple[Path, str]:
    path = root / ".private" / "order-id.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = "".join(json.dumps(c) + "\n" for c in cases(count)).encode()
    path.write_bytes(raw)
    return path, hashlib.sha256(raw).hexdigest()


def write_suite(root: Path, source: str, digest: str) -> None:
    TmpDir(root).gen({"evals/order-id.yaml": SUITE.format(source=source, digest=digest)})


def problems(root: Path) -> list[str]:
    with pytest.raises(FileFormatError) as info:
        load_suites(Project.load(root), ["order-id"])
    return info.value.lines()


@pytest.mark.parametrize("form", ["relative", "file-uri", "prefixed-hash"])
def test_a_pinned_dataset_loads_when_its_hash_matches(tmp_path: Path, form: str) -> None:
    write_project(tmp_path)
    path, digest = private(tmp_path)
    source = {
        "relative": "../.private/order-id.jsonl",
        "file-uri": path.resolve().as_uri(),
        "prefixed-hash": "../.private/order-id.jsonl",
    }[form]
    write_suite(tmp_path, source, "sha256:" + digest if form == "prefixed-hash" else digest)
    (suite,) = load_suites(Project.load(tmp_path), ["order-id"])
    assert suite.dataset == ".private/order-id.jsonl"
    assert [c.id for c in suite.cases] == ["c001", "c002", "c003"]


def test_a_changed_dataset_is_refused_naming_both_hashes(tmp_path: Path) -> None:
    write_project(tmp_path)
    path, digest = private(tmp_path)
    write_suite(tmp_path, "../.private/order-id.jsonl", digest)
    path.write_bytes(path.read_bytes() + b'{"id": "c999", "vars": {"message": "x"}}\n')
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    assert problems(tmp_path) == [
        f"evals/order-id.yaml:2: dataset.sha256: .private/order-id.jsonl has sha256 {found}, "
        f"the suite pins {digest}"
    ]


def test_a_missing_dataset_says_it_is_not_in_git(tmp_path: Path) -> None:
    write_project(tmp_path)
    write_suite(tmp_path, "../.private/gone.jsonl", "'" + "0" * 64 + "'")
    assert problems(tmp_path) == [
        "evals/order-id.yaml:2: dataset.from: no such file '../.private/gone.jsonl' (this dataset is not in git)"
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "../../outside.jsonl",
            "evals/order-id.yaml:2: dataset: '../../outside.jsonl' leaves the project root",
        ),
        (
            "file:///etc/cases.jsonl",
            "evals/order-id.yaml:2: dataset: '/etc/cases.jsonl' leaves the project root",
        ),
        (
            "https://example.com/cases.jsonl",
            "evals/order-id.yaml:2: dataset.from: unsupported scheme 'https:'; expected a local path or a file:// URI",
        ),
        (
            "file://host/cases.jsonl",
            "evals/order-id.yaml:2: dataset.from: file:// URI names another host 'host'",
        ),
    ],
)
def test_path_safety_and_schemes(tmp_path: Path, source: str, expected: str) -> None:
    write_project(tmp_path)
    write_suite(tmp_path, source, "'" + "0" * 64 + "'")
    assert problems(tmp_path) == [expected]


def test_a_bad_hash_is_a_schema_error(tmp_path: Path) -> None:
    write_project(tmp_path)
    write_suite(tmp_path, "../.private/order-id.jsonl", "abc")
    assert problems(tmp_path) == [
        "evals/order-id.yaml:2: dataset.sha256: 'abc' does not match '^(sha256:)?[0-9a-f]{64}$'"
    ]


def test_eval_runs_a_pinned_dataset(cli, project_dir: Path, openai_server) -> None:
    write_project(project_dir)
    _, digest = private(project_dir, 2)
    write_suite(project_dir, "../.private/order-id.jsonl", digest)
    openai_server.answers = order_id_answer
    result = cli("eval")
    assert result.code == 0, result.err
    run = results(project_dir)["suites"]["order-id"]
    assert [c["id"] for c in run["cases"]] == ["c001", "c002"]


def test_cases_accept_moves_the_pin_with_the_dataset(cli, project_dir: Path) -> None:
    write_project(project_dir)
    path, digest = private(project_dir, 2)
    write_suite(project_dir, "../.private/order-id.jsonl", digest)
    project_dir.gen(
        {
            "proposed.yaml": "suite: order-id\ncases:\n"
            "- {id: prod-1, reviewed: true, vars: {message: 'Where is ORD-30001?'}, expected: ORD-30001}\n"
        }
    )
    result = cli("cases", "accept", "proposed.yaml")
    assert result.code == 0, result.err
    assert result.err.startswith("added 1 cases to .private/order-id.jsonl: prod-1;")
    new = hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"sha256: {new}" in (project_dir / "evals/order-id.yaml").read_text(encoding="utf-8")
    (suite,) = load_suites(Project.load(project_dir), ["order-id"])
    assert [c.id for c in suite.cases] == ["c001", "c002", "prod-1"]
    assert not (project_dir / "proposed.yaml").exists()


def test_cases_accept_refuses_inline_suites(cli, project_dir: Path) -> None:
    write_project(
        project_dir,
        files={
            "evals/order-id.yaml": (
                "prompt: order-id\ncases:\n  - {id: a, vars: {message: x}, expected: NONE}\nscorers:\n  - {type: equals}\n"
            )
        },
    )
    project_dir.gen({"p.yaml": "suite: order-id\ncases: []\n"})
    result = cli("cases", "accept", "p.yaml")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: evals/order-id.yaml: the suite keeps its cases inline; `cases accept` appends to a JSONL dataset",
        "hint: move the cases to a `dataset:` file, e.g. evals/data/NAME.jsonl",
    ]


def test_a_proposed_file_with_a_bad_key_names_its_line(cli, project_dir: Path) -> None:
    write_project(project_dir)
    project_dir.gen(
        {"p.yaml": "suite: order-id\ncases:\n- {id: x, reviewed: yes please, vars: {}, expected: null}\n"}
    )
    result = cli("cases", "accept", "p.yaml")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: p.yaml:3: cases[0].reviewed: expected true or false, got a string"
    ]
