"""Workflow suites in the reports: pass^k and stability, the aligned trajectory diff, JUnit's flaky rule."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace

from promptops.config import GatePolicy
from promptops.evals import baselines
from promptops.evals.records import RunResult, ScoreValue
from promptops.gate import compare
from promptops.gate.result import GateResult
from promptops.report.junit import junit
from promptops.report.markdown import markdown
from promptops.report.overall import gate_json
from support.workflow_runs import Run, workflow_run

OK, BAD = Run(), Run(passed=False)
DIFF = (
    "1 of 2 tool steps aligned\n  expected       actual\n  search_orders  search_orders\n> issue_refund   —"
)


def with_trajectory_reason(run: RunResult, case_id: str) -> RunResult:
    """Give the failing runs of `case_id` a trajectory scorer row with the aligned diff as its reason."""
    cases = []
    for original in run.cases:
        case = original
        if case.id == case_id:
            attempts = tuple(
                a
                if a.passed
                else replace(
                    a,
                    scores=(
                        ScoreValue(
                            name="trajectory",
                            type="trajectory",
                            value=0.5,
                            passed=False,
                            weight=1,
                            required=True,
                            detail=DIFF,
                        ),
                    ),
                )
                for a in case.attempts
            )
            case = replace(case, attempts=attempts)
        cases.append(case)
    return replace(run, cases=tuple(cases))


def result() -> GateResult:
    base = workflow_run({"a": [OK] * 3, "b": [OK] * 3, "c": [OK] * 3, "d": [OK] * 3}, critical=["d"])
    head = workflow_run(
        {"a": [OK] * 3, "b": [OK, BAD, OK], "c": [BAD] * 3, "d": [OK, BAD, OK]}, critical=["d"]
    )
    return compare(
        with_trajectory_reason(head, "c"), baselines.from_run(base), GatePolicy(max_steps_increase=0.2)
    )


def test_markdown_shows_pass_k_stability_and_the_aligned_diff() -> None:
    text = markdown([result()])
    assert "**Workflow runs** (3 per case, paired by case): pass^3 25.0% [" in text
    assert "; 1 stable pass, 2 flaky, 1 stable fail" in text
    assert "| pass^3 | — | 25.0% |" in text
    assert "| model calls per case run | 3 | 3 | +0 | [+0, +0] | ✅ |" in text
    assert "<details><summary>Why workflow runs failed (1)</summary>" in text
    assert "`c` (0/3 runs passed)\n\n```text\nrun 1: trajectory: 1 of 2 tool steps aligned\n" in text
    assert "> issue_refund   —\n```" in text


def test_junit_stable_fail_fails_flaky_passes_marked_critical_flaky_fails() -> None:
    root = ET.fromstring(junit([result()]))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    by = {c.get("name"): c for c in suite.iter("testcase")}
    assert by["a"].find("failure") is None and by["a"].find("properties") is None
    flaky = by["b"]
    assert flaky.find("failure") is None
    prop = flaky.find("properties/property")
    assert prop is not None and (prop.get("name"), prop.get("value")) == ("flaky", "true")
    out = flaky.find("system-out")
    assert out is not None and (out.text or "").startswith("flaky: 2/3 runs passed; ")
    stable = by["c"].find("failure")
    assert stable is not None and (stable.get("type"), stable.get("message")) == (
        "stable_fail",
        "stable fail: 0/3 runs passed",
    )
    assert "trajectory: 1 of 2 tool steps aligned" in (stable.text or "")
    critical = by["d"].find("failure")
    assert critical is not None and critical.get("message") == "critical case passed 2/3 runs"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["workflow.steps"] == "3 -> 3 (95% interval of the change [0, 0])"
    assert (props["workflow.pass_k"] or "").startswith("0.25 (95% interval of the value [")


def test_json_carries_the_workflow_summary_and_one_call_suites_keep_their_keys() -> None:
    data = json.loads(gate_json([result()]))
    flow = data["suites"][0]["workflow"]
    assert (flow["pass_k"], flow["stable_pass"], flow["flaky"], flow["stable_fail"]) == (0.25, 1, 2, 1)
    names = [m["name"] for m in data["suites"][0]["metrics"]]
    assert names[-5:] == ["pass_k", "steps", "tool_error_rate", "timeout_rate", "cost_per_case"]
    from support.runs import run

    plain = json.loads(gate_json([compare(run({"c1": 1.0}), None, GatePolicy())]))
    assert "workflow" not in plain["suites"][0]
    assert "workflow_detail" not in plain["suites"][0]["cases"][0]


def test_html_shows_pass_k_and_the_workflow_rows() -> None:
    from promptops.report.html import html, panel
    from support.workflow_runs import workflow_run as build

    head = build({"a": [OK] * 3, "b": [OK, BAD, OK], "c": [BAD] * 3, "d": [OK, BAD, OK]}, critical=["d"])
    gate_result = compare(head, None, GatePolicy())
    page = html("promptops", gate_result.verdict, gate_result.reason, [panel(gate_result, head, None, None)])
    assert '<p class="workflow">Workflow runs (3 per case, paired by case): pass^3 25.0% [' in page
    assert "1 stable pass, 2 flaky, 1 stable fail</p>" in page
    assert "pass^3" in page and "model calls per case run" in page
