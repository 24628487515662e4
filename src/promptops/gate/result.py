"""What the gate decides: metrics, checks, case comparisons and the verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from promptops.config import GatePolicy
from promptops.evals.records import Provenance, Summary
from promptops.gate.evidence import CaseDrops, Power, RateChange
from promptops.gate.slices import Slice, worst

Verdict = Literal["PASS", "FAIL", "INCONCLUSIVE"]


Check = Literal["pass", "fail", "inconclusive"]


# new_failure: evidence that the case's pass probability dropped; flaky: mixed results over its repeats;
# flipped: passed in the baseline and fails now, with no evidence beyond what noise explains
CaseStatus = Literal[
    "pass", "fail", "new_failure", "flaky", "flipped", "fixed", "critical_failure", "added", "error"
]


Unit = Literal["score", "rate", "count", "tokens", "usd", "ms"]


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One row of the comparison: base, head, their difference and its bootstrap interval."""

    name: str  # stable key: score, pass_rate, failing, new_failures, ...
    label: str
    unit: Unit
    base: float | None
    head: float | None
    delta: float | None
    low: float | None  # interval of `delta` (of `head` for rows without a base)
    high: float | None
    check: Check | None = None  # set for the metrics the policy gates


@dataclass(frozen=True, kw_only=True)
class GateCheck:
    """One rule of the policy and how the run fared against it."""

    name: str
    status: Check
    detail: str


@dataclass(frozen=True, kw_only=True)
class CaseComparison:
    id: str
    status: CaseStatus
    base_score: float | None
    head_score: float | None
    base_passed: bool | None
    head_passed: bool | None
    critical: bool = False
    line: int | None = None  # line in the dataset file
    output: str | None = None  # head output of the worst repeat
    error: str | None = None
    repeats: int = 0
    repeats_passed: int = 0
    # workflow suites: why the worst case run failed (a limit, a denied tool, the trajectory's aligned diff)
    workflow_detail: str | None = None


Stability = Literal["stable_pass", "flaky", "stable_fail"]


@dataclass(frozen=True, kw_only=True)
class CaseStability:
    id: str
    runs: int
    passed: int
    stability: Stability

    @property
    def pass_k(self) -> float:
        return 1.0 if self.runs and self.passed == self.runs else 0.0


@dataclass(frozen=True, kw_only=True)
class WorkflowSummary:
    """The head's workflow view: pass^k and how many cases are stable pass, flaky, stable fail."""

    repeats: int
    pass_k: float | None
    pass_k_low: float | None
    pass_k_high: float | None
    stable_pass: int
    flaky: int
    stable_fail: int
    cases: tuple[CaseStability, ...]

    def of(self, case_id: str) -> CaseStability | None:
        return next((c for c in self.cases if c.id == case_id), None)


@dataclass(frozen=True, kw_only=True)
class GateResult:
    """The comparison of one suite run with its baseline, and the decision."""

    suite: str
    verdict: Verdict
    passed: bool  # INCONCLUSIVE resolved by on_inconclusive
    reason: str
    policy: GatePolicy
    head: Provenance
    base: Provenance | None  # None when there is no baseline
    metrics: tuple[Metric, ...]
    checks: tuple[GateCheck, ...]
    cases: tuple[CaseComparison, ...]
    new_failures: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    critical_failures: tuple[str, ...] = ()
    regressed: tuple[str, ...] = ()  # paired cases whose score dropped, largest drop first
    unavailable: bool = False  # more cases could not be evaluated than max_error_rate allows
    baseline_ref: str | None = None  # where the baseline was read: a git ref, or None for the working tree
    rewritten_baseline: Summary | None = None  # the working tree's baseline when it differs from the ref's
    flaky: tuple[str, ...] = ()  # mixed results over the baseline's or the head's repeats, not regressions
    flipped: tuple[str, ...] = ()  # passed in the baseline, fail now, within noise
    pass_rate_change: RateChange | None = None  # the pass-rate test: interval, one-sided p-value, method
    case_drops: CaseDrops | None = None  # the per-case exact tests and the test of their number
    power: Power | None = None  # minimum detectable drop at this N and repeats, and the sample needed
    slices: tuple[Slice, ...] = ()  # per case tag
    needed_cases: int | None = None  # for INCONCLUSIVE: cases (at these repeats) that would decide it
    needed_repeats: int | None = None  # ... or repeats of these cases, on base and head
    workflow: WorkflowSummary | None = None  # workflow suites: pass^k and each case's stability

    @property
    def worst_slice(self) -> Slice | None:
        return worst(self.slices)

    @property
    def exit_code(self) -> int:
        if self.unavailable:
            return 3
        return 0 if self.passed else 1
