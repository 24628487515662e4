"""The verdict over several suites, and the gate result as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from promptops.formats import dump_json
from promptops.gate.result import GateResult, Verdict
from promptops.report.escape import scrub_result

JSON_SCHEMA_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class Overall:
    verdict: Verdict
    exit_code: int
    reason: str
    unavailable: bool


def overall(results: Sequence[GateResult]) -> Overall:
    """Return the combined verdict: FAIL if any suite failed, then INCONCLUSIVE, else PASS."""
    if not results:
        return Overall(verdict="PASS", exit_code=0, reason="no suites were evaluated", unavailable=False)
    unavailable = any(r.unavailable for r in results)
    exit_code = 3 if unavailable else max(r.exit_code for r in results)
    verdicts = [r.verdict for r in results]
    verdict: Verdict = (
        "FAIL" if "FAIL" in verdicts else "INCONCLUSIVE" if "INCONCLUSIVE" in verdicts else "PASS"
    )
    if len(results) == 1:
        return Overall(
            verdict=verdict, exit_code=exit_code, reason=results[0].reason, unavailable=unavailable
        )
    named = [r.suite for r in results if r.verdict == verdict]
    if verdict == "PASS":
        reason = f"all {len(results)} suites passed"
    else:
        word = "failed" if verdict == "FAIL" else "were inconclusive"
        reason = f"{len(named)} of {len(results)} suites {word}: {', '.join(named)}"
    return Overall(verdict=verdict, exit_code=exit_code, reason=reason, unavailable=unavailable)


def gate_data(results: Sequence[GateResult], secrets: Sequence[str] = ()) -> dict[str, Any]:
    """Return the gate results as plain JSON-able data, secrets redacted."""
    results = [scrub_result(r, secrets) for r in results]
    summary = overall(results)
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "verdict": summary.verdict,
        "exit_code": summary.exit_code,
        "reason": summary.reason,
        "suites": [_suite_data(r) for r in results],
    }


def _suite_data(result: GateResult) -> dict[str, Any]:
    data = {**asdict(result), "exit_code": result.exit_code}
    if data["workflow"] is None:  # one-call suites keep the keys they always had
        del data["workflow"]
    for case in data["cases"]:
        if case["workflow_detail"] is None:
            del case["workflow_detail"]
    return data


def gate_json(results: Sequence[GateResult], secrets: Sequence[str] = ()) -> str:
    """Return the gate results as deterministic JSON (sorted keys, fixed precision, trailing newline)."""
    return dump_json(gate_data(results, secrets))
