"""Every built-in scorer, templating against the case, and the weighted case score."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from promptops.evals.calls import CallRequest, Reply
from promptops.evals.cases import Case, ScorerConfig
from promptops.evals.scoring import SCORERS, ScorerError, Subject, evaluate, resolve
from promptops.evals.scoring.judge import parse_verdict
from promptops.spec import Message, PromptSpec

SPEC = PromptSpec(
    name="p",
    version="1.0.0",
    model="openai/m",
    messages=(Message(role="user", content="{{ q }}"),),
    output={
        "format": "json",
        "schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
    },
)
CASE = Case(id="c1", vars={"q": "Where is ORD-12345?", "n": 3}, expected="ORD-12345", tags=("easy",))


def subject(
    output: str, case: Case = CASE, reply: Reply | None = None, root: Path = Path(), judge=None
) -> Subject:
    return Subject(
        output=output,
        case=case,
        spec=SPEC,
        messages=(("user", "Where is ORD-12345?"),),
        reply=reply,
        root=root,
        judge=judge,
    )


def score(kind: str, output: str, case: Case = CASE, **options: Any) -> tuple[float, str | None]:
    config = ScorerConfig(type=kind, options=options, name=kind)
    resolved = resolve(config, case, kind)
    outcome = asyncio.run(SCORERS[kind].score(resolved, subject(output, case)))
    return outcome.value, outcome.detail


def test_equals_templated_against_the_case() -> None:
    assert score("equals", " ORD-12345\n", expected="{{ expected }}") == (1.0, None)
    assert score("equals", "ORD-1", expected="{{ expected }}") == (0.0, "expected 'ORD-12345', got 'ORD-1'")
    assert score("equals", "ord-12345", ignore_case=True)[0] == 1.0  # default: the case's expected
    assert score("equals", " x", expected="x", strip=False)[0] == 0.0
    assert score("equals", "ok {{ vars.n }}", expected="ok {{ vars.n }}")[0] == 0.0  # output is not templated
    assert score("equals", "ok 3", expected="ok {{ vars.n }}")[0] == 1.0


def test_equals_structured_expected() -> None:
    case = Case(id="c", vars={}, expected={"a": [1, 2]})
    assert score("equals", '{"a": [1, 2]}', case=case)[0] == 1.0
    assert score("equals", '{"a": [2]}', case=case)[0] == 0.0


def test_equals_without_expected_is_an_error() -> None:
    with pytest.raises(ScorerError, match="no expected value"):
        score("equals", "x", case=Case(id="c", vars={}))


def test_contains_one_list_any_all_case() -> None:
    assert score("contains", "the ORD-12345 id", value="{{ expected }}")[0] == 1.0
    assert score("contains", "a b", value=["a", "c"]) == (0.5, "missing 'c'")
    assert score("contains", "a b", value=["x", "b"], mode="any")[0] == 1.0
    assert score("contains", "a b", value=["x", "y"], mode="any") == (0.0, "none of 'x', 'y' found")
    assert score("contains", "HELLO", value="hello")[0] == 0.0
    assert score("contains", "HELLO", value="hello", ignore_case=True)[0] == 1.0


def test_regex() -> None:
    assert score("regex", "ORD-12345", pattern=r"^ORD-\d{5}$")[0] == 1.0
    assert score("regex", "ord-12345", pattern=r"^ORD-\d{5}$") == (0.0, "'ord-12345' does not match")
    assert score("regex", "ord-12345", pattern=r"^ORD-\d{5}$", flags="i")[0] == 1.0
    assert score("regex", "x ORD-12345 y", pattern=r"{{ expected }}")[0] == 1.0


def test_similarity() -> None:
    value, detail = score("similarity", "ORD-12346")
    assert value == pytest.approx(8 / 9) and detail == "similarity 0.889 to 'ORD-12345'"
    assert score("similarity", "ord-12345", ignore_case=True)[0] == 1.0


def test_max_length_units() -> None:
    assert score("max_length", "abcd", max=4)[0] == 1.0
    assert score("max_length", "abcde", max=4) == (0.0, "5 chars > 4")
    assert score("max_length", "one two three", max=2, unit="words") == (0.0, "3 words > 2")
    outcome = asyncio.run(
        SCORERS["max_length"].score(
            {"max": 2, "unit": "tokens"}, subject("x", reply=Reply(text="x", input_tokens=1, output_tokens=3))
        )
    )
    assert outcome.value == 0.0 and outcome.detail == "3 tokens > 2"


def test_json_valid_and_fences() -> None:
    assert score("json_valid", '{"a": 1}')[0] == 1.0
    assert score("json_valid", '```json\n{"a": 1}\n```')[0] == 1.0
    assert score("json_valid", "{a: 1}") == (
        0.0,
        "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    )


def test_json_schema_defaults_to_the_prompt_output_schema() -> None:
    assert score("json_schema", '{"id": "x"}')[0] == 1.0
    assert score("json_schema", '{"id": 3}') == (0.0, "id: expected a string, got an integer")
    assert score("json_schema", "{}") == (0.0, "missing required key 'id'")
    assert score("json_schema", "[]", schema={"type": "array"})[0] == 1.0
    bare = PromptSpec(name="q", version="1.0.0", model="m", messages=(Message(role="user", content="x"),))
    assert SCORERS["json_schema"].check({}, bare, Path()) == [
        ("schema", "needs `schema`: prompt 'q' declares no output schema")
    ]


def test_json_field() -> None:
    out = '{"order": {"items": [{"sku": "A1", "qty": 2}]}}'
    assert score("json_field", out, path="order.items[0].sku", expected="A1")[0] == 1.0
    assert score("json_field", out, path="order.items.0.qty", expected=2)[0] == 1.0
    assert score("json_field", out, path="order.items[0].qty", expected="2")[0] == 1.0
    assert score("json_field", out, path="order.items[0].qty", expected=3) == (
        0.0,
        "order.items[0].qty: expected 3, got 2",
    )
    assert score("json_field", out, path="order.missing", expected=1) == (0.0, "no field order.missing")


def test_numeric() -> None:
    case = Case(id="n", vars={}, expected=42)
    assert score("numeric", "The answer is 42.", case=case)[0] == 1.0
    assert score("numeric", "41.5", case=case) == (0.0, "expected 42 ± 0, got 41.5")
    assert score("numeric", "41.5", case=case, tolerance=0.5)[0] == 1.0
    assert score("numeric", "40", case=case, tolerance=0.05, relative=True)[0] == 1.0
    assert score("numeric", "1,234", case=Case(id="n", vars={}, expected="1234"))[0] == 1.0
    assert score("numeric", "none", case=case) == (0.0, "no number in 'none'")
    with pytest.raises(ScorerError, match="expected value 'abc' is not a number"):
        score("numeric", "1", case=Case(id="n", vars={}, expected="abc"))


def test_budget_scorers() -> None:
    reply = Reply(text="x", input_tokens=10, output_tokens=2, cost_usd=0.002, latency_ms=1500.0)
    cost = asyncio.run(SCORERS["max_cost"].score({"max": 0.001}, subject("x", reply=reply)))
    assert (cost.value, cost.detail) == (0.0, "cost $0.002 > $0.001")
    assert asyncio.run(SCORERS["max_cost"].score({"max": 0.01}, subject("x", reply=reply))).value == 1.0
    with pytest.raises(ScorerError, match="add the model's price under `prices`"):
        asyncio.run(SCORERS["max_cost"].score({"max": 1}, subject("x", reply=Reply(text="x"))))
    latency = asyncio.run(SCORERS["max_latency_ms"].score({"max": 1000}, subject("x", reply=reply)))
    assert (latency.value, latency.detail) == (0.0, "latency 1500 ms > 1000 ms")


def test_python_scorer_imported_from_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "checks_pkg_a").mkdir()
    (tmp_path / "checks_pkg_a" / "__init__.py").write_text("")
    (tmp_path / "checks_pkg_a" / "score.py").write_text(
        "def exact(output, case):\n"
        "    return {'score': 1.0 if output == case['expected'] else 0.25, 'detail': case['options'].get('why')}\n"
        "def broken(output, case):\n    raise RuntimeError('nope')\n"
        "def odd(output, case):\n    return 'yes'\n"
        "async def later(output, case):\n    return output.startswith('ORD')\n"
    )
    scorer = SCORERS["python"]
    run = lambda fn, out, **extra: asyncio.run(  # noqa: E731
        scorer.score({"function": f"checks_pkg_a.score:{fn}", **extra}, subject(out, root=tmp_path))
    )
    assert run("exact", "ORD-12345", options={"why": "w"}).value == 1.0
    assert run("exact", "no", options={"why": "w"}).detail == "w"
    assert run("exact", "no").value == 0.25
    assert run("later", "ORD-1").value == 1.0
    with pytest.raises(ScorerError, match=r"checks_pkg_a\.score:broken raised RuntimeError: nope"):
        run("broken", "x")
    with pytest.raises(ScorerError, match="returned 'yes'; expected true/false"):
        run("odd", "x")
    assert scorer.check({"function": "checks_pkg_a.score:missing"}, SPEC, tmp_path) == [
        (
            "function",
            "cannot import checks_pkg_a.score:missing: AttributeError: "
            "module 'checks_pkg_a.score' has no function 'missing'",
        )
    ]


def test_llm_judge_verdicts() -> None:
    assert parse_verdict('{"score": 0.8, "reason": "fine"}').value == 0.8
    assert parse_verdict('Sure!\n```json\n{"score": 1, "reason": "ok"}\n```').detail == "ok"
    assert parse_verdict('{"pass": false}').value == 0.0
    assert parse_verdict("PASS - the answer is right").value == 1.0
    for bad in ("I think it is good", '{"score": 7}', '{"verdict": "good"}', ""):
        with pytest.raises(ScorerError, match="judge verdict could not be parsed"):
            parse_verdict(bad)


def test_llm_judge_calls_the_pinned_model_with_the_rubric() -> None:
    seen: list[CallRequest] = []

    async def judge(request: CallRequest) -> Reply:
        seen.append(request)
        return Reply(text='{"score": 0.4, "reason": "vague"}')

    options = {"rubric": "Names the order {{ expected }}", "model": "openai/judge-2024-01-01"}
    resolved = resolve(ScorerConfig(type="llm_judge", options=options), CASE, "judge")
    outcome = asyncio.run(SCORERS["llm_judge"].score(resolved, subject("ORD-12345", judge=judge)))
    assert (outcome.value, outcome.detail) == (0.4, "vague")
    assert seen[0].model == "openai/judge-2024-01-01" and seen[0].params == {"temperature": 0}
    prompt = seen[0].messages[1][1]
    assert "RUBRIC:\nNames the order ORD-12345" in prompt and "RESPONSE:\nORD-12345" in prompt
    assert "INPUT:\nWhere is ORD-12345?" in prompt and "EXPECTED:\nORD-12345" in prompt


def test_weighted_score_and_required_pass() -> None:
    configs = (
        ScorerConfig(type="equals", name="equals", options={"expected": "{{ expected }}"}),
        ScorerConfig(type="contains", name="contains", weight=0.5, required=False, options={"value": "zzz"}),
        ScorerConfig(type="similarity", name="similarity", weight=0.0, threshold=0.5, options={}),
    )
    options = [resolve(c, CASE, c.name) for c in configs]
    scored = asyncio.run(evaluate(configs, options, subject("ORD-12345")))
    assert scored.score == pytest.approx((1.0 * 1 + 0.0 * 0.5) / 1.5)
    assert scored.passed is True  # the failing scorer is not required
    assert [(s.name, s.value, s.passed) for s in scored.scores] == [
        ("equals", 1.0, True),
        ("contains", 0.0, False),
        ("similarity", 1.0, True),
    ]
    wrong = asyncio.run(evaluate(configs, options, subject("ORD-99999")))
    assert wrong.passed is False


def test_a_scorer_error_makes_the_attempt_an_error_not_a_zero() -> None:
    configs = (ScorerConfig(type="equals", name="equals"), ScorerConfig(type="numeric", name="numeric"))
    case = Case(id="c", vars={}, expected="abc")
    scored = asyncio.run(evaluate(configs, [{}, {}], subject("abc", case=case)))
    assert scored.score is None and scored.passed is None
    assert scored.error == "scorer numeric: expected value 'abc' is not a number"
    assert scored.scores[1].value is None and scored.scores[1].error == "expected value 'abc' is not a number"
