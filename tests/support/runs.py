"""Builders for RunResults in pure gate and report tests (the shape the runner produces)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from promptops.evals.records import Attempt, CaseResult, Provenance, RunResult, ScoreValue, Summary

PASS_AT = 0.75


@dataclass(frozen=True)
class Spec:
    """One case: a score per repeat (None = the repeat errored)."""

    scores: Sequence[float | None]
    critical: bool = False
    cost: float | None = 0.0001
    latency: float = 100.0
    output: str = "ORD-12345"
    hash: str = ""
    line: int | None = None
    tokens: tuple[int, int] = (40, 4)
    error: str = "provider error: 500 Internal Server Error"


def attempt(repeat: int, score: float | None, spec: Spec) -> Attempt:
    if score is None:
        return Attempt(repeat=repeat, output=None, scores=(), score=None, passed=None, error=spec.error)
    passed = score >= PASS_AT
    value = ScoreValue(
        name="similarity", type="similarity", value=score, passed=passed, weight=1.0, required=True
    )
    return Attempt(
        repeat=repeat,
        output=spec.output,
        scores=(value,),
        score=score,
        passed=passed,
        input_tokens=spec.tokens[0],
        output_tokens=spec.tokens[1],
        cost_usd=spec.cost,
        latency_ms=spec.latency,
    )


def case(case_id: str, spec: Spec, line: int) -> CaseResult:
    attempts = tuple(attempt(i, s, spec) for i, s in enumerate(spec.scores))
    done = [a for a in attempts if a.score is not None]
    if not done:
        return CaseResult(
            id=case_id,
            attempts=attempts,
            critical=spec.critical,
            line=spec.line or line,
            hash=spec.hash or f"h-{case_id}",
            error=spec.error,
        )
    score = sum(a.score or 0.0 for a in done) / len(done)
    pass_rate = sum(1 for a in done if a.passed) / len(done)
    passed = pass_rate == 1.0 if spec.critical else pass_rate >= 0.5
    return CaseResult(
        id=case_id,
        attempts=attempts,
        critical=spec.critical,
        line=spec.line or line,
        hash=spec.hash or f"h-{case_id}",
        score=score,
        pass_rate=pass_rate,
        passed=passed,
    )


def run(
    specs: Mapping[str, Spec | float],
    *,
    suite: str = "order-id",
    scorers_hash: str = "sha256:scorers1",
    version: str = "1.0.0",
    model: str = "openai/gpt-4o-mini-2024-07-18",
    repeats: int = 1,
    git_sha: str | None = "a" * 40,
) -> RunResult:
    """Return a RunResult; a bare float is a one-repeat case with that score."""
    cases = []
    for line, (case_id, value) in enumerate(sorted(specs.items()), start=1):
        spec = value if isinstance(value, Spec) else Spec(scores=[value])
        cases.append(case(case_id, spec, line))
    done = [c for c in cases if c.error is None]
    attempts = [a for c in cases for a in c.attempts]
    costs = [a.cost_usd for a in attempts if a.error is None]
    latencies = sorted(a.latency_ms for a in attempts if a.latency_ms is not None)
    summary = Summary(
        cases=len(cases),
        evaluated=len(done),
        errors=len(cases) - len(done),
        pass_rate=sum(1 for c in done if c.passed) / len(done) if done else None,
        mean_score=sum(c.score or 0.0 for c in done) / len(done) if done else None,
        input_tokens=sum(a.input_tokens or 0 for a in attempts),
        output_tokens=sum(a.output_tokens or 0 for a in attempts),
        cost_usd=None if None in costs else sum(c or 0.0 for c in costs),
        latency_p50_ms=latencies[len(latencies) // 2] if latencies else None,
        latency_p95_ms=latencies[int(len(latencies) * 0.95)] if latencies else None,
    )
    provenance = Provenance(
        prompt=suite,
        prompt_version=version,
        content_hash=f"sha256:{version}",
        model=model,
        dataset_hash="sha256:data1",
        scorers_hash=scorers_hash,
        repeats=repeats,
        git_sha=git_sha,
        promptops_version="0.1.0",
    )
    return RunResult(suite=suite, provenance=provenance, cases=tuple(cases), summary=summary)
