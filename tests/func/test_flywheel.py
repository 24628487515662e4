"""The loop end to end: records -> cases propose -> review -> cases accept -> eval runs them as added;
cost project and the PR report show the monthly projection; budget check exits 1 past a budget."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from promptops.formats import parse_yaml
from support import litellm_callbacks
from support.evalproject import FAST_CONFIG, order_id_answer, write_project
from support.golden import check_golden
from support.openai_server import FakeOpenAI
from support.traces import import_records, record

CONFIG = (
    FAST_CONFIG
    + """\
traffic: {order-id: {qps: 3}}
budgets:
  checkout-assistant: {monthly_usd: 20, prompts: [order-id], alerts: [0.5, 0.8, 1.0]}
  search: {monthly_usd: 1000, prompts: [search], alerts: [0.5, 0.8]}
"""
)
EMAIL_MESSAGE = "Hi, I'm jane.doe@example.com, where is ORD-20001? Call +1 415 555 0100"
KEY = "sk-proj-abcdefghijklmnopqrstuvwx"


def records() -> list[dict]:
    return [
        record("r1", variables={"message": EMAIL_MESSAGE}, score=0.0, minutes_ago=10),
        # the same message with another e-mail address: a near duplicate of r1
        record(
            "r2", variables={"message": EMAIL_MESSAGE.replace("jane.doe", "jane.d")}, score=0.2, minutes_ago=9
        ),
        record(
            "r3", variables={"message": "Where is my order  ORD-10001?"}, score=0.0, minutes_ago=8
        ),  # golden c001
        record(
            "r4",
            variables=None,
            messages=[{"role": "user", "content": "Message: ORD-20004?"}],
            score=0.1,
            minutes_ago=7,
        ),
        record("r5", variables={"msg": "where is ORD-20005"}, score=0.1, minutes_ago=6),
        record(
            "r6",
            variables={"message": f"My key {KEY} broke; order ORD-20006, mail jane.doe@example.com"},
            feedback=0.0,
            minutes_ago=5,
        ),
        record(
            "r7",
            variables={"message": "Order ORD-20007 please"},
            score=1.0,
            output="ORD-20007",
            minutes_ago=4,
        ),
        record("r8", variables={"message": ""}, score=0.0, minutes_ago=3.5),
        record("j1", variables=None, purpose="judge", cost=0.0001, minutes_ago=3),
    ]


@pytest.fixture
def loop(project_dir: Path, openai_server: FakeOpenAI, cli) -> Path:
    openai_server.answers = order_id_answer
    write_project(project_dir, count=3, config=CONFIG)
    assert cli("eval").code == 0
    assert cli("baseline", "update", "order-id", "--from", ".promptops/runs/latest.json").code == 0
    import_records(cli, project_dir, records())
    return project_dir


def test_records_become_reviewed_cases_that_the_next_gate_runs_as_added(cli, loop: Path) -> None:
    proposed = cli("cases", "propose", "order-id", "--worst", "6", "--by", "judge_ok", "--feedback", "down")
    assert proposed.code == 0, proposed.err
    assert proposed.err.splitlines() == [
        "refused record r8 (trace trace-r8): variable 'message' of order-id: '' should be non-empty",
        "refused record r4 (trace trace-r4): the record holds no variables (only rendered messages); "
        "log calls with the SDK so it keeps them",
        "refused record r5 (trace trace-r5): variables msg are not inputs of order-id@1.0.0",
        "skipped record r3: repeats case c001",
        "skipped record r2: repeats case prod-82f3e9c695",
        "wrote .promptops/proposed/order-id.yaml: 2 proposed, 3 refused, 2 duplicates; "
        "placeholders for 1 EMAIL, 1 PHONE",
        "next: fill in `expected`, set `reviewed: true`, run "
        "`promptops cases accept .promptops/proposed/order-id.yaml`",
    ]
    path = loop / ".promptops/proposed/order-id.yaml"
    text = path.read_text(encoding="utf-8")
    assert "jane.doe" not in text and KEY not in text and "415" not in text
    data = parse_yaml(text, "p").data
    first, second = data["cases"]
    assert first["vars"] == {"message": "Hi, I'm [EMAIL_1], where is ORD-20001? Call [PHONE_1]"}
    # the same address gets the same placeholder in every case; the store redacted the key on import
    assert second["vars"] == {"message": "My key [REDACTED] broke; order ORD-20006, mail [EMAIL_1]"}
    assert [c["expected"] for c in data["cases"]] == [None, None]  # never the production output
    assert [c["reviewed"] for c in data["cases"]] == [False, False]
    assert first["observed_output"] == "NONE"
    assert first["provenance"] == {
        "trace_id": "trace-r1",
        "record_id": "r1",
        "version": "1.0.0",
        "environment": "production",
        "date": first["provenance"]["date"],
        "scores": {"judge_ok": 0.0},
    }
    assert second["provenance"]["feedback"] == "down"

    # accepting before review adds nothing and says why, for each case
    reviewed_lines = [n for n, t in enumerate(text.splitlines(), start=1) if t.startswith("  reviewed:")]
    expected_lines = [n for n, t in enumerate(text.splitlines(), start=1) if t.startswith("  expected:")]
    refused = cli("cases", "accept", str(path))
    assert refused.code == 1
    assert refused.err.splitlines()[0] == (
        f".promptops/proposed/order-id.yaml:{reviewed_lines[0]}: prod-82f3e9c695: not reviewed (set `reviewed: true` once "
        "`expected` is right)"
    )

    # the review: the first case gets its right answer; the second is marked reviewed without one
    text = text.replace(
        "  reviewed: false\n  vars:\n    message: Hi,", "  reviewed: true\n  vars:\n    message: Hi,"
    )
    text = text.replace("  expected: null\n", "  expected: ORD-20001\n", 1)
    text = text.replace("reviewed: false", "reviewed: true")
    path.write_text(text, encoding="utf-8")
    accepted = cli("cases", "accept", str(path))
    assert accepted.code == 1  # one case is still refused and stays in the file
    assert accepted.err.splitlines() == [
        f".promptops/proposed/order-id.yaml:{expected_lines[1]}: prod-25f1c790f1: reviewed but has neither `expected` nor "
        "`assert`; write the right answer (never the production output) or the assertions it must pass",
        "added 1 cases to evals/data/order-id.jsonl: prod-82f3e9c695; the next eval runs them as added "
        "cases (not gated until `promptops baseline update`)",
    ]
    line = json.loads((loop / "evals/data/order-id.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert line == {
        "id": "prod-82f3e9c695",
        "vars": {"message": "Hi, I'm [EMAIL_1], where is ORD-20001? Call [PHONE_1]"},
        "expected": "ORD-20001",
        "tags": ["production"],
        "description": f"from production trace trace-r1 (1.0.0, judge_ok 0, {first['provenance']['date']})",
    }
    assert [c["id"] for c in parse_yaml(path.read_text(encoding="utf-8"), "p").data["cases"]] == [
        "prod-25f1c790f1"
    ]

    # the second case gets assertions instead of an answer: whatever the right reply is, it is not NONE
    text = path.read_text(encoding="utf-8").replace(
        "  assert: []\n", "  assert: [{type: not_contains, value: NONE}]\n"
    )
    path.write_text(text, encoding="utf-8")
    second_accept = cli("cases", "accept", str(path))
    assert second_accept.code == 0, second_accept.err
    assert not path.exists()  # every case is in the dataset now
    line = json.loads((loop / "evals/data/order-id.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert line["expected"] is None and line["assert"] == [{"type": "not_contains", "value": "NONE"}]

    # the next gate run scores the accepted case as added and the report lists it with the projection
    gated = cli("eval", "--report-md", "report.md")
    assert gated.code == 0, gated.err
    report = (loop / "report.md").read_text(encoding="utf-8")
    assert (
        "Added (not gated) (2): `prod-25f1c790f1`, `prod-82f3e9c695`" in report
    )  # by id, as the results file holds them
    latest = json.loads((loop / ".promptops/runs/latest.json").read_text(encoding="utf-8"))
    by_id = {c["id"]: c for c in latest["suites"]["order-id"]["cases"]}
    # the suite's `equals {{ expected }}` does not apply to the case without an answer; its assertion does
    scores = [s["name"] for s in by_id["prod-25f1c790f1"]["attempts"][0]["scores"]]
    assert scores == ["regex", "assert.not_contains"] and by_id["prod-25f1c790f1"]["passed"] is True
    assert [s["name"] for s in by_id["prod-82f3e9c695"]["attempts"][0]["scores"]] == ["equals", "regex"]
    # on the paired cases: the added case is no cost of a change
    assert "**Projected cost** at 3 qps (`traffic:`): $24.49 → $24.49 a month (**+$0.00 a month**)" in report


def test_the_pr_report_shows_what_a_prompt_change_costs_a_month(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    openai_server.answers = order_id_answer
    write_project(project_dir, count=3, config=CONFIG.replace("qps: 3}", "qps: 40}"))
    assert cli("eval").code == 0
    assert cli("baseline", "update", "order-id", "--from", ".promptops/runs/latest.json").code == 0
    prompt = project_dir / "prompts/order-id.yaml"
    longer = "Extract the order ID. " + "Orders look like ORD- and five digits. " * 20
    prompt.write_text(
        prompt.read_text(encoding="utf-8").replace("Extract the order ID. ", longer), encoding="utf-8"
    )
    result = cli("eval", "--report-md", "report.md")
    assert result.code == 1  # the gate's own max_cost_increase says no
    report = (project_dir / "report.md").read_text(encoding="utf-8")
    (line,) = [t for t in report.splitlines() if t.startswith("**Projected cost**")]
    assert line == "**Projected cost** at 40 qps (`traffic:`): $327 → $2,504 a month (**+$2,177 a month**)"
    combined = cli("report", "--results", ".promptops/runs/latest.json")  # the same line from results files
    assert line in combined.out.splitlines()


def test_cost_project_from_results_and_traces(cli, loop: Path) -> None:
    from_results = cli("cost", "project", "order-id", "--qps", "3")
    assert from_results.code == 0, from_results.err
    assert from_results.out.splitlines() == [
        "order-id at 3 qps (from .promptops/runs/latest.json), 30-day month, 95% intervals",
        "  prod    $24.49 [$24.49, $24.49] a month from 3 calls",
        "          per call: mean $0.00000315 [$0.00000315, $0.00000315], p95 $0.00000315 [$0.00000315, $0.00000315]",
        "  judge, shadow: none recorded (eval results hold no production calls of them)",
        "  total   $24.49 a month",
    ]
    from_traces = cli("cost", "project", "--traces", "--format", "json")
    assert from_traces.code == 0, from_traces.err
    (projection,) = json.loads(from_traces.out)["projections"]
    assert projection["qps"] == 3 and projection["source"] == "traces"  # the rate from `traffic:`
    prod, judge = projection["lines"]
    assert (prod["purpose"], prod["calls"], judge["purpose"], judge["calls"]) == ("prod", 8, "judge", 1)
    assert prod["monthly_usd"]["value"] == pytest.approx(0.0004 * 3 * 2_592_000)
    assert judge["monthly_usd"]["value"] == pytest.approx(0.0001 * 3 * 2_592_000 / 8)


def test_unknown_prices_are_unknown_never_zero(cli, loop: Path) -> None:
    import_records(
        cli, loop, [record("u1", variables={"message": "x ORD-1"}, cost=None)], "traces-0002.jsonl"
    )
    result = cli("cost", "project", "order-id", "--traces")
    assert result.code == 0
    assert (
        "  prod    unknown a month (1 of 9 calls have no known price; set `prices:` in promptops.yaml)"
        in (result.out.splitlines())
    )
    assert "  total   unknown a month" in result.out.splitlines()


def test_budget_check_exits_1_past_a_budget(cli, loop: Path) -> None:
    projected = cli("budget", "check")
    assert projected.code == 1
    assert projected.out.splitlines() == [
        "exceeded checkout-assistant: $24.49 of $20.00 projected a month (122%); over budget",
        "unknown  search: unknown of $1,000 (no `traffic:` for search)",
    ]
    assert projected.err.splitlines() == [
        "warning: budget search: spend unknown (no `traffic:` for search)",
        "over budget: checkout-assistant",
    ]
    actual = cli("budget", "check", "--traces", "--format", "json")
    data = json.loads(actual.out)
    checkout, search = data["budgets"]
    # the judge's calls on the prompt count against the feature's budget too
    assert checkout["spent_usd"] == pytest.approx(8 * 0.0004 + 0.0001) and checkout["state"] == "ok"
    assert search["spent_usd"] == 0 and data["exceeded"] == []
    assert actual.code == 0
    # a month-to-date spend past 50% warns, past 100% exits 1
    import_records(cli, loop, [record("big", variables=None, cost=12.0)], "traces-0003.jsonl")
    warned = cli("budget", "check", "--traces")
    assert warned.code == 0
    assert re.match(
        r"warning  checkout-assistant: \$12\.00 of \$20\.00 month to date \(60%\), forecast .*; "
        r"past the 50% alert$",
        warned.out.splitlines()[0],
    )
    assert warned.err.splitlines() == ["warning: budget checkout-assistant: 60% of 20 USD"]
    import_records(cli, loop, [record("bigger", variables=None, cost=9.0)], "traces-0004.jsonl")
    over = cli("budget", "check", "--traces", "--format", "markdown")
    assert over.code == 1
    assert over.out.splitlines()[:2] == ["<!-- promptops-budget -->", "## ❌ promptops: over budget"]
    assert "| checkout-assistant | order-id | $21.00 | $20.00 | 105% |" in over.out  # $21.0033


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["cases", "propose", "order-id"],
            "choose records with --worst N --by SCORE, --feedback down or --failed (or several)",
        ),
        (
            ["cases", "propose", "order-id", "--worst", "3"],
            "--worst needs --by SCORE (the score to rank records by)",
        ),
        (["cases", "propose", "order-id", "--feedback", "up"], "--feedback 'up': expected down"),
        (
            ["cases", "propose", "order-id", "--by", "judge_ok", "--since", "7x"],
            "--since '7x': expected a duration such as 30m, 24h, 7d or 2w",
        ),
        (["cost", "project", "--qps", "0"], "--qps must be above 0, got 0"),
        (["cost", "project", "nope", "--qps", "1"], "no calls of prompt 'nope' in the results files"),
        (["cost", "project", "--results", "x.json", "--traces"], "give --results or --traces, not both"),
        (["budget", "check", "--format", "html"], "--format 'html': expected text, markdown or json"),
    ],
)
def test_bad_input_exits_2_without_a_traceback(cli, loop: Path, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.err.splitlines()[0] == f"error: {message}"
    assert "Traceback" not in result.err


def test_a_prompt_without_traffic_needs_qps(cli, project_dir: Path, openai_server: FakeOpenAI) -> None:
    openai_server.answers = order_id_answer
    write_project(project_dir, count=2)
    assert cli("eval").code == 0
    result = cli("cost", "project")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: no rate for prompt 'order-id'",
        "hint: pass --qps, or set `traffic: {order-id: {qps: N}}` in promptops.yaml",
    ]


def test_the_loop_from_real_calls_logged_by_the_sdk(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    """SDK + TraceLogger on real litellm calls -> traces import -> feedback import -> propose -> accept -> eval."""
    import contextlib
    import os
    import time

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    from promptops import load_prompt
    from promptops.observe.traces.logger import TraceLogger

    write_project(project_dir, count=2, config=CONFIG)
    openai_server.answers = lambda messages: (
        "NONE" if "ORD-40002" in str(messages[-1]) else order_id_answer(messages)
    )
    file = project_dir / "app-traces.jsonl"
    prompt = load_prompt("order-id", root=project_dir)
    messages = [
        "Where is ORD-40001?",
        "Mail me at sam@example.org about ORD-40002 please",
        "ORD-40003 status?",
    ]
    with litellm_callbacks.installed(TraceLogger(file)):
        for message in messages:
            with contextlib.suppress(litellm.APIError):
                litellm.completion(**prompt.completion_kwargs(message=message), num_retries=0)
        for _ in range(100):  # litellm runs the callbacks of a sync call on a worker thread
            if file.exists() and len(file.read_text(encoding="utf-8").splitlines()) == len(messages):
                break
            time.sleep(0.05)
    lines = [json.loads(t) for t in file.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3
    assert cli("traces", "import", str(file)).code == 0
    bad = next(r for r in lines if "ORD-40002" in json.dumps(r["variables"]))
    project_dir.gen(
        {"feedback.jsonl": json.dumps({"response_id": bad["response_id"], "thumb": "down"}) + "\n"}
    )
    assert cli("feedback", "import", str(project_dir / "feedback.jsonl")).code == 0

    proposed = cli("cases", "propose", "order-id", "--feedback", "down", "--out", "proposed.yaml")
    assert proposed.code == 0, proposed.err
    data = parse_yaml((project_dir / "proposed.yaml").read_text(encoding="utf-8"), "p").data
    (case,) = data["cases"]
    assert case["vars"] == {"message": "Mail me at [EMAIL_1] about ORD-40002 please"}
    assert case["observed_output"] == "NONE" and case["expected"] is None
    assert case["provenance"]["record_id"] == bad["id"] and case["provenance"]["feedback"] == "down"
    text = (project_dir / "proposed.yaml").read_text(encoding="utf-8")
    text = text.replace("reviewed: false", "reviewed: true").replace("expected: null", "expected: ORD-40002")
    project_dir.gen({"proposed.yaml": text})
    assert cli("baseline", "update", "order-id").code == 0  # the golden set before the new case
    assert cli("cases", "accept", "proposed.yaml").code == 0
    ran = cli("eval", "order-id", "--report-md", "report.md")
    assert ran.code == 0, ran.err  # the new case fails (the model still says NONE) but is added, not gated
    run = json.loads((project_dir / ".promptops/runs/latest.json").read_text(encoding="utf-8"))["suites"][
        "order-id"
    ]
    added = next(c for c in run["cases"] if c["id"] == case["id"])
    assert added["passed"] is False and added["attempts"][0]["output"] == "NONE"
    assert f"Added (not gated) (1): `{case['id']}`" in (project_dir / "report.md").read_text(encoding="utf-8")


def test_results_with_a_judge_say_its_cost_is_unknown(cli, project_dir: Path) -> None:
    from dataclasses import replace

    from promptops.evals.results import write_results
    from support.runs import run

    write_project(project_dir, count=2, config=CONFIG)
    result = run({"c001": 1.0, "c002": 0.5})
    judged = tuple(
        replace(
            c,
            attempts=tuple(
                replace(a, scores=tuple(replace(v, type="llm_judge") for v in a.scores)) for a in c.attempts
            ),
        )
        for c in result.cases
    )
    write_results(project_dir / "judged.json", [replace(result, cases=judged)])
    out = cli("cost", "project", "--results", "judged.json").out.splitlines()
    assert out[3] == (
        "  judge   unknown a month (results do not record judge costs; 2 calls; see `cost project --traces`)"
    )
    assert out[4:6] == [
        "  shadow: none recorded (eval results hold no production calls of them)",
        "  total   unknown a month",
    ]


def test_budget_markdown_and_projection_json_match_their_golden_files(cli, loop: Path) -> None:
    budget = cli("budget", "check", "--format", "markdown")
    assert budget.code == 1
    check_golden("spend/budget.md", budget.out)
    projection = cli("cost", "project", "--format", "json")
    assert projection.code == 0
    check_golden("spend/projection.json", projection.out)
