"""The Evals page matches the code: every scorer documented, real message formats."""

from __future__ import annotations

import re

from promptops.evals.scoring import SCORERS
from support.docs import page

SECTION = page("guide/evals.md")


def test_every_scorer_is_in_the_table() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", SECTION, re.MULTILINE))
    assert set(SCORERS) <= documented


def test_summary_header_is_the_real_one() -> None:
    from promptops.report.table import summary_text

    header = summary_text([]).splitlines()[0].split()
    shown = next(line for line in SECTION.splitlines() if line.startswith("suite "))
    assert shown.split() == header


def test_every_eval_flag_is_documented() -> None:
    for flag in ("--model", "--repeats", "--concurrency", "--no-cache", "--shard", "--out"):
        assert f"`{flag}" in SECTION
