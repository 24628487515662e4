"""End to end: a canary's traces -> judge scores on the test server -> analyze -> --apply -> the bundle."""

from __future__ import annotations

import json
import random
from pathlib import Path

from promptops import load_prompt
from support import releases
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI

CONFIG = (
    "version: 1\n"
    "rollout:\n"
    "  min_calls_per_arm: 500\n"
    "  quality: {scorer: judge_ok, max_drop: 0.05, critical: true}\n"
    "  latency: null\n"
    "  cost_per_call: null\n"
)
SUITE = (
    "prompt: order-id\n"
    "cases: [{id: c1, vars: {message: 'Where is ORD-1?'}, expected: ORD-1}]\n"
    "scorers:\n"
    "  - {type: llm_judge, name: judge_ok, model: openai/gpt-4o-2024-08-06, rubric: 'Replies with the order id'}\n"
)


def _records(count: int) -> str:
    rng = random.Random(7)
    lines = []
    for index in range(count):
        arm = "canary" if index % 2 else "control"
        right = rng.random() < (0.95 if arm == "control" else 0.2)  # the canary lost the order ids
        lines.append(
            json.dumps(
                {
                    "id": f"call-{index:04d}",
                    "ts_start": f"2026-12-01T{10 + index // 3600:02d}:{index // 60 % 60:02d}:{index % 60:02d}Z",
                    "source": "promptops",
                    "prompt": {
                        "name": "order-id",
                        "version": "1.4.0" if arm == "canary" else "1.3.0",
                        "environment": "production",
                        "arm": arm,
                    },
                    "status": "ok",
                    "latency_ms": 400 + index % 50,
                    "cost_usd": 0.0001,
                    "purpose": "prod",
                    "variables": {"message": f"Where is ORD-{index}?"},
                    "output": f"ORD-{index}" if right else "Sorry, which order?",
                }
            )
        )
    return "\n".join(lines) + "\n"


def test_a_bad_canary_is_scored_rolled_back_and_the_bundle_serves_the_old_version(
    git_repo: GitRepo, cli: CLI, openai_server: FakeOpenAI
) -> None:
    releases.start_project(git_repo)
    for version in ("1.3.0", "1.4.0"):
        releases.release(git_repo, version)
    git_repo.commit(
        {
            "promptops.yaml": CONFIG,
            "evals/order-id.yaml": SUITE,
            "environments.yaml": "production:\n  order-id: {version: 1.3.0, canary: {version: 1.4.0, percent: 50}}\n",
        }
    )
    (git_repo.root / "calls.jsonl").write_text(_records(240), encoding="utf-8")
    imported = cli("traces", "import", "calls.jsonl")
    assert imported.code == 0, imported.err
    openai_server.answers = lambda messages: (
        '{"score": 1}' if "RESPONSE:\nORD-" in messages[-1]["content"] else '{"score": 0, "reason": "no id"}'
    )

    scored = cli("traces", "score", "order-id", "--env", "production")
    assert scored.code == 0, scored.err
    assert scored.out.startswith("order-id: scored 240 of 240 sampled records (240 scorable): judge_ok 240")

    result = cli("canary", "analyze", "order-id", "--env", "production", "--format", "json", "--apply")
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert report["verdict"] == "ROLLBACK" and report["arms"] == {
        "control": 119,
        "canary": 120,
    }  # from the canary's first call
    assert report["reason"] == "quality (judge_ok) surely worse than allowed (critical)"
    assert "git commit -m 'canary: roll back order-id 1.4.0 in production (ROLLBACK)'" in result.err

    git_repo.git("add", "-A")
    git_repo.git("commit", "-q", "-m", "canary: roll back order-id 1.4.0 in production")
    assert cli("bundle", "--out", "prompts.lock.json").code == 0
    bundle = git_repo.root / "prompts.lock.json"
    served = {load_prompt("order-id", env="production", bundle=bundle, key=k).version for k in range(200)}
    assert served == {"1.3.0"}
    assert Path(git_repo.root / "evidence" / "canary" / "production" / "order-id.md").is_file()
