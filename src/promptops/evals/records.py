"""What a run records: attempts, case results, summaries, provenance and baselines (pure types)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
