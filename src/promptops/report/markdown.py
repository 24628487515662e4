"""The PR-comment markdown: marker, verdict, metrics, regressed cases, collapsed details, provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from promptops.cost import MonthlyCost
from promptops.evals.records import Provenance
from promptops.gate.result import CaseComparison, GateResult, Metric
from promptops.report.escape import MARKER, code, escape, excerpt, ids, scrub_result
from promptops.report.evidence import evidence_lines, slice_lines
from promptops.report.overall import overall
from promptops.report.workflow import workflow_lines
from promptops.secrets import redact
from promptops.wording import change, money, signed_month, usd_month

MAX_CHARS = 60_000
ICON = {"PASS": "✅", "FAIL": "❌", "INCONCLUSIVE": "⚠️"}
CHECK_ICON = {"pass": "✅", "fail": "❌", "inconclusive": "⚠️"}
STATUS = {
    "pass": "pass",
    "fail": "fail (also in base)",
    "new_failure": "**new failure**",
    "flaky": "flaky",
    "flipped": "passed in base, fails now (within noise)",
    "fixed": "fixed",
    "critical_failure": "**critical failure**",
    "added": "added (not gated)",
    "error": "error",
}


@dataclass(frozen=True, kw_only=True)
class _Detail:
    """How much of the long parts to show; the renderer shrinks it until the report fits."""

    all_cases: int | None
    errors: int | None
    regressed: int | None
    diff: bool

    @property
    def truncated(self) -> bool:
        return self != _Detail(all_cases=None, errors=None, regressed=None, diff=True)


LEVELS = (
    _Detail(all_cases=None, errors=None, regressed=None, diff=True),
    _Detail(all_cases=200, errors=50, regressed=50, diff=True),
    _Detail(all_cases=0, errors=20, regressed=20, diff=True),
    _Detail(all_cases=0, errors=20, regressed=20, diff=False),
    _Detail(all_cases=0, errors=5, regressed=10, diff=False),
    _Detail(all_cases=0, errors=0, regressed=5, diff=False),
)


def markdown(
    results: Sequence[GateResult],
    *,
    prompt_diff: str | None = None,
    secrets: Sequence[str] = (),
    marker: bool = True,
    limit: int = MAX_CHARS,
    costs: Mapping[str, MonthlyCost] | None = None,
) -> str:
    """Return the report markdown: at most `limit` characters, secrets redacted, file text escaped.

    `costs` holds the monthly spend of the suites whose prompt has `traffic:` configured.
    """
    safe = [scrub_result(r, secrets) for r in results]
    diff = None if prompt_diff is None else _neutralize(redact(prompt_diff, secrets))
    text = ""
    for level in LEVELS:
        text = _render(safe, diff, level, marker, costs or {})
        if len(text) <= limit:
            return text
    note = "\n\n> ⚠️ Report cut here to stay under the comment size limit.\n"
    cut = text[: limit - len(note)]
    return cut[: cut.rfind("\n")] + note


def _neutralize(text: str) -> str:
    """Keep text from elsewhere from carrying the marker, so no one can forge a report comment."""
    return text.replace("<!-- promptops-report", "&lt;!-- promptops-report")


def _render(
    results: Sequence[GateResult],
    diff: str | None,
    level: _Detail,
    marker: bool,
    costs: Mapping[str, MonthlyCost],
) -> str:
    summary = overall(results)
    out = [MARKER] if marker else []
    title = "could not evaluate" if summary.unavailable else summary.verdict
    out += [f"## {ICON[summary.verdict]} promptops: {title}", "", escape(summary.reason, line_start=True)]
    if len(results) > 1:
        out += [""] + [f"- {ICON[r.verdict]} {code(r.suite)}: {escape(r.reason)}" for r in results]
    for result in results:
        out += ["", *_suite(result, level, len(results) > 1, costs.get(result.suite))]
    if diff is not None and diff.strip():
        out += ["", "<details><summary>Prompt diff</summary>", ""]
        out += [diff.rstrip("\n") if level.diff else "_Prompt diff left out for size; run `promptops diff`._"]
        out += ["", "</details>"]
    if level.truncated:
        out += [
            "",
            "> ⚠️ This report was shortened to stay under 60,000 characters; the results file and the "
            "JUnit report hold every case.",
        ]
    out += ["", "---", *_footer(results)]
    return "\n".join(out) + "\n"


def _suite(result: GateResult, level: _Detail, heading: bool, cost: MonthlyCost | None) -> list[str]:
    out = [f"### {ICON[result.verdict]} {code(result.suite)}: {result.verdict}", ""] if heading else []
    if heading:
        out += [escape(result.reason, line_start=True), ""]
    if result.base is None:
        out += [f"No baseline{_at(result.baseline_ref)}: {len(result.cases)} cases scored, not gated.", ""]
    if result.rewritten_baseline is not None:
        new = result.rewritten_baseline
        score = "n/a" if new.mean_score is None else f"{new.mean_score:.3f}"
        rate = "n/a" if new.pass_rate is None else f"{new.pass_rate:.1%}"
        out += [
            f"> ⚠️ This change rewrites the baseline of {code(result.suite)} (new file: mean score {score}, "
            f"pass rate {rate}); the gate compared with the baseline{_at(result.baseline_ref)}.",
            "",
        ]
    out += _metrics(result.metrics)
    out += evidence_lines(result)
    out += workflow_lines(result)
    if cost is not None:
        out += ["", _monthly(cost)]
    out += _slices(result)
    by_id = {c.id: c for c in result.cases}
    regressed = [by_id[case_id] for case_id in result.regressed]
    if regressed:
        out += ["", f"**Regressed cases ({len(regressed)})**", ""]
        out += _table(
            ["case", "base → head", "status", "output (head)"],
            [[code(c.id), _scores(c), STATUS[c.status], excerpt(c.output)] for c in regressed],
            level.regressed,
        )
    lists = [
        ("Fixed", result.fixed),
        ("Flaky, mixed results over repeats (not regressions)", result.flaky),
        ("Passed in the baseline, fail now, within noise", result.flipped),
        ("Added (not gated)", result.added),
    ]
    out += [
        f"\n{name} ({len(values)}): {ids(values[:50])}{' …' * (len(values) > 50)}"
        for name, values in lists
        if values
    ]
    errors = [c for c in result.cases if c.status == "error"]
    if errors:
        out += ["", f"<details><summary>Errors ({len(errors)})</summary>", ""]
        out += _table(["case", "error"], [[code(c.id), excerpt(c.error, 300)] for c in errors], level.errors)
        out += ["", "</details>"]
    if level.all_cases != 0:
        out += ["", f"<details><summary>All cases ({len(result.cases)})</summary>", ""]
        rows = [
            [
                code(c.id),
                STATUS[c.status],
                _score(c.base_score),
                _score(c.head_score),
                _repeats(c),
                excerpt(c.output, 80),
            ]
            for c in result.cases
        ]
        out += _table(
            ["case", "status", "base", "head", "repeats passed", "output (head)"], rows, level.all_cases
        )
        out += ["", "</details>"]
    return out


def _monthly(cost: MonthlyCost) -> str:
    rate = f"{cost.qps:g} qps"
    head = f"{usd_month(cost.head)} a month"
    if cost.base is None and cost.head is not None:
        return f"**Projected cost** at {rate} (`traffic:`): {head} (no base to compare)"
    change = f" (**{signed_month(cost.delta)} a month**)" if cost.delta is not None else ""
    return f"**Projected cost** at {rate} (`traffic:`): {usd_month(cost.base)} → {head}{change}"


def _slices(result: GateResult) -> list[str]:
    rows = slice_lines(result)
    if not rows:
        return []
    worst = result.worst_slice
    name = f"; worst: {code(worst.tag)}" if worst is not None else ""
    header = ["tag", "cases", "base", "head", "delta", f"{result.policy.confidence:.0%} interval"]
    return ["", f"**Slices by tag ({len(rows)}){name}**", "", *_table(header, rows, None)]


def _at(ref: str | None) -> str:
    return f" at {code(ref)}" if ref else ""


def _table(header: list[str], rows: list[list[str]], limit: int | None) -> list[str]:
    shown = rows if limit is None else rows[:limit]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in shown]
    if len(shown) < len(rows):
        out += ["", f"_… {len(rows) - len(shown)} more not shown._"]
    return out


def _metrics(metrics: Sequence[Metric]) -> list[str]:
    out = ["| metric | base | head | delta | 95% interval | |", "|---|---:|---:|---:|:---:|:---:|"]
    for m in metrics:
        if m.base is None and m.head is None:
            continue
        interval = "—" if m.low is None or m.high is None else f"[{_delta(m, m.low)}, {_delta(m, m.high)}]"
        delta = "—" if m.delta is None else _delta(m, m.delta) + _relative(m)
        check = CHECK_ICON[m.check] if m.check else ""
        out.append(
            f"| {m.label} | {_value(m, m.base)} | {_value(m, m.head)} | {delta} | {interval} | {check} |"
        )
    return out


def _value(metric: Metric, value: float | None) -> str:
    if value is None:
        return "—"
    return {
        "score": f"{value:.3f}",
        "rate": f"{value:.1%}",
        "count": f"{value:.0f}",
        "tokens": f"{value:.1f}",
        "usd": money(value),
        "ms": f"{value:.0f} ms",
    }[metric.unit]


def _delta(metric: Metric, value: float) -> str:
    return {
        "score": f"{value:+.3f}",
        "rate": f"{value * 100:+.1f} pp",
        "count": f"{value:+.0f}" if metric.base is not None else f"{value:.0f}",
        "tokens": f"{value:+.1f}",
        "usd": money(value, signed=True),
        "ms": f"{value:+.0f} ms",
    }[metric.unit]


def _relative(metric: Metric) -> str:
    if metric.unit not in ("usd", "ms", "tokens") or not metric.base or metric.delta is None:
        return ""
    return f" ({change(metric.delta / metric.base)})"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _scores(case: CaseComparison) -> str:
    return f"{_score(case.base_score)} → {_score(case.head_score)}"


def _repeats(case: CaseComparison) -> str:
    return f"{case.repeats_passed}/{case.repeats}"


def _footer(results: Sequence[GateResult]) -> list[str]:
    out = []
    for r in results:
        head = _side(r.head, None)
        base = "no baseline" if r.base is None else _side(r.base, r.baseline_ref or "working tree")
        policy = f"{r.policy.decision}, {r.policy.confidence:.0%} intervals"
        version = escape(r.head.promptops_version)
        out.append(f"<sub>{code(r.suite)}: base {base} · head {head} · {policy} · promptops {version}</sub>")
    return "<br>\n".join(out).split("\n") if out else []


def _side(p: Provenance, where: str | None) -> str:
    sha = f" {code(p.git_sha[:7])}" if p.git_sha else ""
    at = f" at {code(where)}" if where else ""
    repeats = f", {p.repeats} repeats" if p.repeats != 1 else ""
    return f"{code(p.prompt + '@' + p.prompt_version)} {code(p.model)}{repeats}{at}{sha}"
