"""Issue #26's canaries on a few seeds: 250 control + 50 canary calls an hour, analysed every hour.

benchmarks/canary_simulation.py runs the same on 200 seeds for the rates quoted in docs/canary.md.
"""

from __future__ import annotations

import statistics

from promptops.observe.canary.budget import alpha_shares
from promptops.observe.canary.verdict import Analysis
from support.canary_traffic import ISSUE_CANARIES, ISSUE_CONTROL, ISSUE_POLICY, Truth, checks


def run(truth: Truth, seed: int, canary_total: int | None = None) -> list[Analysis]:
    return list(
        checks(
            truth,
            seed,
            250,
            50,
            policy=ISSUE_POLICY,
            scored=1.0,
            control=ISSUE_CONTROL,
            canary_total=canary_total,
        )
    )


def test_the_error_budget_is_split_by_weight_and_reported_per_metric() -> None:
    shares = alpha_shares(ISSUE_POLICY)
    assert abs(sum(shares.values()) - 0.05) < 1e-12
    assert shares["quality (judge_ok)"] == shares["error_rate"] == 2 * shares["latency_p99"]
    last = run(ISSUE_CANARIES["quality -5 pp"], 0)[-1]
    assert {m.name: m.alpha for m in last.metrics if m.gating} == shares
    assert [m.alpha for m in last.metrics if not m.gating] == [0.0]  # the latency shift spends nothing


def test_an_equal_canary_is_not_rolled_back_at_any_hourly_check() -> None:
    for seed in range(2):  # 200 seeds in the benchmark
        ran = run(ISSUE_CANARIES["equal"], seed)
        assert "ROLLBACK" not in [a.verdict for a in ran], seed
        # a 1 pp quality margin is not shown at 3,600 canary calls: the run ends INCONCLUSIVE at 72 h
        assert (ran[-1].verdict, len(ran)) == ("INCONCLUSIVE", 72)


def test_a_quality_drop_of_5_pp_is_rolled_back_within_hours() -> None:
    hours = []
    for seed in range(20):
        ran = run(ISSUE_CANARIES["quality -5 pp"], seed)
        last = ran[-1]
        assert last.verdict == "ROLLBACK", seed
        assert last.reason == "quality (judge_ok) surely worse than allowed (critical)"
        hours.append(len(ran))
        # while it runs, `needed` counts the calls at which the drop seen so far would be decided
        assert all(a.needed is not None for a in ran[:-1])
    assert statistics.median(hours) <= 13, hours  # 11 h over 200 seeds in the benchmark
    assert max(hours) <= 36, hours


def test_a_p99_30_percent_slower_is_rolled_back_within_a_day() -> None:
    hours = []
    for seed in range(8):
        ran = run(ISSUE_CANARIES["p99 x1.30"], seed)
        last = ran[-1]
        assert (last.verdict, last.reason) == ("ROLLBACK", "latency_p99 surely worse than allowed"), seed
        by_name = {m.name: m for m in last.metrics}
        assert by_name["latency_p50"].classification == "pass"
        hours.append(len(ran))
    assert statistics.median(hours) <= 25, hours


def test_30_canary_calls_are_never_promoted_nor_rolled_back() -> None:
    for seed in range(2):
        ran = run(ISSUE_CANARIES["equal"], seed, canary_total=30)
        verdicts = {a.verdict for a in ran}
        assert verdicts == {"CONTINUE", "INCONCLUSIVE"}, seed
        assert ran[-1].arms["canary"] == 30
