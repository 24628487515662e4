"""`cost project --traces --from` and `cases propose --from`: the records read where they live give what
the same records give after `traces import` (redaction included)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from support.evalproject import FAST_CONFIG, order_id_answer, write_project
from support.openai_server import FakeOpenAI
from support.traces import import_records, record

GENERATED = re.compile(r"proposed_at: '[^']*'")
CONFIG = FAST_CONFIG + "traffic: {order-id: {qps: 3}}\n"
KEY = "sk-proj-abcdefghijklmnopqrstuvwx"


def records() -> list[dict]:
    return [
        record("r1", variables={"message": "Hi, I'm jane.doe@example.com, where is ORD-20001?"}, score=0.0),
        record(
            "r2", variables={"message": f"My key {KEY} broke; order ORD-20006"}, feedback=0.0, minutes_ago=2
        ),
        record("r3", variables={"message": "Order ORD-20007 please"}, score=1.0, minutes_ago=3),
        record("j1", variables=None, purpose="judge", cost=0.0001, minutes_ago=4),
    ]


def test_cost_and_proposals_from_a_window_match_the_store(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    openai_server.answers = order_id_answer
    write_project(project_dir, count=3, config=CONFIG)
    assert cli("eval").code == 0
    window = records()
    (project_dir / "w.jsonl").write_text("".join(json.dumps(r) + "\n" for r in window), encoding="utf-8")
    cost = ("cost", "project", "--traces", "--format", "json")
    propose = ("cases", "propose", "order-id", "--worst", "2", "--by", "judge_ok", "--feedback", "down")
    cost_from = cli(*cost, "--from", "w.jsonl")
    proposed_from = cli(*propose, "--from", "w.jsonl", "--out", "from.yaml")
    assert (cost_from.code, proposed_from.code) == (0, 0), cost_from.err + proposed_from.err
    assert not (project_dir / ".promptops/traces").exists()  # nothing was copied in
    import_records(cli, project_dir, window)
    assert cli(*cost).out == cost_from.out
    stored = cli(*propose, "--out", "stored.yaml")
    assert stored.err.replace("stored.yaml", "from.yaml") == proposed_from.err
    text = (project_dir / "from.yaml").read_text(encoding="utf-8")

    def written_at_any_second(t: str) -> str:  # the two files were written a moment apart
        return re.sub(r"proposed_at: '[^']*'", "proposed_at: ''", t)

    stored_text = (
        (project_dir / "stored.yaml").read_text(encoding="utf-8").replace("stored.yaml", "from.yaml")
    )
    assert "proposed_at: '" in text
    assert written_at_any_second(text) == written_at_any_second(stored_text)
    assert KEY not in text and "[REDACTED]" in text


def test_from_needs_traces_for_cost(cli, project_dir: Path) -> None:
    write_project(project_dir, count=1, config=CONFIG)
    result = cli("cost", "project", "--from", "w.jsonl")
    assert (result.code, result.err.splitlines()) == (
        2,
        ["error: --from needs --traces (it reads production records, not eval results)"],
    )
