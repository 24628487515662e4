"""promptfoo's own example configs: imported, linted and evaluated by promptops against the local server give
the same per-case pass/fail as `promptfoo eval` on the same server.

The configs are copies of promptfoo's examples (tests/fixtures/promptfoo/examples/, MIT, see NOTICE.md there).
The server answers each request from the example's `answers.json` (the first [substring, reply] pair whose
substring is in the last user message), else with the last user message itself (upper-cased when its length
is odd), so some assertions pass and some fail. Run with `-s` to see the table.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from promptfoo_tool import FIXTURES, SKIP_REASON, promptfoo_dir

from promptops.evals.scoring.judge import INSTRUCTIONS as JUDGE_INSTRUCTIONS
from promptops.interop.promptfoo import import_promptfoo
from support.openai_server import FakeOpenAI, _last_user

EXAMPLES = sorted(p.name for p in (FIXTURES / "examples").iterdir() if p.is_dir())


def _answerer(example: Path) -> Any:
    pairs = (
        json.loads((example / "answers.json").read_text("utf-8"))
        if (example / "answers.json").exists()
        else []
    )

    def answer(messages: list[dict[str, Any]]) -> str:
        last = _last_user(messages)
        for needle, reply in pairs:
            if needle in last:
                return str(reply)
        return last if len(last) % 2 == 0 else last.upper()

    return answer


def _model_requests(server: FakeOpenAI) -> set[str]:
    """Return the message lists sent to the model, leaving out the graders' requests."""
    graders = ("You are grading output", JUDGE_INSTRUCTIONS)
    return {
        json.dumps(r.body["messages"], sort_keys=True)
        for r in server.requests
        if not str(r.body["messages"][0].get("content", "")).startswith(graders)
    }


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    try:
        yield fake
    finally:
        fake.stop()


def _env(server: FakeOpenAI, home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "test-key",
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_CONFIG_DIR": str(home / ".promptfoo"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }


def promptfoo_outcomes(
    example: Path, server: FakeOpenAI, tmp: Path, package: Path
) -> dict[tuple[int, int], bool]:
    """Return promptfoo's pass/fail by (promptIdx, testIdx)."""
    out = tmp / "promptfoo.json"
    subprocess.run(
        [
            "node",
            str(package / "dist" / "src" / "entrypoint.js"),
            "eval",
            "-c",
            "promptfooconfig.yaml",
            "--no-cache",
            "--no-table",
            "--no-write",
            "-o",
            str(out),
        ],
        cwd=example,
        env=_env(server, tmp),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    results = json.loads(out.read_text("utf-8"))["results"]["results"]
    return {(r["promptIdx"], r["testIdx"]): bool(r["success"]) for r in results}


def promptops_outcomes(
    example: Path, server: FakeOpenAI, tmp: Path
) -> tuple[dict[tuple[int, int], bool], int]:
    """Return promptops's pass/fail keyed like promptfoo's, and the number of lint problems."""
    project = tmp / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    env = _env(server, tmp)
    python = [sys.executable, "-m", "promptops"]
    subprocess.run(
        [*python, "import", "promptfoo", str(example / "promptfooconfig.yaml")],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    lint = subprocess.run(
        [*python, "lint"], check=False, cwd=project, env=env, capture_output=True, text=True
    )
    subprocess.run(
        [*python, "eval", "--no-cache", "--out", "results.json"],
        cwd=project,
        env=env,
        capture_output=True,
        check=False,
    )
    suites = json.loads((project / "results.json").read_text("utf-8"))["suites"]
    plan = import_promptfoo(example / "promptfooconfig.yaml")
    # promptfoo numbers its (prompt, provider) pairs provider by provider, in config order
    shape = json.loads((example / "compare.json").read_text("utf-8"))
    if shape["pairs"] == "all":  # promptfoo ran every (prompt, provider) pair
        numbering = {(p, q): q * shape["prompts"] + p for p, q in plan.origins}
    else:  # only the pairs the providers' `prompts` lists name, numbered in turn
        numbering = {pair: n for n, pair in enumerate(sorted(plan.origins, key=lambda o: (o[1], o[0])))}
    outcomes: dict[tuple[int, int], bool] = {}
    for suite, origin in zip(plan.suites, plan.origins, strict=True):
        prompt_idx = numbering[origin]
        order = [
            json.loads(line)["id"]
            for line in (project / "evals" / "data" / f"{suite}.jsonl").read_text().splitlines()
        ]
        passed = {c["id"]: c["attempts"][0]["passed"] for c in suites[suite]["cases"]}
        for test_idx, case_id in enumerate(order):
            outcomes[(prompt_idx, test_idx)] = bool(passed[case_id])
    return outcomes, lint.returncode


@pytest.mark.skipif(promptfoo_dir() is None or shutil.which("node") is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", EXAMPLES)
def test_promptops_and_promptfoo_agree_case_by_case(name: str, server: FakeOpenAI, tmp_path: Path) -> None:
    package = promptfoo_dir()
    assert package is not None
    example = FIXTURES / "examples" / name
    server.answers = _answerer(example)
    theirs = promptfoo_outcomes(example, server, tmp_path, package)
    their_requests = _model_requests(server)
    server.requests.clear()
    ours, lint_code = promptops_outcomes(example, server, tmp_path)
    # the prompts promptops sends are the very text promptfoo sent (graders' requests aside)
    assert _model_requests(server) <= their_requests
    agree = sum(theirs.get(key) == value for key, value in ours.items())
    passed = sum(theirs[key] for key in ours if key in theirs)
    print(
        f"\n| {name} | {len(ours)} of {len(theirs)} | {passed} | {agree}/{len(ours)} | lint exit {lint_code} |"
    )
    assert lint_code == 0
    extra = set(theirs) - set(ours)
    # pairs promptfoo ran and promptops did not: only where compare.json says why (a refused prompt,
    # or 0.121 ignoring a provider's `prompts` list that its docs say restricts it)
    assert bool(extra) == bool(
        json.loads((example / "compare.json").read_text("utf-8")).get("promptops_skips")
    )
    assert ours == {key: theirs[key] for key in ours}
