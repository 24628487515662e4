"""Canary analysis: each rollout metric of the canary arm against the control arm (pure, no I/O).

Per metric the interval is always valid (see promptops.sequential), at 1 - confidence split evenly over
the gating metrics (Bonferroni), so the chance that a canary no worse than its control is ever rolled
back, over every check of its life, stays below 1 - confidence. Harm is one-sided: a metric is `worse`
when the interval excludes no harm and the observed harm reaches the policy's limit (Kayenta's rule:
significant and larger than allowed); it is non-inferior when the interval excludes the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from promptops import sequential
from promptops.config import RolloutPolicy
from promptops.observe.canary import latency, runs
from promptops.observe.canary.metric import Arms, Classification, Metric, no_data, ratio_class
from promptops.sequential import Interval


def gating_count(policy: RolloutPolicy) -> int:
    """Return how many metrics share the error budget 1 - confidence."""
    count = int(policy.quality is not None) + int(policy.error_rate is not None)
    count += int(policy.cost_per_call is not None) + runs.rule_count(policy)
    if policy.latency is not None:
        limits = (policy.latency.p50, policy.latency.p95, policy.latency.p99, policy.latency.sla_p99_ms)
        count += sum(limit is not None for limit in limits)
    return max(count, 1)


def metrics(arms: Arms, policy: RolloutPolicy) -> list[Metric]:
    """Return every metric the policy names, in a fixed order, plus the informational latency shift."""
    alpha = (1 - policy.confidence) / gating_count(policy)
    out = []
    if policy.quality is not None:
        rule = policy.quality
        out.append(_quality(arms, rule.scorer, rule.max_drop, rule.critical, alpha))
    if policy.error_rate is not None:
        out.append(_error_rate(arms, policy.error_rate.max_increase, policy.error_rate.critical, alpha))
    control, canary = latency.latencies(arms.control), latency.latencies(arms.canary)
    if policy.latency is not None:
        rule_l = policy.latency
        for q, limit in ((50, rule_l.p50), (95, rule_l.p95), (99, rule_l.p99)):
            if limit is not None:
                rho = max(1.0, policy.min_calls_per_arm * q / 100 * (1 - q / 100))
                out.append(
                    latency.quantile_metric(
                        control, canary, q=q, limit=limit, critical=rule_l.critical, alpha=alpha, rho=rho
                    )
                )
        if rule_l.sla_p99_ms is not None:
            rho = max(1.0, policy.min_calls_per_arm * 0.0099)
            out.append(
                latency.sla_metric(
                    control, canary, sla=rule_l.sla_p99_ms, critical=rule_l.critical, alpha=alpha, rho=rho
                )
            )
        out.append(latency.shift_metric(control, canary, 1 - policy.confidence))
    if policy.cost_per_call is not None:
        rule_c = policy.cost_per_call
        out.append(_cost(arms, 1 + rule_c.max_increase, rule_c.critical, alpha))
    return out


def _growth(arms: Arms) -> float:
    """Return control calls per canary call, assumed to hold as the window grows."""
    return max(len(arms.control), 1) / max(len(arms.canary), 1)


@dataclass(frozen=True, kw_only=True)
class _Mean:
    """A difference of means and what projecting it needs."""

    interval: Interval
    control: float
    canary: float
    variance_per_call: float  # variance of the estimate times the canary calls behind it
    samples: tuple[int, int]


def _unpaired(control: list[float], canary: list[float], growth: float, margin: float, alpha: float) -> _Mean:
    (base, base_var), (head, head_var) = sequential.spread(control), sequential.spread(canary)
    interval = sequential.difference(control, canary, margin, alpha)
    return _Mean(
        interval=interval,
        control=base,
        canary=head,
        variance_per_call=head_var + base_var / growth,
        samples=(len(control), len(canary)),
    )


def _paired(pairs: list[tuple[float, float]], margin: float, alpha: float) -> _Mean:
    interval = sequential.paired_difference(pairs, margin, alpha)
    base = sum(b for b, _ in pairs) / len(pairs)
    variance = sequential.spread([h - b for b, h in pairs])[1]
    return _Mean(
        interval=interval,
        control=base,
        canary=base + interval.estimate,
        variance_per_call=variance,
        samples=(len(pairs), len(pairs)),
    )


def _rate(
    name: str,
    method: str,
    found: _Mean,
    *,
    margin: float,
    harm_up: bool,
    critical: bool,
    alpha: float,
    scale: float,
) -> Metric:
    """Judge a difference of means (a rate or a score) against an absolute margin on canary - control."""
    interval = found.interval
    sign = 1.0 if harm_up else -1.0
    harm = sign * interval.estimate
    harm_low, harm_high = sorted((sign * interval.low, sign * interval.high))
    if harm_low > 0 and harm >= margin:
        classification: Classification = "worse"
    elif harm_high < 0:
        classification = "better"
    else:
        classification = "pass"
    non_inferior = harm_high < margin
    needed = None
    if not non_inferior:
        scored = sequential.calls_needed(found.variance_per_call, harm, margin, margin, alpha)
        needed = None if scored is None else math.ceil(scored / scale)
    return Metric(
        name=name,
        method=method,
        control=found.control,
        canary=found.canary,
        interval=interval,
        limit=margin,
        classification=classification,
        non_inferior=non_inferior,
        critical=critical,
        needed=needed,
        samples=found.samples,
    )


def _quality(arms: Arms, scorer: str, margin: float, critical: bool, alpha: float) -> Metric:
    name = f"quality ({scorer})"
    if arms.shadow:
        pairs = [(a.score, b.score) for a, b in arms.pairs if a.score is not None and b.score is not None]
        method = "paired mSPRT on the score difference (always valid)"
        if len(pairs) < 2:
            return no_data(name, method, margin, critical, (len(pairs), len(pairs)))
        share = len(pairs) / len(arms.pairs)
        return _rate(
            name,
            method,
            _paired(pairs, margin, alpha),
            margin=margin,
            harm_up=False,
            critical=critical,
            alpha=alpha,
            scale=share,
        )
    control = [c.score for c in arms.control if c.ok and c.score is not None]
    canary = [c.score for c in arms.canary if c.ok and c.score is not None]
    method = "mSPRT on the difference of mean scores (always valid)"
    if len(control) < 2 or len(canary) < 2:
        return no_data(name, method, margin, critical, (len(control), len(canary)))
    found = _unpaired(control, canary, _growth(arms), margin, alpha)
    share = len(canary) / len(arms.canary)
    return _rate(
        name, method, found, margin=margin, harm_up=False, critical=critical, alpha=alpha, scale=share
    )


def _error_rate(arms: Arms, margin: float, critical: bool, alpha: float) -> Metric:
    if arms.shadow:
        pairs = [(float(not a.ok), float(not b.ok)) for a, b in arms.pairs]
        method = "paired mSPRT on the error difference (always valid)"
        if len(pairs) < 2:
            return no_data("error_rate", method, margin, critical, (len(pairs), len(pairs)))
        return _rate(
            "error_rate",
            method,
            _paired(pairs, margin, alpha),
            margin=margin,
            harm_up=True,
            critical=critical,
            alpha=alpha,
            scale=1.0,
        )
    control = [float(not c.ok) for c in arms.control]
    canary = [float(not c.ok) for c in arms.canary]
    method = "mSPRT on the difference of error rates (always valid)"
    if len(control) < 2 or len(canary) < 2:
        return no_data("error_rate", method, margin, critical, (len(control), len(canary)))
    found = _unpaired(control, canary, _growth(arms), margin, alpha)
    return _rate(
        "error_rate",
        method,
        found,
        margin=margin,
        harm_up=True,
        critical=critical,
        alpha=alpha,
        scale=1.0,
    )


def _cost(arms: Arms, limit: float, critical: bool, alpha: float) -> Metric:
    name, method = "cost_per_call", "ratio of mean costs, delta method with mSPRT (always valid)"
    control = [c.cost_usd for c in arms.control if c.cost_usd is not None]
    canary = [c.cost_usd for c in arms.canary if c.cost_usd is not None]
    interval = sequential.ratio_of_means(control, canary, math.log(limit), alpha)
    if interval is None:
        return no_data(name, method, limit, critical, (len(control), len(canary)))
    non_inferior = interval.high < limit
    return Metric(
        name=name,
        method=method,
        control=sum(control) / len(control),
        canary=sum(canary) / len(canary),
        interval=interval,
        limit=limit,
        classification=ratio_class(interval, limit),
        non_inferior=non_inferior,
        critical=critical,
        samples=(len(control), len(canary)),
    )
