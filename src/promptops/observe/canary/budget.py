"""The error budget of a canary: 1 - confidence split over the gating metrics (pure, no I/O).

Weighted Bonferroni: a critical metric weighs CRITICAL_WEIGHT, the others 1, informational metrics 0.
Each metric's share is the alpha of each of its two one-sided tests (harm and non-inferiority).
"""

from __future__ import annotations

from promptops.config import RolloutPolicy

CRITICAL_WEIGHT = 2.0  # a critical metric's share of the error budget against a non-critical one's


def _gating(policy: RolloutPolicy) -> list[tuple[str, bool]]:
    """Return (name, critical) of every metric that spends error budget, in report order."""
    out = []
    if policy.quality is not None:
        out.append((f"quality ({policy.quality.scorer})", policy.quality.critical))
    if policy.error_rate is not None:
        out.append(("error_rate", policy.error_rate.critical))
    if policy.latency is not None:
        rule = policy.latency
        for name, limit in (("latency_p50", rule.p50), ("latency_p95", rule.p95), ("latency_p99", rule.p99)):
            if limit is not None:
                out.append((name, rule.critical))
        if rule.sla_p99_ms is not None:
            out.append(("latency_sla_p99", rule.critical))
    if policy.cost_per_call is not None:
        out.append(("cost_per_call", policy.cost_per_call.critical))
    return out


def gating_count(policy: RolloutPolicy) -> int:
    """Return how many metrics share the error budget 1 - confidence."""
    return max(len(_gating(policy)), 1)


def alpha_shares(policy: RolloutPolicy, extra: tuple[tuple[str, bool], ...] = ()) -> dict[str, float]:
    """Return each gating metric's error budget: 1 - confidence split in proportion to the weights.

    `extra` names further gating metrics (name, critical) that share the budget (per-run metrics).
    """
    named = [*_gating(policy), *extra]
    weights = {name: CRITICAL_WEIGHT if critical else 1.0 for name, critical in named}
    total = sum(weights.values()) or 1.0
    return {name: (1 - policy.confidence) * weight / total for name, weight in weights.items()}
