"""Seeded canary traffic with a known truth, checked every simulated hour on the growing window."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from promptops.config import CostRule, ErrorRateRule, LatencyRule, QualityRule, RolloutPolicy
from promptops.observe.canary.metric import Observation
from promptops.observe.canary.verdict import Analysis, analyze

# The policy of DESIGN §8.4.
POLICY = RolloutPolicy(
    min_calls_per_arm=500,
    max_duration_s=72 * 3600.0,
    confidence=0.95,
    quality=QualityRule(scorer="judge_ok", max_drop=0.05, critical=True),
    error_rate=ErrorRateRule(max_increase=0.01, critical=True),
    latency=LatencyRule(p50=1.10, p95=1.20, p99=1.30, sla_p99_ms=4000),
)
MEDIAN_MS, SIGMA = 600.0, 0.5
TAIL_FROM = math.exp(SIGMA * 1.8808)  # the 97th percentile of the latency factor (z = 1.8808)


@dataclass(frozen=True)
class Truth:
    """How one arm behaves."""

    quality: float = 0.85  # P(judge_ok = 1) of a scored call
    error_rate: float = 0.01
    tail_slowdown: float = 1.0  # latencies above the 97th percentile are multiplied by this
    cost_usd: float = 0.00013


EQUAL = Truth()
WORSE_QUALITY = Truth(quality=0.80)  # 5 pp worse
SLOWER_P99 = Truth(tail_slowdown=1.30)  # p99 30% slower, p50 and p95 unchanged

# Issue #26's scenario: 250 control + 50 canary calls an hour, every call scored, a tight policy.
ISSUE_POLICY = RolloutPolicy(
    min_calls_per_arm=500,
    max_duration_s=72 * 3600.0,
    confidence=0.95,
    quality=QualityRule(scorer="judge_ok", max_drop=0.01, critical=True),
    error_rate=ErrorRateRule(max_increase=0.01, critical=True),
    latency=LatencyRule(p50=1.10, p95=1.20, p99=1.15),
    cost_per_call=CostRule(max_increase=0.15),
)
ISSUE_CONTROL = Truth(quality=0.92)
ISSUE_CANARIES = {
    "equal": ISSUE_CONTROL,
    "quality -5 pp": Truth(quality=0.87),
    "p99 x1.30": Truth(quality=0.92, tail_slowdown=1.30),
}


def calls(rng: random.Random, arm: str, truth: Truth, n: int, scored: float) -> list[Observation]:
    out = []
    for _ in range(n):
        ok = rng.random() >= truth.error_rate
        factor = rng.lognormvariate(0.0, SIGMA)
        if factor > TAIL_FROM:
            factor *= truth.tail_slowdown
        score = None
        if ok and rng.random() < scored:
            score = 1.0 if rng.random() < truth.quality else 0.0
        cost = truth.cost_usd * rng.uniform(0.8, 1.2)
        out.append(Observation(arm=arm, ok=ok, latency_ms=MEDIAN_MS * factor, cost_usd=cost, score=score))
    return out


def checks(
    canary: Truth,
    seed: int,
    control_per_hour: int,
    canary_per_hour: int,
    policy: RolloutPolicy = POLICY,
    scored: float = 0.5,
    control: Truth = EQUAL,
    canary_total: int | None = None,
) -> Iterator[Analysis]:
    """Yield the analysis after every hour until a verdict acts (ROLLBACK, PROMOTE) or time runs out.

    `canary_total` caps the canary calls over the whole run (the hours after the cap add control only).
    """
    rng = random.Random(seed)
    window: list[Observation] = []
    hours = math.ceil(policy.max_duration_s / 3600)
    left = canary_total if canary_total is not None else canary_per_hour * hours
    for hour in range(1, hours + 1):
        window += calls(rng, "control", control, control_per_hour, scored)
        window += calls(rng, "canary", canary, min(canary_per_hour, left), scored)
        left -= min(canary_per_hour, left)
        result = analyze(window, policy, hour * 3600.0)
        yield result
        if result.verdict != "CONTINUE":
            return


def outcome(canary: Truth, seed: int, control_per_hour: int, canary_per_hour: int) -> tuple[str, int]:
    """Return the verdict that ended the canary and the hour it came."""
    ran = list(checks(canary, seed, control_per_hour, canary_per_hour))
    return ran[-1].verdict, len(ran)


def trace_lines(
    calls_by_hour: list[list[Observation]],
    versions: dict[str, str],
    prompt: str = "order-id",
    env: str = "production",
    prefix: str = "r",
) -> str:
    """Return DESIGN §8.1 trace records (JSON Lines) of the calls, an hour apart from 2026-12-01T00:00Z."""
    import json
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 12, 1, tzinfo=UTC)
    lines = []
    for hour, ordered in enumerate(calls_by_hour):
        batch = list(ordered)
        random.Random(hour).shuffle(batch)  # the arms interleave, as traffic does
        for index, call in enumerate(batch):
            at = start + timedelta(hours=hour, seconds=index * 3600 / max(len(batch), 1))
            record = {
                "id": f"{prefix}{hour:03d}-{index:05d}",
                "ts_start": at.isoformat().replace("+00:00", "Z"),
                "source": "promptops",
                "prompt": {
                    "name": prompt,
                    "version": versions[call.arm],
                    "environment": env,
                    "arm": call.arm,
                    "pair_id": call.pair_id,
                },
                "status": "ok" if call.ok else "error",
                "latency_ms": round(call.latency_ms or 0, 1),
                "cost_usd": call.cost_usd,
                "purpose": "shadow" if call.arm == "shadow" else "prod",
                "scores": []
                if call.score is None
                else [{"name": "judge_ok", "value": call.score, "source": "judge", "evaluator": "test"}],
            }
            lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


def hours_of(
    canary: Truth, seed: int, hours: int, control_per_hour: int, canary_per_hour: int
) -> list[list[Observation]]:
    rng = random.Random(seed)
    return [
        calls(rng, "control", EQUAL, control_per_hour, 0.5)
        + calls(rng, "canary", canary, canary_per_hour, 0.5)
        for _ in range(hours)
    ]


def fill_store(root: Path, text: str) -> int:
    """Add the JSON Lines `text` to the project's trace store as attributed records; return how many."""
    import json

    from promptops.observe.traces.record import from_data
    from promptops.observe.traces.store import Stored, TraceStore

    batch = [
        Stored(record=from_data(json.loads(line)), line=line, attributed=True)
        for line in text.splitlines()
        if line.strip()
    ]
    with TraceStore.open(root / ".promptops" / "traces") as store:
        return store.add(batch)
