"""promptops's promptfoo scorers agree with promptfoo itself, row by row.

tests/fixtures/promptfoo/conformance.jsonl was written by running the pinned promptfoo (its version is the
file's first line) on fixed outputs: `node tests/fixtures/promptfoo/conformance.mjs DIR > ...`.
tests/e2e/test_promptfoo_regenerate.py regenerates it when promptfoo is installed.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from promptops.evals.calls import Reply
from promptops.evals.cases import Case, ScorerConfig
from promptops.evals.scoring import COMMON_KEYS, evaluate
from promptops.evals.scoring.base import Subject
from promptops.interop.assertions import NotCarried, scorer_entry
from promptops.spec import Message, PromptSpec

CORPUS = Path(__file__).parents[1] / "fixtures" / "promptfoo" / "conformance.jsonl"
SPEC = PromptSpec(name="p", version="1.0.0", model="openai/x", messages=(Message(role="user", content="x"),))
# patterns that are not valid JavaScript: promptfoo fails every output, promptops refuses them at import
REFUSED = {"(?i)hello", "["}
# where promptfoo 0.121 contradicts its documentation promptops follows the documentation
# (docs/coming-from-promptfoo.md lists these): contains-json finds JSON, 0.121 also takes YAML and // comments
DOCUMENTED_DIFFERENCES = {"Text {a: 1} tail", "{name: x} // comment", 'ok {"a": 1, // note\n"b": 2}'}


def rows() -> list[dict[str, Any]]:
    lines = CORPUS.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


def promptops_result(row: dict[str, Any]) -> tuple[bool | None, float | None]:
    entry = scorer_entry(row["assertion"])
    config = ScorerConfig(
        type=entry["type"],
        weight=float(entry.get("weight", 1.0)),
        threshold=entry.get("threshold"),
        options={k: v for k, v in entry.items() if k not in COMMON_KEYS},
        name=entry["type"],
    )
    reply = Reply(text=row["output"], cost_usd=row.get("cost"), latency_ms=row.get("latency_ms"))
    subject = Subject(output=row["output"], case=Case(id="c", vars={}), spec=SPEC, reply=reply)
    scored = asyncio.run(evaluate([config], [config.options], subject))
    return scored.passed, scored.score


def test_the_corpus_is_large_and_pinned() -> None:
    header = json.loads(CORPUS.read_text("utf-8").splitlines()[0])
    assert header["promptfoo"].startswith("0.121.")
    assert len(rows()) >= 200


def test_every_row_agrees_with_promptfoo() -> None:
    disagreements, refused = [], 0
    for row in rows():
        try:
            passed, score = promptops_result(row)
        except NotCarried:
            assert row["assertion"].get("value") in REFUSED, row
            assert row["expected"] == {"pass": False, "score": 0}
            refused += 1
            continue
        agrees = (passed, score) == (row["expected"]["pass"], float(row["expected"]["score"]))
        if row["output"] in DOCUMENTED_DIFFERENCES and row["assertion"]["type"].endswith("contains-json"):
            assert not agrees, row  # the difference is real: when 0.121 changes, update the docs
            continue
        if not agrees:
            disagreements.append((row, passed, score))
    assert refused == 2 * 2 * 21
    assert disagreements == [], "\n".join(json.dumps(d, ensure_ascii=False) for d in disagreements[:20])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (1.0, "1"),
        (1.5, "1.5"),
        (float("nan"), "NaN"),
        (1e-7, "1e-7"),
        (1e21, "1e+21"),
        (None, "null"),
    ],
)
def test_javascript_string_of_values(value: Any, text: str) -> None:
    from promptops.evals.scoring.promptfoo import js_string

    assert js_string(value) == text
