"""Per-case values and metric rows with paired bootstrap intervals (seeded, so reproducible)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from promptops.evals.records import Baseline, Side, base_side
from promptops.gate.result import Metric, Unit
from promptops.stats import Statistic, mean, paired_bootstrap, percentile


def _quantile(values: Sequence[float], q: float) -> float:
    # the same interpolation as the summary table, so the gate and `eval` agree on p50/p95
    value = percentile(values, q)
    if value is None:
        raise ValueError("a quantile of no values")
    return value


def _p50(values: Sequence[float]) -> float:
    return _quantile(values, 50)


def _p95(values: Sequence[float]) -> float:
    return _quantile(values, 95)


def _count(values: Sequence[float]) -> float:
    return float(sum(values))


LINEAR: tuple[Statistic, ...] = (mean, _count)


def _paired_metric(
    name: str,
    label: str,
    unit: Unit,
    *,
    values: Sequence[tuple[float | None, float | None]],
    statistic: Statistic,
    seed: int,
    confidence: float,
) -> Metric:
    pairs = [(b, h) for b, h in values if b is not None and h is not None]
    if not pairs:
        return Metric(
            name=name, label=label, unit=unit, base=None, head=None, delta=None, low=None, high=None
        )
    base = statistic([b for b, _ in pairs])
    head = statistic([h for _, h in pairs])
    low, high = paired_bootstrap(pairs, statistic, seed, confidence, linear=statistic in LINEAR)
    return Metric(
        name=name, label=label, unit=unit, base=base, head=head, delta=head - base, low=low, high=high
    )


def metrics(
    pairs: Sequence[tuple[Side, Side]],
    *,
    heads: Mapping[str, Side],
    baseline: Baseline | None,
    seed: int,
    confidence: float,
) -> list[Metric]:
    def row(
        name: str, label: str, unit: Unit, get: Callable[[Side], float | None], stat: Statistic
    ) -> Metric:
        values = [(get(b), get(h)) for b, h in pairs]
        if baseline is None:  # nothing to pair with: the head's own value, for the report
            own = [v for v in (get(h) for h in heads.values()) if v is not None]
            return Metric(
                name=name,
                label=label,
                unit=unit,
                base=None,
                head=stat(own) if own else None,
                delta=None,
                low=None,
                high=None,
            )
        return _paired_metric(
            name, label, unit, values=values, statistic=stat, seed=seed, confidence=confidence
        )

    def flag(value: bool | None) -> float | None:
        return None if value is None else float(value)

    rows = [
        row("score", "mean score", "score", lambda s: s.score, mean),
        row("pass_rate", "pass rate", "rate", lambda s: s.pass_rate, mean),
        row(
            "failing",
            "failing cases",
            "count",
            lambda s: flag(None if s.passed is None else not s.passed),
            _count,
        ),
    ]
    new = [float(b.passed is True and h.passed is False) for b, h in pairs]
    fixed = [float(b.passed is False and h.passed is True) for b, h in pairs]
    rows.append(_count_metric("new_failures", "new failures", new, seed, confidence))
    rows.append(_count_metric("fixed", "fixed cases", fixed, seed, confidence))
    rows.append(
        row(
            "critical",
            "critical cases failing",
            "count",
            lambda s: flag(None if s.passed is None or not s.critical else not s.passed),
            _count,
        )
    )
    errors = row("error_rate", "error rate", "rate", lambda s: float(s.error), mean)
    head_errors = sum(1 for s in heads.values() if s.error) / len(heads) if heads else None
    base_errors = (
        sum(1 for c in baseline.cases if base_side(c).error) / len(baseline.cases)
        if baseline is not None and baseline.cases
        else None
    )
    delta = None if head_errors is None or base_errors is None else head_errors - base_errors
    rows.append(replace(errors, base=base_errors, head=head_errors, delta=delta))
    rows.append(row("tokens", "tokens per case", "tokens", lambda s: s.tokens, mean))
    rows.append(row("cost", "cost per case", "usd", lambda s: s.cost, mean))
    rows.append(row("latency_p50", "latency p50", "ms", lambda s: s.latency, _p50))
    rows.append(row("latency_p95", "latency p95", "ms", lambda s: s.latency, _p95))
    streamed = any(s.ttft is not None for s in heads.values()) or (
        baseline is not None and any(c.ttft_ms is not None for c in baseline.cases)
    )
    if streamed:  # a latency profile: rows that other runs have no values for stay out of their reports
        rows.append(row("ttft_p50", "time to first token p50", "ms", lambda s: s.ttft, _p50))
        rows.append(row("ttft_p95", "time to first token p95", "ms", lambda s: s.ttft, _p95))
    return rows


def _count_metric(name: str, label: str, flags: Sequence[float], seed: int, confidence: float) -> Metric:
    if not flags:
        return Metric(
            name=name, label=label, unit="count", base=None, head=None, delta=None, low=None, high=None
        )
    low, high = paired_bootstrap([(0.0, f) for f in flags], _count, seed, confidence, linear=True)
    return Metric(
        name=name, label=label, unit="count", base=None, head=sum(flags), delta=None, low=low, high=high
    )


def by_name(metrics: Sequence[Metric], name: str) -> Metric:
    return next(m for m in metrics if m.name == name)
