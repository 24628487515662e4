"""Frozen dataclasses for everything that crosses a file boundary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
Verdict = Literal["PASS", "FAIL", "INCONCLUSIVE"]


# --- project -----------------------------------------------------------------


@dataclass(frozen=True)
class RunDefaults:
    concurrency: int = 8
    timeout_s: float = 60.0
    retries: int = 4
    repeats: int = 1
    backoff_s: float = 0.5  # first retry waits about this long; doubles per retry, with jitter
    backoff_max_s: float = 30.0  # cap of one wait, Retry-After included


@dataclass(frozen=True)
class GatePolicy:
    max_score_drop: float = 0.02
    max_pass_rate_drop: float = 0.05
    max_new_failures: int = 0
    min_score: float = 0.0
    max_cost_increase: float | None = 0.25
    max_latency_p95_increase: float | None = None
    max_error_rate: float = 0.0
    decision: Literal["threshold", "statistical"] = "threshold"
    confidence: float = 0.95
    on_inconclusive: Literal["fail", "pass"] = "fail"


@dataclass(frozen=True)
class Price:
    """USD per one million tokens."""

    input: float
    output: float


@dataclass(frozen=True)
class ProjectConfig:
    version: int = 1
    prompts_dir: str = "prompts"
    evals_dir: str = "evals"
    baselines_dir: str = "evals/baselines"
    environments_file: str = "environments.yaml"
    tag_format: str = "prompts/{name}/v{version}"
    defaults: RunDefaults = field(default_factory=RunDefaults)
    gate: GatePolicy = field(default_factory=GatePolicy)
    gate_overrides: Mapping[str, Any] = field(default_factory=dict)
    prices: Mapping[str, Price] = field(default_factory=dict)


# --- prompts -----------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    role: str
    content: str
    line: int | None = None  # line of `content` in the source file, for template errors


@dataclass(frozen=True)
class PromptSpec:
    name: str
    version: str
    model: str
    messages: tuple[Message, ...]
    description: str | None = None
    owner: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    fallbacks: tuple[str, ...] = ()
    inputs: Mapping[str, Any] | None = None
    output: Mapping[str, Any] = field(default_factory=lambda: {"format": "text"})
    examples: tuple[Mapping[str, Any], ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""  # file the spec was read from (path or `ref:path`)
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def content(self) -> dict[str, Any]:
        """Return the file content as plain data (what the content hash covers)."""
        data: dict[str, Any] = {"name": self.name, "version": self.version, "model": self.model}
        if self.description is not None:
            data["description"] = self.description
        if self.owner is not None:
            data["owner"] = self.owner
        if self.params:
            data["params"] = dict(self.params)
        if self.fallbacks:
            data["fallbacks"] = list(self.fallbacks)
        if self.inputs is not None:
            data["inputs"] = self.inputs
        data["output"] = dict(self.output)
        data["messages"] = [{"role": m.role, "content": m.content} for m in self.messages]
        if self.examples:
            data["examples"] = [dict(e) for e in self.examples]
        if self.tags:
            data["tags"] = list(self.tags)
        return data


@dataclass(frozen=True)
class Finding:
    """One lint finding with a stable rule code."""

    code: str
    slug: str
    severity: Severity
    file: str
    line: int | None
    message: str
    hint: str | None = None


# --- git ---------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """One commit that touched a file, with the file's path (relative to the project root) there."""

    sha: str
    path: str
    date: str  # author date, ISO 8601
    author: str
    subject: str


@dataclass(frozen=True)
class TagRef:
    """A git tag and the commit it points at."""

    name: str
    sha: str
    annotated: bool = True
    message: str = ""


# --- evals -------------------------------------------------------------------


@dataclass(frozen=True)
class ScorerConfig:
    type: str
    weight: float = 1.0
    required: bool = True
    threshold: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""  # label in results, e.g. `equals` or `regex#2`
    line: int | None = field(default=None, compare=False)  # line in the suite file


@dataclass(frozen=True)
class Case:
    id: str
    vars: Mapping[str, Any]
    expected: Any = None
    tags: tuple[str, ...] = ()
    critical: bool = False
    line: int | None = None  # line in the dataset file
    hash: str = ""  # content hash of the case, to tell a changed case from an unchanged one


