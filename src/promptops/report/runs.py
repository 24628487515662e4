"""The run history as text and JSON (`promptops runs`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from promptops.evals.records import RunEntry
from promptops.formats import dump_json
from promptops.report.table import columns
from promptops.wording import money

HEADER = ("id", "time", "kind", "suite", "version", "model", "verdict", "score", "pass rate", "cost")


def runs_text(entries: Sequence[RunEntry]) -> str:
    """Return one aligned row per stored run, oldest first."""
    if not entries:
        return "no stored runs yet (every `promptops eval` and `promptops compare` keeps one)\n"
    rows: list[Sequence[str]] = [HEADER]
    for e in entries:
        rows.append(
            (
                e.id,
                e.time,
                e.kind,
                e.suite,
                f"{e.prompt}@{e.version}",
                e.model,
                e.verdict or "-",
                "-" if e.score is None else f"{e.score:.3f}",
                "-" if e.pass_rate is None else f"{e.pass_rate:.1%}",
                "unknown" if e.cost_usd is None else money(e.cost_usd),
            )
        )
    return columns(rows)


def runs_json(entries: Sequence[RunEntry]) -> str:
    """Return the index as JSON: {"runs": [...]}, oldest first."""
    return dump_json({"runs": [asdict(e) for e in entries]})
