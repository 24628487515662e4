"""The canary verdict: PROMOTE, CONTINUE, ROLLBACK or INCONCLUSIVE from the metrics (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from promptops.config import RolloutPolicy
from promptops.observe.canary import runs
from promptops.observe.canary.budget import alpha_shares
from promptops.observe.canary.checks import metrics
from promptops.observe.canary.metric import Arms, Metric, Observation

Verdict = Literal["PROMOTE", "CONTINUE", "ROLLBACK", "INCONCLUSIVE"]


@dataclass(frozen=True, kw_only=True)
class Analysis:
    """A canary's verdict, the metrics behind it and the calls still needed."""

    verdict: Verdict
    exit_code: int
    reason: str
    arms: dict[str, int]  # calls per arm in the window
    metrics: tuple[Metric, ...]
    needed: int | None  # calls per arm still needed before a decision; None once decided
    elapsed_s: float
    policy: RolloutPolicy
    shadow: bool = False


def split(calls: Sequence[Observation], shadow: bool = False) -> Arms:
    """Return the arms of `calls`: control and canary, or (shadow) primary and shadow paired by id."""
    if not shadow:
        control = [c for c in calls if c.arm == "control"]
        return Arms(control=control, canary=[c for c in calls if c.arm == "canary"])
    primary = {c.pair_id: c for c in calls if c.arm != "shadow" and c.pair_id is not None}
    pairs = [(primary[c.pair_id], c) for c in calls if c.arm == "shadow" and c.pair_id in primary]
    return Arms(control=[a for a, _ in pairs], canary=[b for _, b in pairs], pairs=pairs, shadow=True)


def analyze(
    calls: Sequence[Observation], policy: RolloutPolicy, elapsed_s: float, shadow: bool = False
) -> Analysis:
    """Return the verdict on `calls` seen over `elapsed_s` seconds since the canary's first call."""
    arms = split(calls, shadow)
    extra = runs.gating(policy)
    found = (*metrics(arms, policy, extra), *runs.metrics(arms, policy, alpha_shares(policy, extra)))
    judged = runs.rule_count(policy) and not shadow  # workflow rules: a run is the unit, not a call
    counts = runs.counts(arms) if judged else {"control": len(arms.control), "canary": len(arms.canary)}
    verdict, reason = _decide(found, counts, policy, elapsed_s)
    needed = _needed(found, counts, policy) if verdict == "CONTINUE" else None
    rolled_back = verdict == "ROLLBACK" or (
        verdict == "INCONCLUSIVE" and policy.on_inconclusive == "rollback"
    )
    code = 1 if rolled_back else 0
    return Analysis(
        verdict=verdict,
        exit_code=code,
        reason=reason,
        arms=counts,
        metrics=found,
        needed=needed,
        elapsed_s=elapsed_s,
        policy=policy,
        shadow=shadow,
    )


def _decide(
    found: Sequence[Metric], counts: dict[str, int], policy: RolloutPolicy, elapsed_s: float
) -> tuple[Verdict, str]:
    gating = [m for m in found if m.gating]
    worse = [m for m in gating if m.classification == "worse"]
    enough = min(counts.values()) >= policy.min_calls_per_arm
    critical = [m for m in worse if m.critical]
    if critical:
        return "ROLLBACK", f"{_names(critical)} surely worse than allowed (critical)"
    if worse and enough:
        return "ROLLBACK", f"{_names(worse)} surely worse than allowed"
    open_metrics = [m for m in gating if not m.non_inferior]
    if enough and not open_metrics:
        return "PROMOTE", f"every metric non-inferior with {min(counts.values())} calls per arm or more"
    waiting = []
    if not enough:
        waiting.append(f"{min(counts.values())} of {policy.min_calls_per_arm} calls in the smaller arm")
    if open_metrics:
        waiting.append(f"not yet shown non-inferior: {_names(open_metrics)}")
    if worse:
        waiting.append(f"surely worse, rolled back once both arms have enough calls: {_names(worse)}")
    if elapsed_s >= policy.max_duration_s:
        action = "rolled back" if policy.on_inconclusive == "rollback" else "promoted"
        return "INCONCLUSIVE", f"max duration reached ({action} by on_inconclusive); " + "; ".join(waiting)
    return "CONTINUE", "; ".join(waiting)


def _names(found: Sequence[Metric]) -> str:
    return ", ".join(m.name for m in found)


def _needed(found: Sequence[Metric], counts: dict[str, int], policy: RolloutPolicy) -> int | None:
    """Return the calls per arm still needed before a decision, the effects staying as observed.

    The first projected rollback when a metric is heading there (a non-critical one waits for the minimum
    calls); else the last metric to be shown non-inferior, and the minimum calls.
    """
    have, fewest = counts["canary"], min(counts.values())  # the canary is the smaller, slower arm
    rollbacks = [
        metric.needed - have
        if metric.critical
        else max(metric.needed - have, policy.min_calls_per_arm - fewest)
        for metric in found
        if metric.gating and metric.needed_for == "rollback" and metric.needed is not None
    ]
    if rollbacks:
        return max(min(rollbacks), 0) or None
    wanted = [policy.min_calls_per_arm - fewest]
    for metric in found:
        if metric.gating and not metric.non_inferior and metric.needed is not None:
            wanted.append(metric.needed - have)
    return max(*wanted, 0) or None
