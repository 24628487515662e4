"""`cases propose --failed`: failed and timed-out workflow runs become proposed cases with their recorded
tool results as a replay cassette (placeholders as in the case); `cases accept` moves both (DESIGN §9.4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptops import Prompt, load_prompt
from promptops.formats import parse_yaml
from support import agent_traces, releases
from support.fixtures import CLI, GitRepo

ENVS = "production:\n  order-id: {version: 1.0.0, canary: {version: 1.1.0, percent: 50}}\n"
SUITE = "prompt: order-id\ndataset: data/order-id.jsonl\nscorers:\n  - {type: equals, expected: '{{ expected }}'}\n"


@pytest.fixture
def project(git_repo: GitRepo, cli: CLI) -> Path:
    bundle = releases.bundled(git_repo, cli, ENVS)
    golden = json.dumps({"id": "c001", "vars": {"message": "Where is ORD-10001?"}, "expected": "ORD-10001"})
    git_repo.commit({"evals/order-id.yaml": SUITE, "evals/data/order-id.jsonl": golden + "\n"}, "suite")
    loaded = [load_prompt("order-id", env="production", bundle=bundle, key=k) for k in range(40)]
    control: Prompt = next(p for p in loaded if not p.canary)
    exporter = agent_traces.exporter()
    agent_traces.agent_run(control, "ORD-1")  # succeeds
    agent_traces.agent_run(control, "ORD-2", timeout=True)  # times out after its tool call
    file = git_repo.root / "agent.jsonl"
    file.write_text(agent_traces.otlp_line(exporter.get_finished_spans()) + "\n")
    assert cli("traces", "import", "agent.jsonl").code == 0
    return git_repo.root


def test_a_timed_out_run_is_proposed_with_its_cassette_and_accepted_with_it(project: Path, cli: CLI) -> None:
    result = cli("cases", "propose", "order-id", "--failed")
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        "wrote 1 replay cassette(s) beside it in .promptops/proposed/cassettes/ (placeholders as in the cases)",
        "wrote .promptops/proposed/order-id.yaml: 1 proposed, 0 refused, 0 duplicates; placeholders for 1 EMAIL",
        "next: fill in `expected`, set `reviewed: true`, run `promptops cases accept .promptops/proposed/order-id.yaml`",
    ]
    proposed_file = project / ".promptops/proposed/order-id.yaml"
    data = parse_yaml(proposed_file.read_text(), "x").data
    [case] = data["cases"]
    assert case["vars"] == {"message": "Where is ORD-2? Mail me at [EMAIL_1]"}
    assert case["cassette"] == f"cassettes/{case['id']}.jsonl"
    assert data["selection"] == {"failed": True}
    cassette = project / ".promptops/proposed" / case["cassette"]
    recorded = cassette.read_text()
    assert [json.loads(line) for line in recorded.splitlines()] == [
        {
            "tool": "search_orders",
            "arguments": {"order_id": "ORD-2"},
            "result": {"status": "shipped", "email": "[EMAIL_1]"},
            "error": None,
        }
    ]

    text = proposed_file.read_text().replace("reviewed: false", "reviewed: true")
    proposed_file.write_text(text.replace("expected: null", "expected: ORD-2"))
    accepted = cli("cases", "accept", ".promptops/proposed/order-id.yaml")
    assert accepted.code == 0, accepted.err
    _, line = [json.loads(x) for x in (project / "evals/data/order-id.jsonl").read_text().splitlines()]
    assert (line["id"], line["expected"], line["cassette"]) == (case["id"], "ORD-2", case["cassette"])
    moved = project / "evals/data" / case["cassette"]
    assert moved.read_text() == recorded
    assert not cassette.exists()
    assert cli("lint").code == 0
