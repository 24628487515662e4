"""Canary workflow metrics judged per run, not per call (DESIGN §9.4): `steps_per_run`, `cost_per_run`,
`tool_error_rate` in `rollout:` (pure, no I/O).

A run's calls are grouped by their `workflow.id`; a run belongs to the arm of its first call. Steps
(model calls) and cost per run are compared as the canary/control ratio of means (one-sided always-valid
bounds on the log ratio: checks.ratio_metric), limit 1 + max_increase, like `cost_per_call`. The tool
error rate is the per-run share of failed tool calls (runs with tool calls), compared as an absolute
difference canary - control (checks.rate_metric), like `error_rate`: a ratio is undefined while the
control has no tool errors, its healthy state. Each of these metrics takes its share of the error budget
(`gating` is passed to budget.alpha_shares as its `extra`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from promptops.config import RolloutPolicy, RunRule
from promptops.observe.canary.checks import rate_metric, ratio_metric
from promptops.observe.canary.metric import Arms, Metric, Observation

RATIO_METHOD = "ratio of mean {what} per run, one-sided normal mixture on the log ratio (always valid)"
RATE_METHOD = "difference of per-run tool error shares, one-sided normal mixture (always valid)"


@dataclass(frozen=True, kw_only=True)
class RunValues:
    steps: int
    tool_calls: int
    tool_errors: int
    cost_usd: float | None  # None when any call's cost is unknown


def rules(policy: RolloutPolicy) -> list[tuple[str, RunRule]]:
    """Return the workflow rules the policy sets, in a fixed order."""
    found = (
        ("steps_per_run", policy.steps_per_run),
        ("tool_error_rate", policy.tool_error_rate),
        ("cost_per_run", policy.cost_per_run),
    )
    return [(name, rule) for name, rule in found if rule is not None]


def rule_count(policy: RolloutPolicy) -> int:
    """Return how many gating metrics the workflow rules add."""
    return len(rules(policy))


def per_run(calls: Sequence[Observation]) -> list[RunValues]:
    """Return one value set per run among `calls` (calls outside any run are not runs)."""
    grouped: dict[str, list[Observation]] = {}
    for call in calls:
        if call.run is not None:
            grouped.setdefault(call.run, []).append(call)
    out = []
    for members in grouped.values():
        costs = [c.cost_usd for c in members]
        out.append(
            RunValues(
                steps=len(members),
                tool_calls=sum(c.tool_calls for c in members),
                tool_errors=sum(c.tool_errors for c in members),
                cost_usd=None if any(c is None for c in costs) else sum(c or 0.0 for c in costs),
            )
        )
    return out


def counts(arms: Arms) -> dict[str, int]:
    """Return the runs per arm (what counts toward `min_calls_per_arm` when workflow rules are set)."""
    return {"control": len(per_run(arms.control)), "canary": len(per_run(arms.canary))}


def gating(policy: RolloutPolicy) -> tuple[tuple[str, bool], ...]:
    """Return (name, critical) of the workflow metrics the policy sets: their claim on the error budget."""
    return tuple((name, rule.critical) for name, rule in rules(policy))


def metrics(arms: Arms, policy: RolloutPolicy, shares: Mapping[str, float]) -> list[Metric]:
    """Return the workflow metrics the policy names (none in shadow mode: a shadow call is no run step),
    each at its error budget in `shares` (budget.alpha_shares with `gating(policy)` as extra)."""
    if arms.shadow:
        return []
    control, canary = per_run(arms.control), per_run(arms.canary)
    target = float(policy.min_calls_per_arm)  # runs count toward min_calls_per_arm under workflow rules
    out = []
    for name, rule in rules(policy):
        alpha = shares[name]
        if name == "tool_error_rate":
            base = [r.tool_errors / r.tool_calls for r in control if r.tool_calls]
            head = [r.tool_errors / r.tool_calls for r in canary if r.tool_calls]
            out.append(
                rate_metric(
                    name,
                    RATE_METHOD,
                    base,
                    head,
                    margin=rule.max_increase,
                    harm_up=True,
                    critical=rule.critical,
                    alpha=alpha,
                    target=target,
                )
            )
            continue
        if name == "steps_per_run":
            base, head = [float(r.steps) for r in control], [float(r.steps) for r in canary]
        else:
            base = [r.cost_usd for r in control if r.cost_usd is not None]
            head = [r.cost_usd for r in canary if r.cost_usd is not None]
        what = "model calls" if name == "steps_per_run" else "cost"
        out.append(
            ratio_metric(
                name,
                RATIO_METHOD.format(what=what),
                base,
                head,
                limit=1 + rule.max_increase,
                critical=rule.critical,
                alpha=alpha,
                target=target,
            )
        )
    return out
