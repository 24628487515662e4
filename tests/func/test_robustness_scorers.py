"""Scorers that agree with what a user means: JSON types, null, NaN, deep outputs, empty values, ASCII."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from promptops.evals.cases import Case, ScorerConfig
from promptops.evals.scoring import SCORERS, ScorerError, Subject, evaluate, resolve
from promptops.spec import Message, PromptSpec
from support.evalproject import write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI

SPEC = PromptSpec(
    name="p", version="1.0.0", model="openai/m", messages=(Message(role="user", content="{{ q }}"),)
)
DEEP = "[" * 1000 + "]" * 1000


def score(kind: str, output: str, case: Case | None = None, **options: Any) -> float:
    case = case or Case(id="c1", vars={}, expected="ORD-12345")
    resolved = resolve(ScorerConfig(type=kind, options=options, name=kind), case, kind)
    subject = Subject(output=output, case=case, spec=SPEC, messages=(), reply=None, root=Path(), judge=None)
    return asyncio.run(SCORERS[kind].score(resolved, subject)).value


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("1", True),
        ("true", 1),
        ('{"a": true}', {"a": 1}),
        ("0", False),
        ('["1"]', [1]),
        ('{"a": 1, "b": 2}', {"a": 1}),
    ],
)
def test_equals_keeps_json_types_apart(output: str, expected: Any) -> None:
    assert score("equals", output, Case(id="c", vars={}, expected=expected, has_expected=True)) == 0.0


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("true", True),
        ("1.0", 1),
        ('{"a": [1, {"b": null}]}', {"a": [1, {"b": None}]}),
        ("null", None),
    ],
)
def test_equals_matches_equal_json(output: str, expected: Any) -> None:
    assert score("equals", output, Case(id="c", vars={}, expected=expected, has_expected=True)) == 1.0


def test_explicit_null_expected_compares() -> None:
    assert score("equals", "null", Case(id="c", vars={}, expected=None, has_expected=True)) == 1.0
    assert score("equals", "ORD-1", Case(id="c", vars={}, expected=None, has_expected=True)) == 0.0
    assert score("equals", "null", Case(id="c", vars={}), expected=None) == 1.0  # on the scorer
    with pytest.raises(ScorerError, match="no expected value"):
        score("equals", "null", Case(id="c", vars={}))  # not given at all


@pytest.mark.parametrize("output", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_json_valid_refuses_non_json_numbers(output: str) -> None:
    assert score("json_valid", output) == 0.0


def test_a_deeply_nested_output_is_a_case_result() -> None:
    assert score("json_valid", DEEP) == 0.0
    configs = [ScorerConfig(type="equals", name="equals"), ScorerConfig(type="json_valid", name="json_valid")]
    case = Case(id="c", vars={}, expected=[1], has_expected=True)
    subject = Subject(output=DEEP * 3, case=case, spec=SPEC, messages=(), reply=None, root=Path(), judge=None)
    scored = asyncio.run(evaluate(configs, [{}, {}], subject))
    assert scored.error is None and scored.score == 0.0


def test_numeric_does_not_read_a_hyphen_as_a_sign() -> None:
    case = Case(id="c", vars={}, expected=12345, has_expected=True)
    assert score("numeric", "ORD-12345", case) == 1.0
    assert score("numeric", "-12345", Case(id="c", vars={}, expected=-12345, has_expected=True)) == 1.0
    assert score("numeric", "it is -3.5 now", Case(id="c", vars={}, expected=-3.5, has_expected=True)) == 1.0


def test_regex_classes_are_ascii_unless_u() -> None:
    assert score("regex", "ORD-١٢٣٤٥", pattern=r"^ORD-\d{5}$") == 0.0
    assert score("regex", "ORD-\uff11\uff12\uff13\uff14\uff15", pattern=r"^ORD-\d{5}$") == 0.0
    assert score("regex", "ORD-12345", pattern=r"^ORD-\d{5}$") == 1.0
    assert score("regex", "ORD-١٢٣٤٥", pattern=r"^ORD-\d{5}$", flags="u") == 1.0
    assert score("regex", "ORD-12345\n", pattern=r"^ORD-\d{5}$") == 1.0  # `$` before a final newline
    assert score("regex", "ORD-12345\n", pattern=r"^ORD-\d{5}\Z") == 0.0


def test_a_template_that_renders_empty_is_a_scorer_error() -> None:
    case = Case(id="c", vars={"v": ""}, expected="x")
    with pytest.raises(ScorerError, match="`value` is empty for this case"):
        score("contains", "anything", case, value="{{ vars.v }}")
    with pytest.raises(ScorerError, match="`pattern` is empty for this case"):
        score("regex", "anything", case, pattern="{{ vars.v }}")


@pytest.mark.parametrize(
    ("scorer", "message"),
    [
        (
            '{type: contains, value: ""}',
            "scorers[0].value: must not be empty: every output contains the empty string",
        ),
        (
            "{type: contains, value: [a, '']}",
            "scorers[0].value: must not be empty: every output contains the empty string",
        ),
        (
            '{type: regex, pattern: ""}',
            "scorers[0].pattern: must not be empty: an empty pattern matches every output",
        ),
    ],
)
def test_empty_value_or_pattern_is_a_configuration_error(
    cli: CLI, project_dir: Path, openai_server: FakeOpenAI, scorer: str, message: str
) -> None:
    write_project(
        project_dir,
        files={
            "evals/order-id.yaml": f"prompt: order-id\ndataset: data/order-id.jsonl\nscorers:\n  - {scorer}\n"
        },
    )
    result = cli("eval")
    assert (result.code, result.err) == (2, f"error: evals/order-id.yaml:4: {message}\n")
    assert openai_server.count == 0


def test_templated_expected_of_a_case_without_one_is_still_missing() -> None:
    with pytest.raises(ScorerError, match="no expected value"):
        score("equals", "null", Case(id="c", vars={}), expected="{{ expected }}")
    assert (
        score(
            "equals",
            "null",
            Case(id="c", vars={}, expected=None, has_expected=True),
            expected="{{ expected }}",
        )
        == 1.0
    )
