"""The Evals page matches the code: every scorer documented, real message formats."""

from __future__ import annotations

import re

from promptops.evals.scoring import SCORERS
from support.docs import page
from support.paths import ROOT

SECTION = page("guide/evals.md")


PROMPTFOO_PAGE = (ROOT / "docs" / "coming-from-promptfoo.md").read_text("utf-8")
PROMPTFOO_MODULES = {"promptops.evals.scoring.promptfoo", "promptops.evals.scoring.toolcalls"}


def _promptfoo_scorer(name: str) -> bool:
    scorer = SCORERS[name]
    inner = getattr(scorer, "inner", scorer)  # `not-TYPE` wraps TYPE
    return type(scorer).__module__ in PROMPTFOO_MODULES and type(inner).__module__ in PROMPTFOO_MODULES


def test_every_scorer_is_in_the_table() -> None:
    # the tool scorers are documented in docs/tools.md, with the prompt keys they read; the workflow
    # scorers in docs/workflows.md; promptfoo's on the promptfoo page (the next test)
    tools = (ROOT / "docs" / "tools.md").read_text("utf-8")
    workflows = (ROOT / "docs" / "workflows.md").read_text("utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", f"{SECTION}\n{tools}\n{workflows}", re.MULTILINE))
    native = {name for name in SCORERS if not name.startswith("not-") and not _promptfoo_scorer(name)}
    assert native <= documented


def test_every_promptfoo_scorer_is_on_the_promptfoo_page() -> None:
    table = PROMPTFOO_PAGE[
        PROMPTFOO_PAGE.index("## Assertions") : PROMPTFOO_PAGE.index("Assertion values are")
    ]
    documented = set(re.findall(r"`([a-z][\w-]*)`", table))
    for name in SCORERS:
        base = name.removeprefix("not-")
        if name.startswith("not-") or _promptfoo_scorer(name):
            assert base in documented, name


def test_summary_header_is_the_real_one() -> None:
    from promptops.report.table import summary_text

    header = summary_text([]).splitlines()[0].split()
    shown = next(line for line in SECTION.splitlines() if line.startswith("suite "))
    assert shown.split() == header


def test_every_eval_flag_is_documented() -> None:
    for flag in ("--model", "--repeats", "--concurrency", "--no-cache", "--shard", "--out"):
        assert f"`{flag}" in SECTION
