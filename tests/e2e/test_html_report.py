"""`--report-html` on eval, report and compare: one self-contained page, escaped, checked in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from support.browser import Browser, Page, chromium
from support.evalproject import cases, order_id_answer, write_project
from support.openai_server import FakeOpenAI
from support.paths import ROOT

OLD = "openai/gpt-4o-mini-2024-07-18"
NEW = "openai/gpt-4o-2024-08-06"
IMG = '<img src=x onerror="window.__pwned=1">'
BREAKOUT = "</script><script>window.__pwned=2</script>"
# read at import: the autouse `hermetic` fixture clears the environment before each test
REQUIRED = bool(os.environ.get("CI") or os.environ.get("PROMPTOPS_BROWSER_REQUIRED"))
SCREENSHOT = os.environ.get("PROMPTOPS_SCREENSHOT")  # also save the screenshot here (docs/img/...)


def dataset() -> str:
    rows = cases(12)
    for i, row in enumerate(rows):
        row["tags"] = ["hard", "refund"] if i % 4 == 3 else ["easy"]
    return "".join(json.dumps(r) + "\n" for r in rows)


def upgraded(messages: list[dict[str, Any]]) -> str:
    """The new model: misses two hard cases, one with markup that must stay text, one with a script breakout."""
    answer = order_id_answer(messages)
    return {"ORD-10004": IMG, "ORD-10008": BREAKOUT, "ORD-10012": "ORD-10012 (order)"}.get(answer, answer)


@pytest.fixture
def server(openai_server: FakeOpenAI) -> FakeOpenAI:
    openai_server.answers = order_id_answer
    openai_server.by_model = {NEW.split("/", 1)[1]: upgraded}
    return openai_server


@pytest.fixture
def report(cli, project_dir: Path, server: FakeOpenAI) -> Path:
    write_project(project_dir, files={"evals/data/order-id.jsonl": dataset()})
    result = cli(
        "compare", "order-id", "--model", OLD, "--model", NEW, "--qps", "2", "--report-html", "compare.html"
    )
    assert result.code == 0, result.err
    assert "wrote compare.html" in result.err
    return project_dir / "compare.html"


def test_compare_html_is_self_contained_and_escaped(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"(?i)<(link|iframe|object|embed)\b|\bsrc=[\"']?(https?:)?//|@import|url\(", page)
    assert not re.search(r"https?://", page)
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script type="application/json" id="report-data">', "<script>"]
    assert page.count("</script>") == 2  # the model's `</script>` is inside the JSON as \u003c/script>
    assert IMG not in page and "\\u003cimg src=x onerror=" in page
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', page, re.S).group(1))
    outputs = {c["id"]: c["head_output"] for c in data["panels"][0]["cases"]}
    assert outputs["c004"] == IMG and outputs["c008"] == BREAKOUT
    assert "#2 openai/gpt-4o-2024-08-06 against #1 openai/gpt-4o-mini-2024-07-18" in page
    for chart in ("score per case", "latency per case", "cost per case", "pass rate per tag"):
        assert f'aria-label="{chart}"' in page


def test_eval_and_report_write_html(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, files={"evals/data/order-id.jsonl": dataset()})
    assert cli("baseline", "update", "order-id").code == 0
    assert cli("eval", "order-id").code == 0  # a run of the baseline's prompt and model: base outputs known
    result = cli("eval", "order-id", "--model", NEW, "--out", "results.json", "--report-html", "eval.html")
    assert result.code == 1, result.err
    page = (project_dir / "eval.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', page, re.S).group(1))
    c004 = next(c for c in data["panels"][0]["cases"] if c["id"] == "c004")
    # one repeat: a single flip is within noise for the evidence gate (the run still fails on its pass rate)
    assert (c004["base_output"], c004["head_output"], c004["status"]) == ("ORD-10004", IMG, "flipped")
    assert '<p class="verdict v-FAIL">FAIL</p>' in page
    again = cli("report", "--results", "results.json", "--report-html", "report.html")
    assert again.code == 1
    other = (project_dir / "report.html").read_text(encoding="utf-8")
    assert re.search(r'id="report-data">(.*?)</script>', other, re.S).group(1) == json.dumps(
        data, sort_keys=True, ensure_ascii=False
    ).replace("<", "\\u003c")


CHECKS = """
(() => {
  const section = document.querySelector("section.panel");
  const rows = () => [...section.querySelectorAll("table.cases tbody tr")].filter(r => !r.hidden);
  const ids = () => rows().map(r => r.cells[0].textContent);
  const set = (selector, value, kind) => {
    const node = section.querySelector(selector);
    node.value = value;
    node.dispatchEvent(new Event(kind));
  };
  const out = {all: ids(), count: section.querySelector(".f-count").textContent};
  set(".f-status", "regressed", "change"); out.regressed = ids();
  set(".f-status", "failing", "change"); out.failing = ids();
  set(".f-status", "changed", "change"); out.changed = ids();
  set(".f-status", "all", "change"); set(".f-tag", "refund", "change"); out.refund = ids();
  set(".f-tag", "", "change"); set(".f-search", "onerror", "input"); out.search = ids();
  const cell = rows()[0].cells[5];
  out.injected = {text: cell.textContent, marks: [...cell.querySelectorAll("mark")].map(m => m.textContent)};
  set(".f-search", "", "input");
  out.pwned = window.__pwned === undefined ? null : window.__pwned;
  out.images = document.images.length;
  out.scripts = document.scripts.length;
  out.breakout = [...section.querySelectorAll("td.out")].some(td => td.textContent === arguments_breakout);
  out.changedMarks = [...section.querySelectorAll("tr")].filter(r => r.cells[0] && r.cells[0].textContent === "c012")
    .map(r => [...r.cells[5].querySelectorAll("mark.ins")].map(m => m.textContent))[0];
  out.svgs = document.querySelectorAll("svg.chart").length;
  return out;
})()
"""


@pytest.mark.slow
def test_report_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    executable = chromium()
    if executable is None:
        if REQUIRED:
            pytest.fail("chromium is not installed, but CI requires the browser test (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install -y chromium chromium-driver)")
    shot = tmp_path / "compare-report.png"

    async def script(page: Page) -> dict[str, Any]:
        checks = CHECKS.replace("arguments_breakout", json.dumps(BREAKOUT))
        found: dict[str, Any] = await page.js(checks)
        await page.screenshot(shot)
        found["errors"] = page.errors
        return found

    browser = Browser(executable)
    try:
        found = browser.drive(report.as_uri(), script)
    finally:
        browser.close()
    assert found["errors"] == []  # no console errors, no exceptions, no CSP violations
    assert found["count"] == "12 of 12 cases"
    assert found["regressed"] == ["c004", "c008", "c012"]
    assert found["failing"] == ["c004", "c008", "c012"]
    assert found["changed"] == ["c004", "c008", "c012"]
    assert found["refund"] == ["c004", "c008", "c012"]
    assert found["search"] == ["c004"]
    assert found["injected"]["text"] == IMG and found["injected"]["marks"]  # shown as text, marked as changed
    assert found["pwned"] is None and found["images"] == 0 and found["scripts"] == 2
    assert found["breakout"] is True
    assert found["changedMarks"] == ["(order)"]
    assert found["svgs"] == 4
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if SCREENSHOT:
        shutil.copyfile(shot, SCREENSHOT)


def test_eval_html_without_baseline_escapes_tags(cli, project_dir: Path, server: FakeOpenAI) -> None:
    rows = cases(3)
    rows[0]["tags"] = ["<script>alert(1)</script>"]
    write_project(
        project_dir, files={"evals/data/order-id.jsonl": "".join(json.dumps(r) + "\n" for r in rows)}
    )
    server.answers = lambda m: "leaked test-key" if "ORD-10002" in str(m) else order_id_answer(m)
    result = cli("eval", "order-id", "--report-html", "eval.html")
    assert result.code == 0, result.err
    page = (project_dir / "eval.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert '<option value="&lt;script&gt;alert(1)&lt;/script&gt;">' in page
    assert '<p class="verdict v-PASS">PASS</p>' in page and "no baseline: 3 cases scored, not gated" in page
    assert "no baseline" in page and "base outputs are not stored" not in page
    assert "test-key" not in page and "leaked [REDACTED]" in page  # OPENAI_API_KEY's value


def test_the_pull_request_workflow_uploads_the_html_report_and_links_it() -> None:
    import yaml

    template = ROOT / "src/promptops/templates/workflows/promptops.yml"
    steps = yaml.safe_load(template.read_text(encoding="utf-8"))["jobs"]["gate"]["steps"]
    names = [s.get("name") for s in steps]
    report = steps[names.index("Write the report")]
    assert "--report-html .promptops/report.html" in report["run"]
    upload = steps[names.index("Upload the HTML report")]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == ".promptops/report.html"
    link = steps[names.index("Link the HTML report from the comment")]
    assert link["env"]["ARTIFACT_URL"] == "${{ steps.html.outputs.artifact-url }}"
    assert '>> "$REPORT"' in link["run"]
    assert (
        names.index("Upload the HTML report")
        < names.index("Link the HTML report from the comment")
        < names.index("Post the report comment")
    )
