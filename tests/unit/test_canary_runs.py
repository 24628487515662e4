"""Canary workflow metrics judged per run (DESIGN §9.4): seeded agent traffic with a known truth, analysed
every simulated hour on the growing window, with runs (not calls) counting toward the minimum."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from promptops.config import RolloutPolicy, RunRule
from promptops.observe.canary import runs
from promptops.observe.canary.metric import Observation
from promptops.observe.canary.verdict import Analysis, analyze, split

POLICY = RolloutPolicy(
    min_calls_per_arm=150,
    error_rate=None,
    latency=None,
    cost_per_call=None,
    steps_per_run=RunRule(max_increase=0.2, critical=True),
    tool_error_rate=RunRule(max_increase=0.05),
    cost_per_run=RunRule(max_increase=0.2),
)
CONTROL_RUNS, CANARY_RUNS = 30, 10  # per hour


@dataclass(frozen=True)
class Truth:
    extra_steps: float = 0.0  # the canary's mean extra model calls per run (control: 3)
    tool_error: float = 0.02  # the canary's chance that a tool call fails (control: 0.02)


def agent_runs(rng: random.Random, arm: str, count: int, first: int, truth: Truth) -> list[Observation]:
    out = []
    for number in range(first, first + count):
        steps = 2 + rng.randint(0, 2) + (int(truth.extra_steps) + (rng.random() < truth.extra_steps % 1))
        for _ in range(steps):
            tools = 1 if rng.random() < 0.7 else 0
            errors = int(tools and rng.random() < truth.tool_error)
            out.append(
                Observation(
                    arm=arm,
                    ok=True,
                    cost_usd=0.001 * (0.8 + 0.4 * rng.random()),
                    run=f"{arm}-{number}",
                    tool_calls=tools,
                    tool_errors=errors,
                )
            )
    return out


def checks(truth: Truth, seed: int, hours: int = 72) -> Iterator[Analysis]:
    rng = random.Random(seed)
    calls: list[Observation] = []
    for hour in range(1, hours + 1):
        calls += agent_runs(rng, "control", CONTROL_RUNS, hour * 1000, Truth())
        calls += agent_runs(rng, "canary", CANARY_RUNS, hour * 1000, truth)
        found = analyze(calls, POLICY, hour * 3600.0)
        yield found
        if found.verdict != "CONTINUE":
            return


def test_runs_not_calls_count_toward_the_minimum() -> None:
    first = next(checks(Truth(), 1))
    assert first.arms == {"control": 30, "canary": 10}
    assert [m.name for m in first.metrics] == ["steps_per_run", "tool_error_rate", "cost_per_run"]
    arms = split(agent_runs(random.Random(2), "control", 5, 0, Truth()))
    assert runs.counts(arms) == {"control": 5, "canary": 0}


def test_an_equal_canary_is_rarely_rolled_back_and_mostly_promoted() -> None:
    ended = [list(checks(Truth(), seed))[-1].verdict for seed in range(20)]
    # 1 - confidence = 0.05 over every check of a canary's life: 4 of 20 is beyond Binomial(20, 0.05)'s 98.4%
    assert sum(v in ("ROLLBACK", "INCONCLUSIVE") for v in ended) < 4, ended
    assert ended.count("PROMOTE") >= 16, ended


def test_a_canary_taking_60_percent_more_steps_is_rolled_back_on_steps_per_run() -> None:
    ended = []
    for seed in range(10):
        last = list(checks(Truth(extra_steps=1.8), seed))[-1]
        ended.append(last.verdict)
        assert last.exit_code == 1, (seed, last.reason)
        if last.verdict == "ROLLBACK":
            assert last.reason.startswith("steps_per_run")
            assert last.arms["canary"] < POLICY.min_calls_per_arm  # critical: before the minimum
    assert ended.count("ROLLBACK") >= 8, ended


def test_failing_tools_roll_the_canary_back_on_the_tool_error_rate() -> None:
    ended = []
    for seed in range(10):
        last = list(checks(Truth(tool_error=0.3), seed))[-1]
        ended.append(last.verdict)
        assert last.exit_code == 1, (seed, last.reason)
        if last.verdict == "ROLLBACK":
            assert "tool_error_rate" in last.reason
    assert ended.count("ROLLBACK") >= 8, ended
