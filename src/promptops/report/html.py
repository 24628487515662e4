"""The self-contained HTML report: verdict, metrics, inline SVG charts, a filterable case table (pure).

Everything that comes from files or models is either escaped by `html.escape` (the static parts) or
travels as JSON in a `<script type="application/json">` (with `<` escaped) that the page's script
renders with `textContent` only, so an output cannot run script in the page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from html import escape
from typing import Any

from promptops.evals.records import Baseline, CaseResult, RunResult, head_side, shown_output
from promptops.formats import normalize
from promptops.gate.result import GateResult, Metric
from promptops.report import charts
from promptops.report.markdown import _delta, _relative, _value
from promptops.report.page import SCRIPT, STYLE
from promptops.report.tags import tag_pass_rates
from promptops.report.workflow import workflow_summary
from promptops.secrets import redact

MAX_OUTPUT = 4_000  # characters of one output kept in the page


@dataclass(frozen=True, kw_only=True)
class HtmlCase:
    id: str
    tags: tuple[str, ...]
    status: str
    regressed: bool
    base_score: float | None
    head_score: float | None
    base_passed: bool | None
    head_passed: bool | None
    base_output: str | None
    head_output: str | None
    base_cost: float | None
    head_cost: float | None
    base_latency: float | None
    head_latency: float | None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class Panel:
    """One comparison (a suite against its baseline, or candidate k against candidate 1)."""

    title: str
    verdict: str
    reason: str
    base_label: str
    head_label: str
    metrics: tuple[Metric, ...]
    cases: tuple[HtmlCase, ...]
    note: str = ""
    workflow: str = ""  # workflow suites: pass^k and the stability counts


@dataclass(frozen=True, kw_only=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def panel(
    result: GateResult,
    head: RunResult,
    base: Baseline | None,
    base_run: RunResult | None,
    *,
    base_label: str | None = None,
    head_label: str | None = None,
) -> Panel:
    """Return the panel of one gate result; base outputs come from `base_run` when it is known."""
    heads = {c.id: c for c in head.cases}
    bases = {c.id: c for c in base.cases} if base is not None else {}
    base_outputs = {c.id: _output(c) for c in base_run.cases} if base_run is not None else {}
    regressed = set(result.regressed)
    cases = []
    for c in result.cases:
        side = head_side(heads[c.id])
        b = bases.get(c.id)
        cases.append(
            HtmlCase(
                id=c.id,
                tags=heads[c.id].tags,
                status=c.status,
                regressed=c.id in regressed,
                base_score=c.base_score,
                head_score=c.head_score,
                base_passed=c.base_passed,
                head_passed=c.head_passed,
                base_output=base_outputs.get(c.id),
                head_output=c.output,
                base_cost=b.cost_usd if b is not None else None,
                head_cost=side.cost,
                base_latency=b.latency_ms if b is not None else None,
                head_latency=side.latency,
                error=c.error,
            )
        )
    note = "" if base_run is not None or base is None else "base outputs are not stored for this baseline"
    return Panel(
        title=result.suite,
        verdict="could not evaluate" if result.unavailable else result.verdict,
        reason=result.reason,
        base_label=base_label
        or (_side_label(result.base.prompt_version, result.base.model) if result.base else "no baseline"),
        head_label=head_label or _side_label(result.head.prompt_version, result.head.model),
        metrics=result.metrics,
        cases=tuple(cases),
        note=note,
        workflow=workflow_summary(result) or "",
    )


def _side_label(version: str, model: str) -> str:
    return f"v{version} · {model}"


def _output(case: CaseResult) -> str | None:
    done = [a for a in case.attempts if a.error is None and a.score is not None]
    worst = min(done, key=lambda a: (a.score or 0.0, a.repeat)) if done else None
    return shown_output(worst.output, worst.tool_calls) if worst is not None else None


def html(
    title: str,
    verdict: str,
    reason: str,
    panels: Sequence[Panel],
    *,
    summary: Table | None = None,
    secrets: Sequence[str] = (),
) -> str:
    """Return one self-contained HTML page (no network: inline CSS, JS and SVG)."""
    data = {"panels": [_panel_data(p, secrets) for p in panels]}
    payload = json.dumps(normalize(data), sort_keys=True, ensure_ascii=False).replace("<", "\\u003c")
    body = [
        f"<header><h1>{escape(title)}</h1>",
        f'<p class="verdict v-{escape(verdict.split(maxsplit=1)[0])}">{escape(verdict)}</p>',
        f'<p class="reason">{escape(redact(reason, secrets))}</p></header>',
    ]
    if summary is not None:
        body.append(_table(summary.header, summary.rows, "summary"))
    for i, p in enumerate(panels):
        body.append(_panel_html(i, p, secrets))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        + "".join(body)
        + f'<script type="application/json" id="report-data">{payload}</script>'
        + f"<script>{SCRIPT}</script></body></html>\n"
    )


def _panel_data(p: Panel, secrets: Sequence[str]) -> dict[str, Any]:
    def clean(text: str | None) -> str | None:
        return None if text is None else redact(text, secrets)[:MAX_OUTPUT]

    cases = []
    for c in p.cases:
        row = asdict(c)
        row.update(base_output=clean(c.base_output), head_output=clean(c.head_output), error=clean(c.error))
        cases.append(row)
    return {"base": p.base_label, "head": p.head_label, "cases": cases}


def _panel_html(index: int, p: Panel, secrets: Sequence[str]) -> str:
    tags = sorted({t for c in p.cases for t in c.tags})
    options = "".join(f'<option value="{escape(t)}">{escape(t)}</option>' for t in tags)
    parts = [
        f'<section class="panel" data-panel="{index}"><h2>{escape(p.title)}</h2>',
        f'<p><span class="verdict v-{escape(p.verdict.split()[0])}">{escape(p.verdict)}</span> '
        f"{escape(redact(p.reason, secrets))}</p>",
        f'<p class="sides"><span class="key base">base</span> {escape(p.base_label)} '
        f'<span class="key head">head</span> {escape(p.head_label)}</p>',
        _metrics(p.metrics),
        f'<p class="workflow">Workflow runs {escape(p.workflow)}</p>' if p.workflow else "",
        f'<div class="charts">{"".join(_charts(p))}</div>',
        f'<p class="note">{escape(p.note)}</p>' if p.note else "",
        '<div class="filters">'
        '<label>show <select class="f-status"><option value="all">all cases</option>'
        '<option value="regressed">regressed</option><option value="failing">failing</option>'
        '<option value="changed">output changed</option></select></label>'
        f'<label>tag <select class="f-tag"><option value="">any</option>{options}</select></label>'
        '<label>search <input class="f-search" type="search" placeholder="id or output"></label>'
        '<span class="f-count"></span></div>',
        '<table class="cases"><thead><tr><th>case</th><th>status</th><th>tags</th><th>score</th>'
        "<th>base output</th><th>head output</th></tr></thead><tbody></tbody></table></section>",
    ]
    return "".join(parts)


def _metrics(metrics: Sequence[Metric]) -> str:
    rows = []
    for m in metrics:
        if m.base is None and m.head is None:
            continue
        interval = "—" if m.low is None or m.high is None else f"[{_delta(m, m.low)}, {_delta(m, m.high)}]"
        delta = "—" if m.delta is None else _delta(m, m.delta) + _relative(m)
        rows.append((m.label, _value(m, m.base), _value(m, m.head), delta, interval, m.check or ""))
    return _table(("metric", "base", "head", "delta", "95% interval", "check"), rows, "metrics")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="c-{escape(v)}">{escape(v)}</td>'
            if v in ("pass", "fail", "inconclusive")
            else f"<td>{escape(v)}</td>"
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _charts(p: Panel) -> list[str]:
    def values(name: str) -> list[float]:
        return [v for c in p.cases if (v := getattr(c, name)) is not None]

    return [
        charts.histogram("score per case", values("base_score"), values("head_score"), bounds=(0.0, 1.0)),
        charts.histogram("latency per case", values("base_latency"), values("head_latency"), unit="ms"),
        charts.histogram("cost per case", values("base_cost"), values("head_cost"), unit="usd"),
        _tag_chart(p.cases),
    ]


def _tag_chart(cases: Sequence[HtmlCase]) -> str:
    base = tag_pass_rates((c.tags, c.base_passed) for c in cases)
    head = tag_pass_rates((c.tags, c.head_passed) for c in cases)
    labels = sorted(set(base) | set(head))
    return charts.bars(
        "pass rate per tag",
        labels,
        [base.get(t) for t in labels],
        [head.get(t) for t in labels],
        top=1.0,
        percent=True,
        axis="share of the tag's cases that pass",
    )
