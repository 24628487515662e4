"""The compare report as text (stdout) and as the self-contained HTML page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from promptops.compare.comparison import Comparison, Standing
from promptops.evals import baselines
from promptops.gate.metrics import by_name
from promptops.gate.result import Metric
from promptops.report import html
from promptops.report.escape import clean
from promptops.report.overall import overall
from promptops.report.table import columns
from promptops.secrets import redact
from promptops.wording import money

MAX_DISAGREEMENTS = 20


def text(comparison: Comparison, secrets: Sequence[str] = ()) -> str:
    """Return the comparison as aligned text: candidates, pass rate per tag, disagreements, verdicts."""
    c = comparison
    first = c.standings[0]
    lines = [
        f"compare {c.suite}: {first.run.summary.cases} cases, {len(c.standings)} candidates; "
        f"each gated against candidate 1 ({first.label})",
        "",
    ]
    rows: list[Sequence[str]] = [_header(c)]
    rows += [_row(i + 1, s, c.qps) for i, s in enumerate(c.standings)]
    lines.append(columns(rows))
    tags = sorted({t for s in c.standings for t in s.tags})
    if tags:
        lines.append("pass rate per tag")
        table: list[Sequence[str]] = [["tag", *(f"#{i + 1}" for i in range(len(c.standings)))]]
        table += [[t, *(_percent(s.tags.get(t)) for s in c.standings)] for t in tags]
        lines.append(columns(table))
    lines.append(
        f"disagreements: {len(c.disagreements)} cases pass for some candidates and fail for others; "
        f"outputs differ in {c.different_outputs}"
    )
    for d in c.disagreements[:MAX_DISAGREEMENTS]:
        lines.append(f"  {d.case}" + (f" [{', '.join(d.tags)}]" if d.tags else ""))
        for i, (passed, output) in enumerate(zip(d.passed, d.outputs, strict=True)):
            mark = {True: "pass", False: "FAIL", None: "error"}[passed]
            lines.append(f"    #{i + 1} {mark:5}  {_excerpt(output, secrets)}")
    if len(c.disagreements) > MAX_DISAGREEMENTS:
        lines.append(f"  … {len(c.disagreements) - MAX_DISAGREEMENTS} more in the HTML report")
    lines.append("")
    for i, s in enumerate(c.standings[1:], start=2):
        if s.gate is not None:
            lines.append(f"gate #{i} vs #1: {s.gate.verdict}: {redact(s.gate.reason, secrets)}")
    return "\n".join(lines).rstrip() + "\n"


def _header(c: Comparison) -> list[str]:
    monthly = f"monthly @{c.qps:g} qps" if c.qps is not None else "monthly"
    return [
        "#",
        "candidate",
        "score",
        "Δ score [95%]",
        "pass",
        "Δ pass",
        "worst tag",
        "cost/call",
        monthly,
        "p50",
        "p95",
        "p99",
        "verdict",
    ]


def _row(n: int, s: Standing, qps: float | None) -> list[str]:
    summary = s.run.summary
    score = _metric(s, "score")
    rate = _metric(s, "pass_rate")
    worst = f"{s.worst_tag[0]} {s.worst_tag[1]:.0%}" if s.worst_tag else "-"
    return [
        str(n),
        s.label,
        "-" if summary.mean_score is None else f"{summary.mean_score:.3f}",
        _interval(score, "{:+.3f}") if s.gate else "reference",
        _percent(summary.pass_rate),
        _interval(rate, "{:+.1%}", with_bounds=False) if s.gate else "",
        worst,
        "unknown" if s.cost_per_call is None else money(s.cost_per_call),
        "-" if s.monthly_cost is None else money(s.monthly_cost) if qps is not None else "-",
        _ms(s.latency_p50_ms),
        _ms(s.latency_p95_ms),
        _ms(s.latency_p99_ms),
        s.gate.verdict if s.gate else "",
    ]


def _metric(s: Standing, name: str) -> Metric | None:
    return by_name(s.gate.metrics, name) if s.gate is not None else None


def _interval(m: Metric | None, fmt: str, with_bounds: bool = True) -> str:
    if m is None or m.delta is None:
        return "-"
    if not with_bounds or m.low is None or m.high is None:
        return fmt.format(m.delta)
    return f"{fmt.format(m.delta)} [{fmt.format(m.low)}, {fmt.format(m.high)}]"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}ms"


def _excerpt(output: str | None, secrets: Sequence[str], limit: int = 100) -> str:
    if output is None:
        return "(no output)"
    flat = " ⏎ ".join(clean(redact(output, secrets)).splitlines()).strip() or "(empty)"
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def html_report(comparison: Comparison, secrets: Sequence[str] = ()) -> str:
    """Return the HTML page: the candidates table, then candidate k against candidate 1 for each k."""
    c = comparison
    first = c.standings[0]
    reference = baselines.from_run(first.run) if c.unavailable is None else None
    panels = [
        replace(
            html.panel(
                s.gate,
                s.run,
                reference,
                first.run,
                base_label=f"#1 {first.label}",
                head_label=f"#{i} {s.label}",
            ),
            title=f"#{i} {s.label} against #1 {first.label}",
        )
        for i, s in enumerate(c.standings[1:], start=2)
        if s.gate is not None and reference is not None
    ]
    header = tuple(_header(c))
    rows = tuple(tuple(_row(i + 1, s, c.qps)) for i, s in enumerate(c.standings))
    gated = overall(c.gated) if c.gated else None
    verdict = "could not evaluate" if c.unavailable else (gated.verdict if gated else "no verdict")
    reason = (
        c.unavailable.message
        if c.unavailable
        else f"{len(c.disagreements)} cases where the candidates disagree; "
        f"outputs differ in {c.different_outputs}"
    )
    return html.html(
        f"promptops compare {c.suite}",
        verdict,
        reason,
        panels,
        summary=html.Table(header=header, rows=rows),
        secrets=secrets,
    )
