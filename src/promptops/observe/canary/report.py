"""A canary verdict as text, markdown (the PR evidence) and JSON (pure renderers)."""

from __future__ import annotations

import math
from typing import Any

from promptops.formats import dump_json
from promptops.observe.canary import runs
from promptops.observe.canary.metric import Metric
from promptops.observe.canary.verdict import Analysis
from promptops.observe.canary.window import Window
from promptops.wording import money

MARKER = "<!-- promptops-canary -->"
ICON = {"PROMOTE": "✅", "CONTINUE": "⏳", "ROLLBACK": "❌", "INCONCLUSIVE": "⚠️"}


def _number(value: float | None, metric: Metric) -> str:
    if value is None:
        return "-"
    if not math.isfinite(value):
        return "∞" if value > 0 else "-∞"
    if metric.name.startswith("latency"):
        return f"{value:.0f} ms"
    if metric.name in ("cost_per_call", "cost_per_run"):
        return money(value)
    if metric.name in ("error_rate", "tool_error_rate"):
        return f"{value:.2%}"
    return f"{value:.3f}"


def _bound(value: float, ratio: bool) -> str:
    if not math.isfinite(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.2f}x" if ratio else f"{value * 100:+.2f}"  # rates: percentage points


def _ratio(metric: Metric) -> bool:
    return metric.name.startswith("latency_p") or metric.name in RATIOS


RATIOS = ("cost_per_call", "steps_per_run", "cost_per_run")  # canary/control; the rest are differences


def interval_text(metric: Metric) -> str:
    """Return `est [low, high]` of the comparison: a difference for rates, a ratio for latency and cost."""
    found = metric.interval
    if found is None:
        return "-"
    if metric.name == "latency_sla_p99":
        high = "∞" if not math.isfinite(found.high) else f"{found.high:.0f}"
        return f"p99 {found.estimate:.0f} ms [{found.low:.0f}, {high}]"
    if metric.name == "latency_shift":
        return f"P(slower) {found.estimate:.3f} [{found.low:.3f}, {found.high:.3f}]"
    ratio = _ratio(metric)
    unit = "" if ratio else " pp"
    return f"{_bound(found.estimate, ratio)}{unit} [{_bound(found.low, ratio)}, {_bound(found.high, ratio)}]"


def limit_text(metric: Metric) -> str:
    if metric.limit is None or not metric.gating:
        return "informational"
    if metric.name == "latency_sla_p99":
        return f"p99 ≤ {metric.limit:.0f} ms"
    if _ratio(metric):
        return f"ratio < {metric.limit:.2f}"
    if metric.name.startswith("quality"):
        return f"drop < {metric.limit * 100:.2f} pp"
    return f"increase < {metric.limit * 100:.2f} pp"


def _rows(analysis: Analysis) -> list[list[str]]:
    return [
        [
            m.name,
            _number(m.control, m),
            _number(m.canary, m),
            interval_text(m),
            limit_text(m),
            m.classification
            + (" (open)" if m.gating and not m.non_inferior and m.classification != "worse" else ""),
            "yes" if m.critical else "no",
        ]
        for m in analysis.metrics
    ]


HEADER = ["metric", "control", "canary", "canary vs control", "limit", "result", "critical"]


def _subject(window: Window, analysis: Analysis) -> str:
    challenger = "shadow" if analysis.shadow else "canary"
    version = window.canary_version or "?"
    share = f" at {window.percent:g}%" if window.percent is not None and not analysis.shadow else ""
    return f"{window.prompt} in {window.env}: control {window.control_version}, {challenger} {version}{share}"


def _challenger(analysis: Analysis) -> str:
    return "shadow" if analysis.shadow else "canary"


def unit(analysis: Analysis) -> str:
    """Return what the arms count: `runs` when workflow rules judge the canary per run, else `calls`."""
    return "runs" if runs.rule_count(analysis.policy) and not analysis.shadow else "calls"


def _needed(analysis: Analysis) -> str:
    return (
        "" if analysis.needed is None else f"; about {analysis.needed} more {unit(analysis)} per arm needed"
    )


def alpha_split(analysis: Analysis) -> str:
    """Return how the error budget 1 - confidence was split over the gating metrics."""
    shares = ", ".join(f"{m.name} {m.alpha:.4g}" for m in analysis.metrics if m.gating)
    return f"error budget {1 - analysis.policy.confidence:.4g} over all checks: {shares}; informational: 0"


