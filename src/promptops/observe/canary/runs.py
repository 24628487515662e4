"""Canary workflow metrics judged per run, not per call (DESIGN §9.4): `steps_per_run`, `cost_per_run`,
`tool_error_rate` in `rollout:` (pure, no I/O).

A run's calls are grouped by their `workflow.id`; a run belongs to the arm of its first call. Steps
(model calls) and cost per run are compared as the canary/control ratio of means (delta method on the log,
always-valid mSPRT interval: promptops.sequential.ratio_of_means), limit 1 + max_increase, like
`cost_per_call`. The tool error rate is the per-run share of failed tool calls (runs with tool calls),
compared as an absolute difference canary - control with the always-valid interval of a difference of
means, like `error_rate`: a ratio is undefined while the control has no tool errors, its healthy state.
Each of these metrics takes its share of the Bonferroni split (`rule_count` in checks.gating_count).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from promptops import sequential
from promptops.config import RolloutPolicy, RunRule
from promptops.observe.canary.metric import Arms, Classification, Metric, Observation, no_data, ratio_class

RATIO_METHOD = "ratio of mean {what} per run, delta method with mSPRT (always valid)"
RATE_METHOD = "difference of per-run tool error shares, normal mixture mSPRT (always valid)"


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


def metrics(arms: Arms, policy: RolloutPolicy, alpha: float) -> list[Metric]:
    """Return the workflow metrics the policy names (none in shadow mode: a shadow call is no run step)."""
    if arms.shadow:
        return []
    control, canary = per_run(arms.control), per_run(arms.canary)
    out = []
    for name, rule in rules(policy):
        if name == "tool_error_rate":
            out.append(_tool_errors(control, canary, rule, alpha))
            continue
        if name == "steps_per_run":
            base, head = [float(r.steps) for r in control], [float(r.steps) for r in canary]
        else:
            base = [r.cost_usd for r in control if r.cost_usd is not None]
            head = [r.cost_usd for r in canary if r.cost_usd is not None]
        what = "model calls" if name == "steps_per_run" else "cost"
        out.append(_ratio(name, RATIO_METHOD.format(what=what), base, head, rule=rule, alpha=alpha))
    return out


def _ratio(
    name: str, method: str, control: list[float], canary: list[float], *, rule: RunRule, alpha: float
) -> Metric:
    limit = 1 + rule.max_increase
    interval = sequential.ratio_of_means(control, canary, math.log(limit), alpha)
    if interval is None:
        return no_data(name, method, limit, rule.critical, (len(control), len(canary)))
    return Metric(
        name=name,
        method=method,
        control=sum(control) / len(control),
        canary=sum(canary) / len(canary),
        interval=interval,
        limit=limit,
        classification=ratio_class(interval, limit),
        non_inferior=interval.high < limit,
        critical=rule.critical,
        samples=(len(control), len(canary)),
    )


def _tool_errors(control: list[RunValues], canary: list[RunValues], rule: RunRule, alpha: float) -> Metric:
    name, margin = "tool_error_rate", rule.max_increase
    base = [r.tool_errors / r.tool_calls for r in control if r.tool_calls]
    head = [r.tool_errors / r.tool_calls for r in canary if r.tool_calls]
    if len(base) < 2 or len(head) < 2:
        return no_data(name, RATE_METHOD, margin, rule.critical, (len(base), len(head)))
    interval = sequential.difference(base, head, margin, alpha)
    classification: Classification = "pass"
    if interval.low > 0 and interval.estimate >= margin:
        classification = "worse"
    elif interval.high < 0:
        classification = "better"
    return Metric(
        name=name,
        method=RATE_METHOD,
        control=sum(base) / len(base),
        canary=sum(head) / len(head),
        interval=interval,
        limit=margin,
        classification=classification,
        non_inferior=interval.high < margin,
        critical=rule.critical,
        samples=(len(base), len(head)),
    )
