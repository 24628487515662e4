"""Trace records (DESIGN §8.1) for flywheel and budget tests, imported with `traces import`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def record(
    rid: str,
    *,
    variables: dict[str, Any] | None,
    output: str = "NONE",
    score: float | None = None,
    feedback: float | None = None,
    cost: float | None = 0.0004,
    purpose: str = "prod",
    minutes_ago: float = 1.0,
    version: str = "1.0.0",
    prompt: str = "order-id",
    messages: list[dict[str, str]] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    at = (now or datetime.now(UTC)) - timedelta(minutes=minutes_ago)
    scores = []
    if score is not None:
        scores.append(
            {
                "name": "judge_ok",
                "value": score,
                "source": "judge",
                "evaluator": "judge-v1",
                "at": at.isoformat(),
            }
        )
    if feedback is not None:
        scores.append({"name": "thumbs", "value": feedback, "source": "user", "at": at.isoformat()})
    data: dict[str, Any] = {
        "id": rid,
        "trace_id": f"trace-{rid}",
        "ts_start": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "ts_end": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "source": "promptops",
        "prompt": {
            "name": prompt,
            "version": version,
            "hash": "sha256:x",
            "environment": "production",
            "arm": "control",
            "pair_id": None,
        },
        "model": {
            "requested": "openai/gpt-4o-mini-2024-07-18",
            "served": "gpt-4o-mini-2024-07-18",
            "provider": "openai",
        },
        "usage": {"input": 17, "output": 1, "cache_read": 0},
        "cost_usd": cost,
        "cost_source": "unknown" if cost is None else "computed",
        "latency_ms": 120,
        "status": "ok",
        "error_type": None,
        "finish_reason": "stop",
        "purpose": purpose,
        "output": output,
        "scores": scores,
        "input_messages": messages or [],
    }
    if variables is not None:
        data["variables"] = variables
    return data


def import_records(
    cli: Any, root: Path, records: Sequence[dict[str, Any]], name: str = "traces.jsonl"
) -> None:
    """Write the records as a trace file and import it with `promptops traces import`."""
    path = root / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = cli("traces", "import", str(path))
    assert result.code == 0, result.err
