"""JUnit XML: one testsuite per eval suite, one testcase per case (CI test tabs read it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from promptops.gate.result import CaseComparison, CaseStability, GateResult, Metric
from promptops.report.escape import clean, scrub_result

FAILING = ("fail", "new_failure", "flipped", "critical_failure")
WORKFLOW_ROWS = ("pass_k", "steps", "tool_error_rate", "timeout_rate", "cost_per_case")
MESSAGES = {
    "fail": "fails (failed in the baseline too)",
    "new_failure": "new failure: passed in the baseline",
    "flipped": "fails now, passed in the baseline (within noise)",
    "flaky": "fails now; flaky: mixed results over repeats",
    "critical_failure": "critical case failed in at least one repeat",
    "added": "fails (case added since the baseline, not gated)",
}


def junit(results: Sequence[GateResult], *, secrets: Sequence[str] = ()) -> str:
    """Return the JUnit XML document (UTF-8 text with a declaration and a trailing newline)."""
    root = ET.Element("testsuites", name="promptops")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for result in (scrub_result(r, secrets) for r in results):
        cases = result.cases
        runs = {c.id: c for c in result.workflow.cases} if result.workflow is not None else {}
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if _failing(c, runs.get(c.id))),
            "errors": sum(1 for c in cases if c.status == "error"),
        }
        attrib = {"name": result.suite, **{k: str(v) for k, v in counts.items()}}
        suite = ET.SubElement(root, "testsuite", attrib)
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("verdict", result.verdict),
            ("reason", result.reason),
            ("prompt", f"{result.head.prompt}@{result.head.prompt_version}"),
            ("model", result.head.model),
        ):
            ET.SubElement(props, "property", name=name, value=clean(value))
        if result.workflow is not None:  # the workflow rows, each with its interval
            for metric in result.metrics:
                if metric.name in WORKFLOW_ROWS and metric.head is not None:
                    ET.SubElement(props, "property", name=f"workflow.{metric.name}", value=_metric(metric))
        for case in cases:
            _testcase(suite, result.suite, case, runs.get(case.id))
        for key in totals:
            totals[key] += counts[key]
    for key, total in totals.items():
        root.set(key, str(total))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _testcase(suite: ET.Element, name: str, case: CaseComparison, runs: CaseStability | None) -> None:
    element = ET.SubElement(suite, "testcase", name=clean(case.id), classname=f"promptops.{name}")
    if case.line is not None:
        element.set("line", str(case.line))
    scores = f"score {_score(case.base_score)} -> {_score(case.head_score)}"
    detail = f"{scores}, passed {case.repeats_passed}/{case.repeats} repeats"
    if runs is not None and case.workflow_detail:
        detail += f"\n{case.workflow_detail}"
    if runs is not None and case.status != "error":
        _workflow_case(element, case, runs, detail)
    elif _failing(case, None):
        failure = ET.SubElement(element, "failure", message=MESSAGES[case.status], type=case.status)
        failure.text = clean(f"{detail}\noutput: {case.output if case.output is not None else '(none)'}")
    elif case.status == "error":
        error = ET.SubElement(element, "error", message=clean(case.error or "could not be evaluated"))
        error.text = clean(case.error or "")
    else:
        ET.SubElement(element, "system-out").text = clean(f"{case.status}: {detail}")


def _workflow_case(element: ET.Element, case: CaseComparison, runs: CaseStability, detail: str) -> None:
    """A workflow case (§9.3): stable fail fails; flaky passes, marked `flaky`, unless it is critical."""
    if _failing(case, runs):
        kind = "critical_failure" if case.critical and runs.stability != "stable_fail" else "stable_fail"
        message = (
            f"critical case passed {runs.passed}/{runs.runs} runs"
            if kind == "critical_failure"
            else f"stable fail: 0/{runs.runs} runs passed"
        )
        failure = ET.SubElement(element, "failure", message=message, type=kind)
        failure.text = clean(f"{detail}\noutput: {case.output if case.output is not None else '(none)'}")
        return
    if runs.stability == "flaky":
        props = ET.SubElement(element, "properties")
        ET.SubElement(props, "property", name="flaky", value="true")
        ET.SubElement(element, "system-out").text = clean(
            f"flaky: {runs.passed}/{runs.runs} runs passed; {detail}"
        )
        return
    ET.SubElement(element, "system-out").text = clean(f"{case.status}: {detail}")


def _failing(case: CaseComparison, runs: CaseStability | None) -> bool:
    if runs is not None:
        if case.status == "error":
            return False
        return runs.stability == "stable_fail" or (case.critical and runs.passed < runs.runs)
    return case.status in FAILING or (case.status in ("added", "flaky") and case.head_passed is False)


def _metric(metric: Metric) -> str:
    def text(value: float) -> str:
        return f"{value:.6g}"

    out = text(metric.head) if metric.head is not None else "none"
    if metric.base is not None and metric.head is not None:
        out = f"{text(metric.base)} -> {out}"
    if metric.low is not None and metric.high is not None:
        what = "change" if metric.delta is not None else "value"
        out += f" (95% interval of the {what} [{text(metric.low)}, {text(metric.high)}])"
    return out


def _score(value: float | None) -> str:
    return "none" if value is None else f"{value:.3f}"
