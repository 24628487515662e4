"""Report renderers: golden markdown and JUnit, GFM well-formedness, escaping, redaction, size limit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

from promptops.config import GatePolicy
from promptops.evals import baselines
from promptops.gate import compare
from promptops.gate.result import GateResult
from promptops.report.annotations import annotate
from promptops.report.escape import MARKER, escape
from promptops.report.junit import junit
from promptops.report.markdown import markdown
from promptops.report.overall import gate_json
from promptops.secrets import redact, secret_values
from support.golden import check_golden
from support.runs import Spec, run

DIFF = (
    "### Prompt changes: main → working tree\n\n| prompt | change |\n|---|---|\n| `order-id` | changed |\n\n"
    "<details><summary>Template diff (1 message)</summary>\n\n```diff\n-Reply with the ID only.\n"
    "+Reply briefly.\n```\n\n</details>\n"
)


def regressing() -> GateResult:
    base = {f"c{i:02d}": 1.0 for i in range(1, 9)}
    base["c09"] = Spec(scores=[1.0, 1.0], critical=True)
    head = {
        **base,
        "c02": Spec(scores=[0.0], output="I could not find an order ID in that message."),
        "c05": Spec(scores=[0.5], output="ORD-1234 | see `details` </details> <!-- promptops-report -->"),
        "c07": Spec(scores=[0.9], output="ORD-55555\nsecond line"),
        "c09": Spec(scores=[1.0, 0.0], critical=True, output="ORD-?"),
        "c10": Spec(scores=[0.0], output="@octocat **bold** [link](https://example.com)"),
    }
    head_run = run(head, version="1.1.0", git_sha="b" * 40)
    return compare(head_run, baselines.from_run(run(base)), GatePolicy(), baseline_ref="main")


def passing(suite: str = "order-id") -> GateResult:
    base = {f"c{i:02d}": 0.8 if i % 3 else 1.0 for i in range(1, 7)}
    head = {**base, "c01": 1.0}
    return compare(
        run(head, suite=suite, version="1.2.0"),
        baselines.from_run(run(base, suite=suite)),
        GatePolicy(),
        baseline_ref="main",
    )


def test_regressing_report_matches_golden_file():
    text = markdown([regressing()], prompt_diff=DIFF)
    check_golden("report/regressing.md", text)
    assert text.startswith(MARKER + "\n## ❌ promptops: FAIL\n")
    assert text.count(MARKER) == 1


def test_multi_suite_report_matches_golden_file():
    text = markdown([passing("order-id"), passing("refunds")])
    check_golden("report/two-suites.md", text)
    assert "all 2 suites passed" in text


def test_junit_matches_golden_file_and_parses():
    text = junit([regressing()])
    check_golden("report/regressing.junit.xml", text)
    root = ET.fromstring(text.encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("10", "4", "0")
    failures = {
        c.get("name"): c.find("failure").get("type")
        for c in suite.iter("testcase")
        if c.find("failure") is not None
    }
    # one repeat, 2 of 9 cases flipped: within noise, so failing cases but not new failures
    assert failures == {"c02": "flipped", "c05": "flipped", "c09": "critical_failure", "c10": "added"}


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[int]] = []  # per table, cells per row
        self.cells = 0
        self.open_details = 0
        self.max_depth = 0
        self.balanced = True

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "table":
            self.rows.append([])
        elif tag == "tr":
            self.cells = 0
        elif tag in ("td", "th"):
            self.cells += 1
        elif tag == "details":
            self.open_details += 1
            self.max_depth = max(self.max_depth, self.open_details)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self.rows[-1].append(self.cells)
        elif tag == "details":
            self.open_details -= 1
            self.balanced = self.balanced and self.open_details >= 0


def parse(text: str) -> tuple[str, _Tables]:
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
    tables = _Tables()
    tables.feed(html)
    return html, tables


def test_markdown_is_well_formed_gfm_tables_and_details():
    text = markdown([regressing()], prompt_diff=DIFF)
    html, tables = parse(text)
    # metrics, regressed cases, all cases, and the prompt diff's own table
    assert len(tables.rows) == 4
    for rows in tables.rows:
        assert len(set(rows)) == 1, rows  # every row has as many cells as the header
    assert [len(rows) for rows in tables.rows] == [12, 5, 11, 2]  # header rows included
    assert tables.balanced and tables.open_details == 0
    assert html.count("<details>") == 3  # all cases, prompt diff, the diff's template diff
    assert html.count("<summary>") == 3
    # nothing from a model output became markup
    assert "<strong>bold</strong>" not in html and 'href="https://example.com"' not in html
    assert html.count("promptops-report -->") == 1


def test_file_text_cannot_break_out_or_forge_the_marker():
    nasty = "x |\n\n</details>\n\n<!-- promptops-report -->\n| a | b |\n|---|---|\n```\n# heading"
    base = {"c1": 1.0, "c2": 1.0}
    head = {"c1": Spec(scores=[0.0], output=nasty), "c2": Spec(scores=[None], error=nasty)}
    result = compare(run(head), baselines.from_run(run(base)), GatePolicy(max_error_rate=1.0))
    text = markdown([result], prompt_diff="Injected <!-- promptops-report --> in a diff\n")
    assert text.count(MARKER) == 1 and "<!-- promptops-report" not in text[len(MARKER) :]
    _, tables = parse(text)
    assert all(len(set(rows)) == 1 for rows in tables.rows)
    assert tables.balanced and tables.open_details == 0
    assert escape("1. item", line_start=True) == "1\\. item" and escape("# x", line_start=True) == "\\# x"
    assert escape("1. item") == "1. item"


def test_secrets_are_redacted_from_every_format():
    secret = "s3cr3t-value-from-env-123"
    key = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX"
    env = {"OPENAI_API_KEY": secret, "SHORT_API_KEY": "abc", "PATH": "/usr/bin"}
    assert secret_values(env) == (secret,)
    base = {"c1": 1.0, "c2": 1.0}
    head = {
        "c1": Spec(scores=[0.0], output=f"key {secret} and {key}"),
        "c2": Spec(scores=[None], error=f"401 bad key {key}"),
    }
    result = compare(run(head), baselines.from_run(run(base)), GatePolicy(max_error_rate=1.0))
    secrets = secret_values(env)
    outputs = [
        markdown([result], secrets=secrets, prompt_diff=f"diff with {secret}"),
        junit([result], secrets=secrets),
        gate_json([result], secrets=secrets),
        "\n".join(annotate([result], {"order-id": "evals/data/order-id.jsonl"}, secrets=secrets)),
    ]
    for text in outputs:
        assert secret not in text and key not in text
        assert "[REDACTED]" in text
    assert redact("abc sk-short", ["abc"]) == "abc sk-short"  # too short to be a key


def test_an_annotation_never_leaks_part_of_a_secret_at_its_cut():
    secret = "S3CRETVALUE-abcdef"
    head = {"c1": Spec(scores=[0.0], output="x" * 190 + secret + "y" * 50)}
    result = compare(run(head), baselines.from_run(run({"c1": 1.0})), GatePolicy())
    (line,) = annotate([result], {"order-id": "evals/data/order-id.jsonl"}, secrets=[secret])
    assert "S3CRET" not in line
    assert "[REDACTED" in line


def test_a_huge_run_is_cut_under_the_limit_and_stays_well_formed():
    base = {f"case-{i:05d}": 1.0 for i in range(1200)}
    head = {k: Spec(scores=[0.0 if i % 2 else 1.0], output="long output " * 40) for i, k in enumerate(base)}
    result = compare(run(head), baselines.from_run(run(base)), GatePolicy())
    text = markdown([result], prompt_diff="x" * 30_000)
    assert len(text) <= 60_000
    assert "This report was shortened to stay under 60,000 characters" in text
    assert "more not shown" in text
    _, tables = parse(text)
    assert all(len(set(rows)) == 1 for rows in tables.rows)
    assert tables.balanced and tables.open_details == 0


def test_annotations_point_at_dataset_lines_at_most_ten():
    lines = annotate([regressing()], {"order-id": "evals/data/order-id.jsonl"})
    assert lines == [
        "::error file=evals/data/order-id.jsonl,line=9,title=promptops order-id%3A c09 critical case failed"
        "::c09: score 1.00 -> 0.50; output: ORD-?",
        "::error file=evals/data/order-id.jsonl,line=2,title=promptops order-id%3A c02 fails now"
        "::c02: score 1.00 -> 0.00; output: I could not find an order ID in that message.",
        "::error file=evals/data/order-id.jsonl,line=5,title=promptops order-id%3A c05 fails now"
        "::c05: score 1.00 -> 0.50; output: ORD-1234 | see `details` </details> <!-- promptops-report -->",
        "::error file=evals/data/order-id.jsonl,line=7,title=promptops order-id%3A c07 score dropped"
        "::c07: score 1.00 -> 0.90; output: ORD-55555%0Asecond line",
    ]
    many = compare(
        run({f"c{i:02d}": 0.0 for i in range(20)}),
        baselines.from_run(run({f"c{i:02d}": 1.0 for i in range(20)})),
        GatePolicy(),
    )
    assert len(annotate([many], {})) == 10
    assert annotate([many], {})[0].startswith("::error title=promptops order-id%3A c00 new failure::")


def test_gate_json_is_deterministic_and_complete():
    result = regressing()
    text = gate_json([result])
    assert text == gate_json([regressing()])
    data = json.loads(text)
    assert (data["verdict"], data["exit_code"], data["schema_version"]) == ("FAIL", 1, 1)
    suite = data["suites"][0]
    assert (suite["new_failures"], suite["flipped"]) == ([], ["c02", "c05"])
    assert suite["power"]["enough"] is False and suite["power"]["needed_cases"] == 611
    assert suite["pass_rate_change"]["method"] == "exact stratified test"
    assert suite["critical_failures"] == ["c09"]
    assert suite["base"]["prompt_version"] == "1.0.0" and suite["head"]["prompt_version"] == "1.1.0"
    assert {m["name"] for m in suite["metrics"]} >= {"score", "pass_rate", "cost", "latency_p95"}


def test_inconclusive_and_unavailable_headlines():
    result = replace(
        passing(), verdict="INCONCLUSIVE", passed=False, reason="mean score straddles the margin"
    )
    assert "## ⚠️ promptops: INCONCLUSIVE\n\nmean score straddles the margin\n" in markdown([result])
    down = replace(
        passing(),
        verdict="FAIL",
        passed=False,
        unavailable=True,
        reason="2 of 6 cases could not be evaluated",
    )
    assert "## ❌ promptops: could not evaluate\n" in markdown([down])
    assert not markdown([down], marker=False).startswith(MARKER)
