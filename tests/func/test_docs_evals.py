"""The Evals page matches the code: every scorer documented, real message formats."""

from __future__ import annotations

import re

from promptops.evals.scoring import SCORERS
from support.docs import page
from support.paths import ROOT

SECTION = page("guide/evals.md")


def test_every_scorer_is_in_the_table() -> None:
    # the tool scorers are documented in docs/tools.md, with the prompt keys they read; the workflow
    # scorers in docs/workflows.md
    tools = (ROOT / "docs" / "tools.md").read_text("utf-8")
    workflows = (ROOT / "docs" / "workflows.md").read_text("utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", f"{SECTION}\n{tools}\n{workflows}", re.MULTILINE))
    assert set(SCORERS) <= documented


def test_summary_header_is_the_real_one() -> None:
    from promptops.report.table import summary_text

    header = summary_text([]).splitlines()[0].split()
    shown = next(line for line in SECTION.splitlines() if line.startswith("suite "))
    assert shown.split() == header


def test_every_eval_flag_is_documented() -> None:
    for flag in ("--model", "--repeats", "--concurrency", "--no-cache", "--shard", "--out"):
        assert f"`{flag}" in SECTION
