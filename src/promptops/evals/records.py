"""What a run records: attempts, case results, summaries, provenance and baselines (pure types)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from promptops.evals.toolcalls import ToolCall
from promptops.evals.trajectory import Trajectory
from promptops.stats import mean


@dataclass(frozen=True, kw_only=True)
class ScoreValue:
    name: str
    type: str
    value: float | None  # None when the scorer errored
    passed: bool
    weight: float
    required: bool
    error: str | None = None
    detail: str | None = None


@dataclass(frozen=True, kw_only=True)
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
    tool_calls: tuple[ToolCall, ...] = ()  # the calls the model asked for (arguments parsed, or raw + error)
    finish_reason: str | None = None  # stop, length, tool_calls, content_filter; None when not reported
    trajectory: Trajectory | None = None  # a workflow case run; omitted from results files when None
    # streamed calls only (a latency profile): ms from the request to the first chunk, first content token
    first_chunk_ms: float | None = None
    ttft_ms: float | None = None


def shown_output(output: str | None, tool_calls: tuple[ToolCall, ...]) -> str | None:
    """Return an attempt's answer as reports show it: its text, then one `→ name(arguments)` line per
    tool call (so an output that moved from text to a tool call, or back, reads as changed)."""
    if not tool_calls:
        return output
    lines = [output] if output else []
    for call in tool_calls:
        if call.arguments_error is not None:
            lines.append(f"→ {call.name}({call.arguments}) [{call.arguments_error}]")
        else:
            lines.append(f"→ {call.name}({json.dumps(call.arguments, sort_keys=True, ensure_ascii=False)})")
    return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
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
    # a latency profile's figures (None, and absent from the files, for calls that did not stream)
    first_chunk_p50_ms: float | None = None
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    output_tokens_per_s: float | None = None  # median per call, counted from the first content token


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class CacheStats:
    hits: int = 0
    misses: int = 0


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """The results of one suite run (one results file)."""

    suite: str
    provenance: Provenance
    cases: tuple[CaseResult, ...]
    summary: Summary
    cache: CacheStats = field(default_factory=CacheStats)
    shard: str | None = None  # `i/n` when only a shard ran
    schema_version: int = 1


@dataclass(frozen=True, kw_only=True)
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
    # evaluated repeats and how many passed: the baseline's own noise (None in files before they were kept)
    repeats: int | None = None
    repeats_passed: int | None = None
    ttft_ms: float | None = None  # a latency profile's mean time to first token
    steps: float | None = None  # workflow suites: median model calls per case run (omitted otherwise)


@dataclass(frozen=True, kw_only=True)
class Baseline:
    suite: str
    provenance: Provenance
    cases: tuple[BaselineCase, ...]
    summary: Summary
    schema_version: int = 1


@dataclass(frozen=True, kw_only=True)
class Side:
    """Per-case values of one side (base or head) that the metrics are computed from."""

    score: float | None
    pass_rate: float | None
    passed: bool | None
    error: bool
    critical: bool
    tokens: float | None
    cost: float | None
    latency: float | None
    ttft: float | None = None
    steps: float | None = None  # workflow suites: median model calls per case run


def head_side(case: CaseResult) -> Side:
    done = [a for a in case.attempts if a.error is None and a.score is not None]
    tokens = [
        float(a.input_tokens + a.output_tokens)
        for a in done
        if a.input_tokens is not None and a.output_tokens is not None
    ]
    costs = [a.cost_usd for a in done]
    latencies = [a.latency_ms for a in done if a.latency_ms is not None]
    ttfts = [a.ttft_ms for a in done if a.ttft_ms is not None]
    return _side(
        case,
        error=case.error is not None or not done,
        tokens=mean(tokens) if tokens and len(tokens) == len(done) else None,
        cost=mean([c for c in costs if c is not None]) if done and None not in costs else None,
        latency=mean(latencies) if latencies else None,
        ttft=mean(ttfts) if ttfts else None,
        steps=median_steps(case),
    )


def median_steps(case: CaseResult) -> float | None:
    """Return the median number of model calls over a workflow case's runs (None for one-call suites)."""
    counts = sorted(
        a.trajectory.totals.llm_calls for a in case.attempts if a.trajectory is not None and a.error is None
    )
    if not counts:
        return None
    middle = len(counts) // 2
    return float(counts[middle]) if len(counts) % 2 else (counts[middle - 1] + counts[middle]) / 2


def base_side(case: BaselineCase) -> Side:
    return _side(
        case,
        error=case.error or case.score is None,
        tokens=None if case.tokens is None else float(case.tokens),
        cost=case.cost_usd,
        latency=case.latency_ms,
        ttft=case.ttft_ms,
        steps=case.steps,
    )


def _side(
    case: CaseResult | BaselineCase,
    *,
    error: bool,
    tokens: float | None,
    cost: float | None,
    latency: float | None,
    ttft: float | None = None,
    steps: float | None = None,
) -> Side:
    # a case that could not be evaluated has no quality values, only the error
    return Side(
        score=None if error else case.score,
        pass_rate=None if error else case.pass_rate,
        passed=None if error else case.passed,
        error=error,
        critical=case.critical,
        tokens=tokens,
        cost=cost,
        latency=latency,
        ttft=ttft,
        steps=None if error else steps,
    )


@dataclass(frozen=True, kw_only=True)
class RunEntry:
    """One suite run in the index (a compare run has one entry per candidate)."""

    id: str
    time: str  # UTC, ISO 8601
    kind: str  # eval | compare
    suite: str
    prompt: str
    version: str
    content_hash: str
    model: str
    cases: int
    score: float | None
    pass_rate: float | None
    cost_usd: float | None
    verdict: str | None = None  # PASS | FAIL | INCONCLUSIVE | ERROR; None when not gated