def text(analysis: Analysis, window: Window) -> str:
    """Return the terminal report: headline, arms, aligned metric rows."""
    lines = [
        f"{analysis.verdict}: {analysis.reason}{_needed(analysis)}",
        _subject(window, analysis),
        f"window: {window.start or '-'} .. {window.end or '-'}; "
        f"{unit(analysis)}: control {analysis.arms['control']}, canary {analysis.arms['canary']}"
        + (f"; unattributed {window.unattributed}" if window.unattributed else ""),
    ]
    rows = [HEADER, *_rows(analysis)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.append(alpha_split(analysis))
    return "\n".join(lines) + "\n"


def markdown(analysis: Analysis, window: Window) -> str:
    """Return the evidence for the pull request that carries the verdict out."""
    policy = analysis.policy
    out = [
        MARKER,
        f"## {ICON[analysis.verdict]} Canary {analysis.verdict}: {window.prompt} in {window.env}",
        "",
        f"**{analysis.reason}**{_needed(analysis)}.",
        "",
        f"{_subject(window, analysis)}. Window {window.start or '-'} to {window.end or '-'} "
        f"({analysis.elapsed_s / 3600:.1f} h since the first {_challenger(analysis)} call); "
        f"{unit(analysis)}: control {analysis.arms['control']}, canary {analysis.arms['canary']}"
        + (f", unattributed {window.unattributed}" if window.unattributed else "")
        + ".",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *("| " + " | ".join(row) + " |" for row in _rows(analysis)),
        "",
        "<details><summary>Method and policy</summary>",
        "",
        *(f"- `{m.name}`: {m.method}" for m in analysis.metrics),
        f"- Confidence {policy.confidence}; {alpha_split(analysis)} (weighted Bonferroni, critical metrics "
        "count double); each metric's harm bound (rollback) and non-inferiority bound (promote) are "
        f"one-sided at its share. Minimum {policy.min_calls_per_arm} calls per arm; max "
        f"duration {policy.max_duration_s / 3600:g} h; on inconclusive: {policy.on_inconclusive}.",
        "- `worse`: surely worse than control and observed at the limit or beyond; `(open)`: not yet shown "
        "within the limit (needed to promote).",
        "",
        "</details>",
    ]
    return "\n".join(out) + "\n"


def data(analysis: Analysis, window: Window) -> dict[str, Any]:
    """Return the JSON object of DESIGN §8.3 (infinite bounds are null)."""
    return {
        "verdict": analysis.verdict,
        "exit_code": analysis.exit_code,
        "reason": analysis.reason,
        "prompt": window.prompt,
        "env": window.env,
        "shadow": analysis.shadow,
        "versions": {"control": window.control_version, "canary": window.canary_version},
        "percent": window.percent,
        "window": {"start": window.start, "end": window.end, "hours": round(analysis.elapsed_s / 3600, 3)},
        "arms": dict(analysis.arms),
        "unattributed": window.unattributed,
        "needed": analysis.needed,
        "metrics": [_metric(m) for m in analysis.metrics],
        "policy": {
            "min_calls_per_arm": analysis.policy.min_calls_per_arm,
            "max_duration_h": analysis.policy.max_duration_s / 3600,
            "confidence": analysis.policy.confidence,
            "on_inconclusive": analysis.policy.on_inconclusive,
        },
    }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _metric(metric: Metric) -> dict[str, Any]:
    found = metric.interval
    return {
        "name": metric.name,
        "method": metric.method,
        "control": _finite(metric.control),
        "canary": _finite(metric.canary),
        "estimate": None if found is None else _finite(found.estimate),
        "interval": None if found is None else [_finite(found.low), _finite(found.high)],
        "limit": metric.limit,
        "classification": metric.classification,
        "non_inferior": metric.non_inferior,
        "critical": metric.critical,
        "gating": metric.gating,
        "samples": list(metric.samples),
        "alpha": round(metric.alpha, 6),
        "needed": metric.needed,  # canary calls at which it would be decided, the effect staying as seen
        "needed_for": metric.needed_for,  # rollback | promote | null
    }


def json_text(analysis: Analysis, window: Window) -> str:
    return dump_json(data(analysis, window))
