"""Security, class 3: scoring one case is bounded in time; a runaway pattern is a per-case error."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from promptops.evals.cases import Case, ScorerConfig
from promptops.evals.scoring import SCORERS, ScorerError, Subject, evaluate
from promptops.formats import search, validate_data
from promptops.spec import Message, PromptSpec
from support.evalproject import results, write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI

SPEC = PromptSpec(
    name="p", version="1.0.0", model="openai/m", messages=(Message(role="user", content="{{ q }}"),)
)
CASE = Case(id="c1", vars={"q": "x"}, expected="x")
# (pattern, answer): each backtracks exponentially in Python's `re`
RUNAWAY = [
    ("^(a|aa)+$", "a" * 40 + "!"),
    (r"^(\w|\w\w)+$", "a" * 40 + "!"),
    (r"^(\d|\d\d)+$", "1" * 40 + "x"),
    ("^(a|aa)+b$", "a" * 60),
]


def _subject(output: str) -> Subject:
    return Subject(
        output=output, case=CASE, spec=SPEC, messages=(("user", "x"),), reply=None, root=Path(), judge=None
    )


@pytest.mark.slow
@pytest.mark.parametrize(("pattern", "answer"), RUNAWAY)
def test_a_runaway_regex_scorer_is_a_scorer_error_within_seconds(pattern: str, answer: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ScorerError) as caught:
        asyncio.run(SCORERS["regex"].score({"pattern": pattern}, _subject(answer)))
    assert time.perf_counter() - started < 10  # generous: the limit is 0.5 s
    assert str(caught.value) == (
        "the regular expression ran for more than 0.5 s on this output; avoid nested repetition such as (a+)+"
    )


def test_the_issue_example_no_longer_hangs() -> None:
    started = time.perf_counter()
    outcome = asyncio.run(SCORERS["regex"].score({"pattern": "^(a+)+$"}, _subject("a" * 34 + "!")))
    assert outcome.value == 0.0
    assert time.perf_counter() - started < 5


def test_the_case_score_carries_the_error_and_other_scorers_still_run() -> None:
    configs = [
        ScorerConfig(type="regex", options={"pattern": RUNAWAY[0][0]}, name="slow"),
        ScorerConfig(type="contains", options={"value": "a"}, name="has-a"),
    ]
    scored = asyncio.run(evaluate(configs, [c.options for c in configs], _subject(RUNAWAY[0][1])))
    assert scored.passed is None and scored.score is None
    assert scored.error is not None and scored.error.startswith("scorer slow: the regular expression ran for")
    assert [v.value for v in scored.scores] == [None, 1.0]


@pytest.mark.slow
@pytest.mark.parametrize("where", ["pattern", "patternProperties"])
def test_json_schema_patterns_on_model_output_are_bounded(where: str) -> None:
    pattern, answer = RUNAWAY[0]
    if where == "pattern":
        rules, data = {"properties": {"x": {"pattern": pattern}}}, {"x": answer}
    else:
        rules, data = {"patternProperties": {pattern: {"type": "integer"}}}, {answer: "text"}
    started = time.perf_counter()
    problems = validate_data(data, rules)
    assert time.perf_counter() - started < 10
    assert [p.message for p in problems] == [
        f"the regular expression ran for more than 0.5 s matching '{pattern}'"
    ]


def test_search_keeps_re_semantics() -> None:
    import re

    assert search(r"^ORD-\d{5}$", "ORD-12345")
    assert search("abc", "xABC", re.IGNORECASE)
    assert not search("^b", "a\nb")
    assert search("^b", "a\nb", re.MULTILINE)
    assert search("a.b", "a\nb", re.DOTALL)
    with pytest.raises(re.error):
        search("(", "x")


@pytest.mark.slow
def test_eval_with_a_runaway_pattern_finishes_with_per_case_errors(
    cli: CLI, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    pattern, answer = RUNAWAY[0]
    write_project(
        project_dir,
        count=2,
        files={
            "evals/order-id.yaml": f"prompt: order-id\ndataset: data/order-id.jsonl\n"
            f"scorers:\n  - {{type: regex, pattern: {json.dumps(pattern)}}}\n"
        },
    )
    openai_server.default = answer
    openai_server.answers = {}
    started = time.perf_counter()
    result = cli("eval", "order-id")
    assert time.perf_counter() - started < 30
    assert result.code == 3, result.err
    assert "Traceback" not in result.err
    saved = json.dumps(results(project_dir))
    assert saved.count("the regular expression ran for more than 0.5 s on this output") >= 2


def test_similarity_on_a_long_output_is_a_scorer_error_not_minutes() -> None:
    started = time.perf_counter()
    with pytest.raises(
        ScorerError, match="similarity would compare 20000 with 20000 characters, more than 4,000,000"
    ):
        asyncio.run(SCORERS["similarity"].score({"expected": "ab" * 10_000}, _subject("ba" * 10_000)))
    assert time.perf_counter() - started < 5
    outcome = asyncio.run(SCORERS["similarity"].score({"expected": "abc" * 300}, _subject("abc" * 300)))
    assert outcome.value == 1.0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "output"),
    [
        ("json_valid", "```\n" + "\n" * 100_000),
        ("json_field", "```json\n" + " \n" * 50_000),
    ],
)
def test_json_scorers_reading_a_hostile_code_fence_are_bounded(kind: str, output: str) -> None:
    options = {"path": "a", "expected": 1} if kind == "json_field" else {}
    started = time.perf_counter()
    try:
        outcome = asyncio.run(SCORERS[kind].score(options, _subject(output)))
        assert outcome.value == 0.0
    except ScorerError as exc:
        assert "looking for a code fence in this output" in str(exc)
    assert time.perf_counter() - started < 10


@pytest.mark.slow
def test_a_judge_verdict_full_of_braces_is_bounded() -> None:
    from promptops.evals.scoring.judge import parse_verdict

    started = time.perf_counter()
    with pytest.raises(ScorerError):
        parse_verdict("{" * 300_000)
    assert time.perf_counter() - started < 10
    assert parse_verdict('ok {"score": 1, "reason": "fine"}').value == 1.0
