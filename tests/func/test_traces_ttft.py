"""Time to first token in production records: kept only when real, and its percentiles in `traces stats`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptops.observe.traces import litellm_payload
from support import releases
from support.fixtures import CLI, GitRepo


@pytest.fixture
def project(git_repo: GitRepo) -> GitRepo:
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(git_repo, version)
    return git_repo


def record(n: int, version: str = "1.0.0", **fields: Any) -> dict[str, Any]:
    return {
        "id": f"call-{version}-{n}",
        "ts_start": f"2026-12-01T10:{n // 60:02d}:{n % 60:02d}.000Z",
        "source": "promptops",
        "prompt": {
            "name": "order-id",
            "version": version,
            "hash": releases.prompt_hash(version),
            "environment": "production",
            "arm": "canary" if version == "1.1.0" else "control",
        },
        "model": {"requested": "openai/gpt-4o-mini-2024-07-18", "served": "gpt-4o-mini-2024-07-18"},
        "usage": {"input": 100, "output": 10},
        "latency_ms": 400.0 + n,
        "status": "ok",
        **fields,
    }


def write_lines(path: Path, items: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")


def stats_json(cli: CLI, *args: str) -> dict[str, Any]:
    result = cli("traces", "stats", *args, "--format", "json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def payload(**fields: Any) -> dict[str, Any]:
    return {
        "litellm_call_id": "call-1",
        "startTime": 1_764_583_200.0,
        "endTime": 1_764_583_200.5,
        "model": "gpt-4o-mini-2024-07-18",
        "status": "success",
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "ttft"),
    [
        ({"stream": True, "completionStartTime": 1_764_583_200.125}, 125.0),
        ({"completionStartTime": 1_764_583_200.125}, 125.0),  # no `stream` key: a first token before the end
        ({"stream": False, "completionStartTime": 1_764_583_200.5}, None),  # litellm's fill: start == end
        ({"completionStartTime": 1_764_583_200.5}, None),  # equal values say nothing, streamed or not
        ({"stream": False, "completionStartTime": 1_764_583_200.125}, None),
        ({"stream": True}, None),
    ],
)
def test_litellm_ttft_is_kept_only_when_real(fields: dict[str, Any], ttft: float | None) -> None:
    got = litellm_payload.record(payload(**fields)).ttft_ms
    assert got == pytest.approx(ttft) if ttft is not None else got is None


def test_stats_show_ttft_percentiles_of_the_records_that_carry_one(project: GitRepo, cli: CLI) -> None:
    plain = [record(n) for n in range(40)]
    streamed = [record(n, "1.1.0", ttft_ms=200.0 + n) for n in range(40)]
    write_lines(project.root / "t.jsonl", plain + streamed)
    assert cli("traces", "import", "t.jsonl").code == 0
    one, two = stats_json(cli, "order-id")["groups"]
    assert one["ttft_ms"] == {
        "calls": 0,
        "p50": {"value": None, "interval": None},
        "p95": {"value": None, "interval": None},
        "p99": {"value": None, "interval": None},
    }
    assert two["ttft_ms"]["calls"] == 40
    assert two["ttft_ms"]["p50"]["value"] == 219.5
    assert two["ttft_ms"]["p95"]["value"] == pytest.approx(237.05)
    text = cli("traces", "stats", "order-id")
    assert text.code == 0, text.err
    header, first, second = text.out.splitlines()
    assert header.split()[:12] == [
        "prompt",
        "version",
        "calls",
        "error",
        "rate",
        "p50",
        "ms",
        "p95",
        "ms",
        "p99",
        "ms",
        "ttft",
    ]
    assert "ttft p50 ms  ttft p95 ms" in header
    assert second.split()[:3] == ["order-id", "1.1.0", "40"]
    columns = header.index("ttft p50 ms")
    assert second[columns:].split()[:2] == ["220", "237"]
    assert first[columns:].split()[:2] == ["-", "-"]


def test_stats_without_streamed_records_keep_their_columns(project: GitRepo, cli: CLI) -> None:
    write_lines(project.root / "t.jsonl", [record(n) for n in range(5)])
    assert cli("traces", "import", "t.jsonl").code == 0
    header = cli("traces", "stats", "order-id").out.splitlines()[0]
    assert "ttft" not in header
