"""Aggregates: a case's result from its attempts, a suite's summary from its cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from promptops.evals.cases import Case
from promptops.evals.records import Attempt, CaseResult, Summary
from promptops.stats import percentile


def case_result(case: Case, attempts: Sequence[Attempt]) -> CaseResult:
    """Return the case's result: means over the attempts that could be evaluated."""
    evaluated = [a for a in attempts if a.error is None and a.score is not None]
    base = CaseResult(
        id=case.id,
        attempts=tuple(attempts),
        critical=case.critical,
        tags=case.tags,
        line=case.line,
        hash=case.hash,
    )
    if not evaluated:
        first = next((a.error for a in attempts if a.error), "no attempt finished")
        return replace(base, error=first)
    score = sum(a.score or 0.0 for a in evaluated) / len(evaluated)
    pass_rate = sum(1 for a in evaluated if a.passed) / len(evaluated)
    passed = pass_rate == 1.0 if case.critical else pass_rate >= 0.5
    return replace(base, score=score, pass_rate=pass_rate, passed=passed)


def summarize(cases: Sequence[CaseResult]) -> Summary:
    """Return the suite's aggregates; cost is None when any answered call has an unknown price."""
    evaluated = [c for c in cases if c.error is None]
    attempts = [a for c in cases for a in c.attempts]
    answered = [a for a in attempts if a.output is not None]
    costs = [a.cost_usd for a in answered]
    latencies = [a.latency_ms for a in answered if a.latency_ms is not None]
    return Summary(
        cases=len(cases),
        evaluated=len(evaluated),
        errors=len(cases) - len(evaluated),
        pass_rate=sum(1 for c in evaluated if c.passed) / len(evaluated) if evaluated else None,
        mean_score=sum(c.score or 0.0 for c in evaluated) / len(evaluated) if evaluated else None,
        input_tokens=sum(a.input_tokens or 0 for a in attempts),
        output_tokens=sum(a.output_tokens or 0 for a in attempts),
        cost_usd=None if not costs or None in costs else sum(c for c in costs if c is not None),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        **streaming(answered),
    )


def streaming(attempts: Sequence[Attempt]) -> dict[str, float | None]:
    """Return a latency profile's summary figures: first chunk p50, TTFT p50/p95, output tokens/s."""
    first = [a.first_chunk_ms for a in attempts if a.first_chunk_ms is not None]
    ttft = [a.ttft_ms for a in attempts if a.ttft_ms is not None]
    rates = [
        a.output_tokens / ((a.latency_ms - a.ttft_ms) / 1000)
        for a in attempts
        if a.output_tokens and a.ttft_ms is not None and a.latency_ms is not None and a.latency_ms > a.ttft_ms
    ]
    return {
        "first_chunk_p50_ms": percentile(first, 50),
        "ttft_p50_ms": percentile(ttft, 50),
        "ttft_p95_ms": percentile(ttft, 95),
        "output_tokens_per_s": percentile(rates, 50),
    }
