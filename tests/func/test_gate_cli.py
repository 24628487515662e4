"""End to end on a temporary git repository: baseline on main, branches that regress and improve."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from promptops.report.escape import MARKER
from support.docs import page
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI

MAIN_PROMPT = "Extract the order ID. Reply with the ID only."
CHATTY_PROMPT = "Extract the order ID and answer in a friendly sentence."
CAREFUL_PROMPT = "Extract the order ID. Reply with the ID only. Read lowercase IDs too."


def answer(messages: list[dict[str, Any]]) -> str:
    """A scripted model: the system prompt decides how well it extracts the ID."""
    system = messages[0]["content"]
    user = messages[-1]["content"]
    found = re.search(r"ord-\d{5}", user, re.IGNORECASE)
    order = found.group(0).upper() if found else "none"
    if system == CHATTY_PROMPT and order in {"ORD-10001", "ORD-10002", "ORD-10003"}:
        return f"Sure! Your order is {order}."
    if system == CAREFUL_PROMPT:
        return order
    return order if found and found.group(0).isupper() else "I could not find an order ID."


def prompt(content: str, version: str) -> str:
    return f"""\
        name: order-id
        version: {version}
        model: openai/gpt-4o-mini-2024-07-18
        params: {{temperature: 0, max_tokens: 16}}
        messages:
          - role: system
            content: {content}
          - role: user
            content: "Message: {{{{ message }}}}"
        """


def dataset(count: int = 10) -> str:
    lines = []
    for i in range(1, count + 1):
        order = f"ORD-{10000 + i}"
        shown = order.lower() if i > 8 else order  # c09, c10: the main prompt misses lowercase IDs
        lines.append(
            json.dumps({"id": f"c{i:02d}", "vars": {"message": f"Where is {shown}?"}, "expected": order})
        )
    return "\n".join(lines) + "\n"


PROJECT = {
    # three repeats: with one, three broken cases of ten are no evidence against noise (McNemar p = 0.125)
    "promptops.yaml": "version: 1\ndefaults: {repeats: 3}\n",
    ".gitignore": ".promptops/\n*.md\n*.xml\nresults*.json\n",
    "prompts/order-id.yaml": prompt(MAIN_PROMPT, "1.0.0"),
    "evals/order-id.yaml": """\
        prompt: order-id
        dataset: data/order-id.jsonl
        scorers:
          - {type: equals, expected: "{{ expected }}"}
        """,
    "evals/data/order-id.jsonl": dataset(),
}


@pytest.fixture
def repo(git_repo: GitRepo, openai_server: FakeOpenAI, cli: CLI) -> GitRepo:
    """main holds the project and its baseline, written by `baseline update` against the fake model."""
    openai_server.answers = answer
    git_repo.commit(PROJECT, "project")
    result = cli("baseline", "update", "order-id")
    assert (result.code, result.out) == (0, "")
    assert result.err.startswith(
        "wrote evals/baselines/order-id.json: 10 cases, mean score 0.800, pass rate 80.0% "
        "(order-id@1.0.0, openai/gpt-4o-mini-2024-07-18); commit it"
    )
    git_repo.commit(message="baseline")
    return git_repo


def test_baseline_file_is_deterministic_and_complete(repo: GitRepo, cli: CLI) -> None:
    path = repo.root / "evals/baselines/order-id.json"
    first = path.read_text("utf-8")
    data = json.loads(first)
    assert [c["id"] for c in data["cases"]] == [f"c{i:02d}" for i in range(1, 11)]
    assert [c["passed"] for c in data["cases"]] == [True] * 8 + [False] * 2
    assert data["provenance"]["prompt_version"] == "1.0.0"
    assert data["provenance"]["git_sha"] == repo.git("rev-parse", "HEAD~1")
    assert (
        first.endswith("}\n")
        and first == json.dumps(json.loads(first), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    assert cli("baseline", "update", "order-id").code == 0  # cached answers: the same file but the sha
    assert path.read_text("utf-8") == first.replace(
        data["provenance"]["git_sha"], repo.git("rev-parse", "HEAD")
    )


def test_a_regressing_branch_fails_with_the_regressed_cases_in_the_report(repo: GitRepo, cli: CLI) -> None:
    repo.git("checkout", "-q", "-b", "chatty")
    repo.commit({"prompts/order-id.yaml": prompt(CHATTY_PROMPT, "1.1.0")}, "chatty prompt")
    result = cli(
        "eval", "order-id", "--baseline-ref", "main", "--report-md", "report.md", "--junit", "junit.xml"
    )
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    assert (
        "gate order-id: FAIL: pass rate 80.0% → 50.0%, a significant drop (one-sided p < 0.001)" in result.err
    )
    report = (repo.root / "report.md").read_text("utf-8")
    assert report.startswith(f"{MARKER}\n## ❌ promptops: FAIL\n")
    assert "3 new failures (c01, c02, c03)" in report
    for case in ("c01", "c02", "c03"):
        assert (
            f"| `{case}` | 1.00 → 0.00 | **new failure** | Sure\\! Your order is ORD-1000" in report
            or f"| `{case}` | 1.00 → 0.00 | **new failure** | Sure! Your order is ORD-1000" in report
        )
    assert "<details><summary>Prompt diff</summary>" in report
    assert CHATTY_PROMPT in report and "1.0.0 → 1.1.0" in report
    junit = (repo.root / "junit.xml").read_text("utf-8")
    assert 'failures="5"' in junit and '<failure message="new failure: passed in the baseline"' in junit


def test_an_improving_branch_passes(repo: GitRepo, cli: CLI) -> None:
    repo.git("checkout", "-q", "-b", "careful")
    repo.commit({"prompts/order-id.yaml": prompt(CAREFUL_PROMPT, "1.1.0")}, "careful prompt")
    result = cli("eval", "order-id", "--baseline-ref", "main", "--report-md", "report.md")
    assert result.code == 0, result.err
    assert (
        "gate order-id: PASS: no regression; mean score 0.800 → 1.000 (+0.200); 10 cases compared"
        in result.err
    )
    report = (repo.root / "report.md").read_text("utf-8")
    assert report.startswith(f"{MARKER}\n## ✅ promptops: PASS\n")
    assert "Fixed (2): `c09`, `c10`" in report


def test_a_branch_cannot_lower_its_own_bar(repo: GitRepo, cli: CLI) -> None:
    repo.git("checkout", "-q", "-b", "sneaky")
    repo.commit({"prompts/order-id.yaml": prompt(CHATTY_PROMPT, "1.1.0")}, "chatty prompt")
    assert cli("baseline", "update", "order-id").code == 0
    repo.commit(message="lower the baseline")
    assert cli("eval", "order-id").code == 0  # the branch's own baseline agrees with it
    result = cli("eval", "order-id", "--baseline-ref", "main", "--report-md", "report.md")
    assert result.code == 1  # the base branch's does not
    assert (
        "> ⚠️ This change rewrites the baseline of `order-id` (new file: mean score 0.500, pass rate 50.0%); "
        "the gate compared with the baseline at `main`." in (repo.root / "report.md").read_text("utf-8")
    )


def test_report_combines_results_files_with_the_prompt_diff(repo: GitRepo, cli: CLI) -> None:
    repo.git("checkout", "-q", "-b", "chatty")
    repo.write({"prompts/order-id.yaml": prompt(CHATTY_PROMPT, "1.1.0")})
    assert cli("eval", "order-id", "--out", "results.json").code == 1
    result = cli("report", "--results", "results.json", "--base", "main")
    assert result.code == 1
    assert result.out.startswith(f"{MARKER}\n## ❌ promptops: FAIL\n")
    assert "### Prompt changes: main" in result.out
    as_json = cli("report", "--results", "results.json", "--base", "main", "--format", "json")
    data = json.loads(as_json.out)
    assert (as_json.code, data["verdict"], data["suites"][0]["new_failures"]) == (
        1,
        "FAIL",
        ["c01", "c02", "c03"],
    )


def test_a_removed_case_makes_the_baseline_incomparable(repo: GitRepo, cli: CLI) -> None:
    repo.write({"evals/data/order-id.jsonl": "\n".join(dataset().splitlines()[1:]) + "\n"})
    result = cli("eval", "order-id", "--baseline-ref", "main")
    assert result.code == 2
    assert result.err.splitlines()[-2:] == [
        "error: main:evals/baselines/order-id.json: the baseline of suite 'order-id' is not comparable with "
        "this run: removed cases c01",
        "hint: if the change is intended, run `promptops baseline update order-id` and commit the new baseline "
        "with the change",
    ]
    assert "Traceback" not in result.err


def test_added_cases_are_listed_not_gated(repo: GitRepo, cli: CLI) -> None:
    extra = json.dumps({"id": "c11", "vars": {"message": "Where is ord-99999?"}, "expected": "ORD-99999"})
    repo.write({"evals/data/order-id.jsonl": dataset() + extra + "\n"})
    result = cli("eval", "order-id", "--report-md", "report.md")
    assert result.code == 0, result.err
    assert "Added (not gated) (1): `c11`" in (repo.root / "report.md").read_text("utf-8")


def test_github_actions_extras(repo: GitRepo, cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = repo.root / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    repo.write({"prompts/order-id.yaml": prompt(CHATTY_PROMPT, "1.1.0")})
    result = cli("eval", "order-id")
    assert result.code == 1
    errors = [line for line in result.out.splitlines() if line.startswith("::error ")]
    assert errors[0] == (
        "::error file=evals/data/order-id.jsonl,line=1,title=promptops order-id%3A c01 new failure"
        "::c01: score 1.00 -> 0.00; output: Sure! Your order is ORD-10001."
    )
    assert len(errors) == 3
    text = summary.read_text("utf-8")
    assert text.startswith("## ❌ promptops: FAIL\n") and MARKER not in text


def test_baseline_update_from_a_results_file_and_its_errors(repo: GitRepo, cli: CLI) -> None:
    repo.write({"prompts/order-id.yaml": prompt(CAREFUL_PROMPT, "1.1.0")})
    assert cli("eval", "order-id", "--out", "results.json").code == 0
    result = cli("baseline", "update", "order-id", "--from", "results.json")
    assert result.code == 0, result.err
    assert (
        json.loads(Path("evals/baselines/order-id.json").read_text("utf-8"))["summary"]["mean_score"] == 1.0
    )
    repo.write({"evals/data/order-id.jsonl": dataset(9)})
    stale = cli("baseline", "update", "order-id", "--from", "results.json")
    assert stale.code == 2
    assert stale.err.startswith(
        "error: results.json: the results of suite 'order-id' were produced with a different dataset than "
        "evals/order-id.yaml has now\n"
    )
    missing = cli("baseline", "update", "order-id", "--from", "nope.json")
    assert (missing.code, missing.err.splitlines()[0]) == (2, "error: nope.json: no such file")


def test_too_many_errors_exit_3_after_writing_the_report(
    repo: GitRepo, cli: CLI, openai_server: FakeOpenAI
) -> None:
    openai_server.fail("400", match="ORD-10004")
    result = cli("eval", "order-id", "--no-cache", "--report-md", "report.md", "--junit", "junit.xml")
    assert result.code == 3, result.err
    assert "Traceback" not in result.err
    assert result.err.splitlines()[0].startswith("error: order-id: 1 of 10 cases could not be evaluated")
    report = (repo.root / "report.md").read_text("utf-8")
    assert report.startswith(f"{MARKER}\n## ❌ promptops: could not evaluate\n")
    assert "<details><summary>Errors (1)</summary>" in report
    assert '<error message="openai/gpt-4o-mini-2024-07-18: the provider rejected the request' in (
        repo.root / "junit.xml"
    ).read_text("utf-8")


def test_report_joins_the_shards_of_a_suite(repo: GitRepo, cli: CLI) -> None:
    repo.write({"prompts/order-id.yaml": prompt(CHATTY_PROMPT, "1.1.0")})
    for index in (1, 2):
        cli("eval", "order-id", "--shard", f"{index}/2", "--out", f"results-{index}.json")
    joined = cli("report", "--format", "json", "--results", "results-1.json", "results-2.json")
    data = json.loads(joined.out)
    suite = data["suites"][0]
    assert (joined.code, len(suite["cases"]), suite["new_failures"]) == (1, 10, ["c01", "c02", "c03"])
    half = cli("report", "--format", "json", "--results", "results-1.json")
    assert len(json.loads(half.out)["suites"][0]["cases"]) < 10  # one shard: no case counts as removed
    cli("eval", "order-id", "--out", "results.json")
    twice = cli("report", "--results", "results.json", "--results", "results.json")
    assert (twice.code, twice.err.splitlines()[0]) == (
        2,
        "error: suite 'order-id' appears in more than one results file; give each suite once",
    )


def test_an_unknown_baseline_ref_fails_before_any_model_call(
    repo: GitRepo, cli: CLI, openai_server: FakeOpenAI
) -> None:
    openai_server.reset()
    result = cli("eval", "order-id", "--no-cache", "--baseline-ref", "nope")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("error: unknown git ref 'nope'\nhint: ")
    assert openai_server.count == 0


def test_plan_says_what_the_margins_need_without_a_model_call(
    repo: GitRepo, cli: CLI, openai_server: FakeOpenAI
) -> None:
    openai_server.reset()
    result = cli("eval", "order-id", "--plan")
    assert (result.code, openai_server.count) == (0, 0)
    assert result.out == (
        "order-id: 10 cases, 3 repeats (baseline 3); per-case variance 0.000 (from the baseline's repeats); "
        "minimum detectable pass-rate drop 20.0 pp (80% power, one-sided level 0.025): not enough for "
        "max_pass_rate_drop 5.0 pp; about 40 cases would be\n"
    )


def test_the_docs_report_example_is_this_run(repo: GitRepo, cli: CLI) -> None:
    repo.git("checkout", "-q", "-b", "chatty")
    repo.commit({"prompts/order-id.yaml": prompt(CHATTY_PROMPT, "1.1.0")}, "chatty prompt")
    assert cli("eval", "order-id", "--baseline-ref", "main", "--report-md", "report.md").code == 1
    example = re.search(r"````markdown\n(.*?)````", page("guide/gate.md"), flags=re.DOTALL)
    assert example

    def comparable(text: str) -> list[str]:  # latencies and commit ids differ from run to run
        text = re.sub(r"`[0-9a-f]{7}`", "`SHA`", text)
        return [line for line in text.splitlines() if not line.startswith("| latency ")]

    assert comparable((repo.root / "report.md").read_text("utf-8")) == comparable(example[1])
