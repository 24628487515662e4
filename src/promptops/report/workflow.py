"""The workflow part of a suite's report: pass^k, stability counts, and why workflow runs failed."""

from __future__ import annotations

from promptops.gate.result import GateResult
from promptops.report.escape import block, code

SHOWN = 10  # cases whose failing run is explained in the comment


def workflow_summary(result: GateResult) -> str | None:
    """Return the one-line workflow summary (pass^k with its interval, stability counts), plain text."""
    flow = result.workflow
    if flow is None:
        return None
    pass_k = "—" if flow.pass_k is None else f"{flow.pass_k:.1%}"
    if flow.pass_k_low is not None and flow.pass_k_high is not None:
        pass_k += f" [{flow.pass_k_low:.1%}, {flow.pass_k_high:.1%}]"
    return (
        f"({flow.repeats} per case, paired by case): pass^{flow.repeats} {pass_k}; "
        f"{flow.stable_pass} stable pass, {flow.flaky} flaky, {flow.stable_fail} stable fail"
    )


def workflow_lines(result: GateResult) -> list[str]:
    """Return the markdown lines for a workflow suite (none for one-call suites)."""
    summary = workflow_summary(result)
    if summary is None:
        return []
    out = ["", f"**Workflow runs** {summary}"]
    explained = [c for c in result.cases if c.workflow_detail and c.status != "pass"]
    order = {case_id: i for i, case_id in enumerate(result.regressed)}
    explained.sort(key=lambda c: (order.get(c.id, len(order)), c.id))
    if not explained:
        return out
    out += ["", f"<details><summary>Why workflow runs failed ({len(explained)})</summary>", ""]
    for case in explained[:SHOWN]:
        assert case.workflow_detail is not None
        out += [
            f"{code(case.id)} ({case.repeats_passed}/{case.repeats} runs passed)",
            "",
            *block(case.workflow_detail),
            "",
        ]
    if len(explained) > SHOWN:
        out += [f"_… {len(explained) - SHOWN} more in the results file._", ""]
    out += ["</details>"]
    return out