@dataclass(frozen=True)
class Suite:
    name: str
    prompt: str
    path: str  # suite file, relative to the project root
    cases: tuple[Case, ...]
    scorers: tuple[ScorerConfig, ...]
    dataset: str | None = None  # dataset file, relative to the project root
    repeats: int | None = None
    gate: Mapping[str, Any] = field(default_factory=dict)
    dataset_hash: str = ""
    scorers_hash: str = ""
    # the prompt as read when the suite was loaded, so a run does not read and parse it again
    spec: PromptSpec | None = field(default=None, compare=False, repr=False)


# --- results -----------------------------------------------------------------


@dataclass(frozen=True)
class ScoreValue:
    name: str
    type: str
    value: float | None  # None when the scorer errored
    passed: bool
    weight: float
    required: bool
    error: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Attempt:
    """One repeat of one case."""

    repeat: int
    output: str | None
    scores: tuple[ScoreValue, ...]
    score: float | None  # weighted mean of scorer values; None when not evaluated
    passed: bool | None  # every required scorer passed; None when not evaluated
    error: str | None = None  # set when the case could not be evaluated
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None  # None when the price is unknown, never a silent 0
    latency_ms: float | None = None
    cached: bool = False


@dataclass(frozen=True)
class CaseResult:
    id: str
    attempts: tuple[Attempt, ...]
    critical: bool = False
    tags: tuple[str, ...] = ()
    line: int | None = None
    hash: str = ""
    score: float | None = None  # mean over evaluated attempts
    pass_rate: float | None = None  # share of evaluated attempts that passed
    passed: bool | None = None  # pass_rate >= 0.5 (critical cases: every attempt)
    error: str | None = None  # set when no attempt could be evaluated


@dataclass(frozen=True)
class Summary:
    cases: int
    evaluated: int
    errors: int
    pass_rate: float | None
    mean_score: float | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None


@dataclass(frozen=True)
class Provenance:
    prompt: str
    prompt_version: str
    content_hash: str
    model: str
    dataset_hash: str
    scorers_hash: str
    repeats: int
    git_sha: str | None
    promptops_version: str


@dataclass(frozen=True)
class CacheStats:
    hits: int = 0
    misses: int = 0


@dataclass(frozen=True)
class RunResult:
    """The results of one suite run (one results file)."""

    suite: str
    provenance: Provenance
    cases: tuple[CaseResult, ...]
    summary: Summary
    cache: CacheStats = field(default_factory=CacheStats)
    shard: str | None = None  # `i/n` when only a shard ran
    schema_version: int = 1


@dataclass(frozen=True)
class BaselineCase:
    id: str
    hash: str
    score: float | None
    pass_rate: float | None
    passed: bool | None
    critical: bool = False
    error: bool = False
    cost_usd: float | None = None
    latency_ms: float | None = None
    tokens: int | None = None


@dataclass(frozen=True)
class Baseline:
    suite: str
    provenance: Provenance
    cases: tuple[BaselineCase, ...]
    summary: Summary
    schema_version: int = 1


# --- environments ------------------------------------------------------------


@dataclass(frozen=True)
class Canary:
    """A share of an environment's traffic (0 < percent < 100) served by another version."""

    version: str
    percent: float


@dataclass(frozen=True)
class Assignment:
    """The version one environment serves for one prompt, with an optional canary."""

    version: str
    canary: Canary | None = None
    line: int | None = field(default=None, compare=False)  # line in environments.yaml


# --- gate --------------------------------------------------------------------

Check = Literal["pass", "fail", "inconclusive"]
CaseStatus = Literal["pass", "fail", "new_failure", "fixed", "critical_failure", "added", "error"]
Unit = Literal["score", "rate", "count", "tokens", "usd", "ms"]


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class GateCheck:
    """One rule of the policy and how the run fared against it."""

    name: str
    status: Check
    detail: str


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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

    @property
    def exit_code(self) -> int:
        if self.unavailable:
            return 3
        return 0 if self.passed else 1
