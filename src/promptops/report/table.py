"""The eval summary table: one aligned row per suite run."""

from __future__ import annotations

from collections.abc import Sequence

from promptops.evals.records import RunResult

HEADER = (
    "suite",
    "model",
    "cases",
    "pass rate",
    "mean score",
    "errors",
    "tokens",
    "cost",
    "p50",
    "p95",
    "cached",
)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _cost(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.6f}"


def columns(rows: Sequence[Sequence[str]]) -> str:
    """Return `rows` as left-aligned columns two spaces apart, trailing spaces cut."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in rows
    )


def summary_text(runs: Sequence[RunResult]) -> str:
    """Return one aligned row per suite: cases, pass rate, mean score, errors, tokens, cost, latency."""
    rows: list[Sequence[str]] = [HEADER]
    for run in runs:
        s = run.summary
        rows.append(
            [
                run.suite + (f" [{run.shard}]" if run.shard else ""),
                run.provenance.model,
                str(s.cases),
                _percent(s.pass_rate),
                _number(s.mean_score),
                str(s.errors),
                str(s.input_tokens + s.output_tokens),
                _cost(s.cost_usd),
                _ms(s.latency_p50_ms),
                _ms(s.latency_p95_ms),
                f"{run.cache.hits}/{run.cache.hits + run.cache.misses}",
            ]
        )
    return columns(rows) + latency_profile_text(runs)


PROFILE_HEADER = ("latency profile", "model", "first chunk p50", "ttft p50", "ttft p95", "output tok/s")


def latency_profile_text(runs: Sequence[RunResult]) -> str:
    """Return the streamed suites' first chunk, time to first token and output rate; "" when none streamed."""
    streamed = [r for r in runs if streamed_run(r)]
    if not streamed:
        return ""
    rows: list[Sequence[str]] = [PROFILE_HEADER]
    for run in streamed:
        s = run.summary
        rate = "-" if s.output_tokens_per_s is None else f"{s.output_tokens_per_s:.1f}"
        ms = (_ms(s.first_chunk_p50_ms), _ms(s.ttft_p50_ms), _ms(s.ttft_p95_ms))
        rows.append([run.suite, run.provenance.model, *ms, rate])
    return "\n" + columns(rows)


def streamed_run(run: RunResult) -> bool:
    """Return whether `run` was a latency profile (its calls streamed and timed)."""
    return run.summary.first_chunk_p50_ms is not None or run.summary.ttft_p50_ms is not None
