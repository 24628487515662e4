"""Shadow mode in the SDK: the shadow version is called after the primary, paired by id, never returned."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from promptops import load_prompt
from promptops.sdk import PAIR_KEY, call_with_shadow, paired_kwargs, shadow_kwargs
from support import litellm_callbacks, releases
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI

ENVS = "production:\n  order-id: 1.0.0\nstaging:\n  order-id: 1.1.0\n"  # the bundle holds served versions


@pytest.fixture
def bundle_file(git_repo: GitRepo, cli: CLI) -> Path:
    return releases.bundled(git_repo, cli, ENVS)


def _nested(kwargs: dict[str, Any]) -> dict[str, Any]:
    metadata = kwargs["metadata"]
    return metadata["metadata"] if isinstance(metadata.get("metadata"), dict) else metadata  # type: ignore[no-any-return]


def test_shadow_kwargs_turn_tools_off_and_pair_with_the_primary(bundle_file: Path) -> None:
    primary = load_prompt("order-id", env="production", bundle=bundle_file)
    shadow = load_prompt("order-id@1.1.0", bundle=bundle_file)
    first = paired_kwargs(primary, "p-1", message="Where is ORD-1?")
    second = shadow_kwargs(shadow, primary, "p-1", message="Where is ORD-1?")
    assert _nested(first)[PAIR_KEY] == _nested(second)[PAIR_KEY] == "p-1"
    assert _nested(second)["promptops.arm"] == "shadow" and _nested(second)["promptops.purpose"] == "shadow"
    assert _nested(second)["promptops.environment"] == "production"
    assert not {"tools", "tool_choice", "stream", "fallbacks"} & set(second)
    assert second["messages"][-1] == first["messages"][-1]


def test_the_shadow_call_goes_out_after_the_primary_and_is_never_returned(
    bundle_file: Path, openai_server: FakeOpenAI
) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    openai_server.answers = {"ORD-27611": "ORD-27611"}
    primary = load_prompt("order-id", env="production", bundle=bundle_file)
    shadow = load_prompt("order-id@1.1.0", bundle=bundle_file)
    response = call_with_shadow(litellm.completion, primary, shadow, rate=1.0, message="Where is ORD-27611?")
    assert response.choices[0].message.content == "ORD-27611"
    for _ in range(100):
        if openai_server.count == 2:
            break
        time.sleep(0.05)
    assert openai_server.count == 2
    first, second = (r.body for r in openai_server.requests)
    assert first["messages"][-1] == second["messages"][-1]
    assert "tools" not in second


def test_a_zero_rate_fires_no_shadow_and_a_failing_shadow_stays_silent(bundle_file: Path) -> None:
    primary = load_prompt("order-id", env="production", bundle=bundle_file)
    shadow = load_prompt("order-id@1.1.0", bundle=bundle_file)
    calls: list[dict[str, Any]] = []

    def complete(**kwargs: Any) -> str:
        calls.append(kwargs)
        if _nested(kwargs).get("promptops.arm") == "shadow":
            raise TimeoutError("shadow timed out")
        return "primary"

    assert call_with_shadow(complete, primary, shadow, rate=0.0, message="x") == "primary"
    assert len(calls) == 1
    assert call_with_shadow(complete, primary, shadow, rate=1.0, timeout_s=2, message="x") == "primary"
    for _ in range(100):
        if len(calls) == 3:
            break
        time.sleep(0.02)
    assert len(calls) == 3 and calls[2]["timeout"] == 2


def test_trace_logger_records_pair_and_canary_analyze_shadow_reads_them(
    bundle_file: Path, openai_server: FakeOpenAI, cli: CLI
) -> None:
    import json

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    from promptops.observe.traces.logger import TraceLogger

    openai_server.answers = {"ORD-": "ORD-27611"}
    primary = load_prompt("order-id", env="production", bundle=bundle_file)
    shadow = load_prompt("order-id@1.1.0", bundle=bundle_file)
    file = bundle_file.parent / "traces.jsonl"
    with litellm_callbacks.installed(TraceLogger(file)):
        for index in range(3):
            call_with_shadow(litellm.completion, primary, shadow, message=f"Where is ORD-{index}?")
            time.sleep(0.2)  # the shadow goes out after the primary returned
        for _ in range(200):
            if file.exists() and len(file.read_text().splitlines()) == 6:
                break
            time.sleep(0.05)
    records = [json.loads(line) for line in file.read_text().splitlines()]
    shadows = {r["prompt"]["pair_id"]: r for r in records if r["prompt"]["arm"] == "shadow"}
    primaries = {r["prompt"]["pair_id"]: r for r in records if r["prompt"]["arm"] == "control"}
    assert len(shadows) == len(primaries) == 3 and set(shadows) == set(primaries)
    one = next(iter(shadows.values()))
    assert (one["purpose"], one["prompt"]["version"], one["prompt"]["environment"]) == (
        "shadow",
        "1.1.0",
        "production",
    )
    assert cli("traces", "import", str(file)).code == 0
    result = cli("canary", "analyze", "order-id", "--env", "production", "--shadow", "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["arms"] == {"control": 3, "canary": 3} and report["verdict"] == "CONTINUE"
    assert report["versions"] == {"control": "1.0.0", "canary": "1.1.0"}
