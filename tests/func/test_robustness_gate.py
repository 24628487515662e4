"""Bad data never passes the gate: unknown suites, empty datasets, rounding, incomparable baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptops.evals.results import as_read
from promptops.wording import change, money
from support.evalproject import order_id_answer, write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI
from support.runs import run


@pytest.fixture
def server(openai_server: FakeOpenAI) -> FakeOpenAI:
    openai_server.answers = order_id_answer
    return openai_server


def test_results_of_a_suite_that_does_not_exist(cli: CLI, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=2)
    assert cli("eval", "--out", "results.json").code == 0
    data = json.loads((project_dir / "results.json").read_text(encoding="utf-8"))
    data["suites"]["ghost"] = data["suites"].pop("order-id")
    project_dir.gen({"results.json": json.dumps(data)})
    result = cli("report", "--results", "results.json")
    assert (result.code, result.err) == (
        2,
        "error: results.json: results of suite 'ghost', which has no suite file (evals/ghost.yaml)\n"
        "hint: known suites: order-id\n",
    )


def test_an_empty_dataset_is_bad_input(cli: CLI, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, files={"evals/data/order-id.jsonl": "\n"})
    result = cli("eval")
    assert (result.code, result.err) == (
        2,
        "error: evals/data/order-id.jsonl: no cases; a dataset needs at least one case\n",
    )
    assert server.count == 0


def test_an_edited_case_is_incomparable_before_any_model_call(
    cli: CLI, project_dir: Path, server: FakeOpenAI
) -> None:
    write_project(project_dir, count=3)
    assert cli("eval").code == 0
    assert cli("baseline", "update", "order-id").code == 0
    data = project_dir / "evals/data/order-id.jsonl"
    data.write_text(
        data.read_text(encoding="utf-8").replace("ORD-10002?", "ORD-10002 please?"), encoding="utf-8"
    )
    server.reset()
    result = cli("eval", "--no-cache")
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "error: evals/baselines/order-id.json: the baseline of suite 'order-id' is not comparable with this run: "
        "changed cases c002"
    )
    assert server.count == 0


THIRDS = """\
prompt: order-id
dataset: data/order-id.jsonl
scorers:
  - {type: equals, expected: "never", required: false}
  - {type: regex, pattern: "^ORD", weight: 2}
gate: {min_score: 0.666667}
"""


def test_eval_and_report_agree_at_a_rounding_boundary(
    cli: CLI, project_dir: Path, server: FakeOpenAI
) -> None:
    # every case scores 2/3 = 0.6666666...; the results file records 0.666667, exactly the floor
    write_project(project_dir, count=4, files={"evals/order-id.yaml": THIRDS})
    assert cli("eval").code == 0
    assert cli("baseline", "update", "order-id").code == 0
    evaluated = cli("eval", "--out", "results.json")
    reported = cli("report", "--results", "results.json", "--format", "json")
    assert (evaluated.code, reported.code) == (0, 0)
    assert "gate order-id: PASS" in evaluated.err
    assert json.loads(reported.out)["suites"][0]["verdict"] == "PASS"


def test_as_read_rounds_like_the_results_file() -> None:
    (head,) = as_read([run({"c1": 2 / 3})])
    assert head.cases[0].score == 0.666667


@pytest.mark.parametrize(
    ("value", "signed", "text"),
    [
        (-3.39e-21, True, "+$0.00"),
        (3.39e-21, False, "$0.00"),
        (0.0, True, "+$0.00"),
        (-0.0000123, True, "-$0.0000123"),
        (0.5, True, "+$0.500"),
    ],
)
def test_money_has_no_float_noise(value: float, signed: bool, text: str) -> None:
    assert money(value, signed=signed) == text


def test_change_never_reads_minus_zero() -> None:
    assert (change(-1e-17), change(0.124), change(-0.5)) == ("+0%", "+12%", "-50%")
