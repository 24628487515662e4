"""GitHub workflow commands (`::error file=...,line=...::`) at the dataset lines of regressed cases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from promptops.gate.result import CaseComparison, GateResult
from promptops.report.escape import clean
from promptops.secrets import redact

MAX_ANNOTATIONS = 10


def annotate(
    results: Sequence[GateResult],
    files: Mapping[str, str],
    *,
    secrets: Sequence[str] = (),
    limit: int = MAX_ANNOTATIONS,
) -> list[str]:
    """Return at most `limit` `::error` lines: critical failures, then new failures, then other drops."""
    out: list[str] = []
    for result in results:
        file = files.get(result.suite)
        by_id = {c.id: c for c in result.cases}
        ordered = [*result.critical_failures, *result.new_failures, *result.regressed]
        seen: set[str] = set()
        for case_id in ordered:
            if case_id in seen or len(out) >= limit:
                continue
            seen.add(case_id)
            case = by_id[case_id]
            out.append(_command(result.suite, case, file, secrets))
    return out


def _command(suite: str, case: CaseComparison, file: str | None, secrets: Sequence[str]) -> str:
    props = []
    if file:
        props.append(f"file={workflow_property(file)}")
        if case.line is not None:
            props.append(f"line={case.line}")
    what = {
        "critical_failure": "critical case failed",
        "new_failure": "new failure",
        "flipped": "fails now",
    }.get(case.status, "score dropped")
    props.append(f"title={workflow_property(f'promptops {suite}: {case.id} {what}')}")
    base = "none" if case.base_score is None else f"{case.base_score:.2f}"
    head = "none" if case.head_score is None else f"{case.head_score:.2f}"
    # redact before cutting, so a secret that straddles the cut cannot leak its first part
    output = "" if case.output is None else redact(clean(case.output), secrets)
    output = output if len(output) <= 200 else output[:199] + "…"
    message = redact(f"{case.id}: score {base} -> {head}; output: {output}", secrets)
    return f"::error {','.join(props)}::{workflow_data(message)}"


def workflow_data(text: str) -> str:
    """Return `text` escaped for the message of a GitHub workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """Return `text` escaped for a property (file, title) of a GitHub workflow command."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")
