"""Canary analysis: each rollout metric of the canary arm against the control arm (pure, no I/O).

The error budget 1 - confidence is split over the gating metrics (weighted Bonferroni, see
observe.canary.budget; informational metrics spend nothing). Each metric runs
two one-sided always-valid tests at its share (see promptops.sequential): harm, which rolls back, and
non-inferiority, which promotes. So the chance that a canary no worse than its control is ever rolled back,
over every check of its life, stays below 1 - confidence; and so does the chance that a canary worse than
the limits is ever promoted. A metric is `worse` when its harm bound excludes no harm and the observed harm
reaches the policy's limit (Kayenta's rule: significant and larger than allowed); it is non-inferior when
its other bound excludes the limit. The bounds are tightest at `min_calls_per_arm` canary calls.

Public and stable (observe.canary.runs builds its per-run metrics with them): `metrics`, `rate_metric`,
`ratio_metric`, and `budget.alpha_shares` for their alpha.
"""

from __future__ import annotations

import math

from promptops import sequential
from promptops.config import RolloutPolicy
from promptops.observe.canary import latency
from promptops.observe.canary.budget import alpha_shares
from promptops.observe.canary.metric import Arms, Classification, Metric, no_data, ratio_class


def metrics(arms: Arms, policy: RolloutPolicy, extra: tuple[tuple[str, bool], ...] = ()) -> list[Metric]:
    """Return every metric the policy names, in a fixed order, plus the informational latency shift.

    `extra`: further gating metrics (name, critical) the caller adds itself, at `alpha_shares(policy,
    extra)[name]`; they take their part of the budget from these.
    """
    shares = alpha_shares(policy, extra)
    target = float(policy.min_calls_per_arm)
    out = []
    if policy.quality is not None:
        rule = policy.quality
        name = f"quality ({rule.scorer})"
        out.append(
            _quality(
                arms, name, margin=rule.max_drop, critical=rule.critical, alpha=shares[name], target=target
            )
        )
    if policy.error_rate is not None:
        rule_e = policy.error_rate
        if arms.shadow:
            pairs = [(float(not a.ok), float(not b.ok)) for a, b in arms.pairs]
            method = "paired one-sided normal mixture on the error difference (always valid)"
            out.append(
                _paired_metric(
                    "error_rate",
                    method,
                    pairs,
                    margin=rule_e.max_increase,
                    harm_up=True,
                    critical=rule_e.critical,
                    alpha=shares["error_rate"],
                    target=target,
                )
            )
        else:
            out.append(
                rate_metric(
                    "error_rate",
                    "one-sided normal mixture on the difference of error rates (always valid)",
                    [float(not c.ok) for c in arms.control],
                    [float(not c.ok) for c in arms.canary],
                    margin=rule_e.max_increase,
                    harm_up=True,
                    critical=rule_e.critical,
                    alpha=shares["error_rate"],
                    target=target,
                )
            )
    control, canary = latency.latencies(arms.control), latency.latencies(arms.canary)
    if policy.latency is not None:
        rule_l = policy.latency
        for q, limit in ((50, rule_l.p50), (95, rule_l.p95), (99, rule_l.p99)):
            if limit is not None:
                share = shares[f"latency_p{q}"]
                out.append(
                    latency.quantile_metric(
                        control,
                        canary,
                        q=q,
                        limit=limit,
                        critical=rule_l.critical,
                        alpha=share,
                        target=target,
                    )
                )
        if rule_l.sla_p99_ms is not None:
            out.append(
                latency.sla_metric(
                    control,
                    canary,
                    sla=rule_l.sla_p99_ms,
                    critical=rule_l.critical,
                    alpha=shares["latency_sla_p99"],
                    target=target,
                )
            )
        out.append(latency.shift_metric(control, canary, 1 - policy.confidence))
    if policy.cost_per_call is not None:
        rule_c = policy.cost_per_call
        out.append(
            ratio_metric(
                "cost_per_call",
                "ratio of mean costs, delta method with a one-sided normal mixture (always valid)",
                [c.cost_usd for c in arms.control if c.cost_usd is not None],
                [c.cost_usd for c in arms.canary if c.cost_usd is not None],
                limit=1 + rule_c.max_increase,
                critical=rule_c.critical,
                alpha=shares["cost_per_call"],
                target=target,
            )
        )
    return out


def _judged(
    name: str,
    method: str,
    interval: sequential.Interval,
    control: float,
    canary: float,
    *,
    variance_per_call: float,
    margin: float,
    harm_up: bool,
    critical: bool,
    alpha: float,
    target: float,
    samples: tuple[int, int],
    scale: float,
) -> Metric:
    """Judge a difference of means (a rate or a score) against an absolute margin on canary - control."""
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
    if not non_inferior and classification != "worse":
        found = sequential.calls_needed(variance_per_call, harm, margin, target=target, alpha=alpha)
        needed = None if found is None else math.ceil(found / scale)
    return Metric(
        name=name,
        method=method,
        control=control,
        canary=canary,
        interval=interval,
        limit=margin,
        classification=classification,
        non_inferior=non_inferior,
        critical=critical,
        needed=needed,
        needed_for=None if needed is None else ("rollback" if harm >= margin else "promote"),
        samples=samples,
        alpha=alpha,
    )


def rate_metric(
    name: str,
    method: str,
    control: list[float],
    canary: list[float],
    *,
    margin: float,
    harm_up: bool,
    critical: bool,
    alpha: float,
    target: float,
    scale: float = 1.0,
) -> Metric:
    """Return the metric of a difference of means canary - control (independent arms) against `margin`.

    `harm_up`: a larger canary value is harm (error rates) or a smaller one is (scores). `alpha`: each one-
    sided test's budget (from `alpha_shares`); `target`: the canary calls at which the bounds are tightest;
    `scale`: values per canary call (the metric's `needed` counts calls).
    """
    if len(control) < 2 or len(canary) < 2:
        return no_data(name, method, margin, critical, (len(control), len(canary)), alpha=alpha)
    (base, base_var), (head, head_var) = sequential.spread(control), sequential.spread(canary)
    values_target = max(target * scale, 1.0)
    interval = sequential.difference(control, canary, target=values_target, alpha=alpha)
    growth = max(len(control), 1) / max(len(canary), 1)  # control values per canary value, assumed to hold
    return _judged(
        name,
        method,
        interval,
        base,
        head,
        variance_per_call=head_var + base_var / growth,
        margin=margin,
        harm_up=harm_up,
        critical=critical,
        alpha=alpha,
        target=values_target,
        samples=(len(control), len(canary)),
        scale=scale,
    )


def _paired_metric(
    name: str,
    method: str,
    pairs: list[tuple[float, float]],
    *,
    margin: float,
    harm_up: bool,
    critical: bool,
    alpha: float,
    target: float,
    scale: float = 1.0,
) -> Metric:
    if len(pairs) < 2:
        return no_data(name, method, margin, critical, (len(pairs), len(pairs)), alpha=alpha)
    values_target = max(target * scale, 1.0)
    interval = sequential.paired_difference(pairs, target=values_target, alpha=alpha)
    base = sum(b for b, _ in pairs) / len(pairs)
    return _judged(
        name,
        method,
        interval,
        base,
        base + interval.estimate,
        variance_per_call=sequential.spread([h - b for b, h in pairs])[1],
        margin=margin,
        harm_up=harm_up,
        critical=critical,
        alpha=alpha,
        target=values_target,
        samples=(len(pairs), len(pairs)),
        scale=scale,
    )


def _quality(arms: Arms, name: str, *, margin: float, critical: bool, alpha: float, target: float) -> Metric:
    if arms.shadow:
        pairs = [(a.score, b.score) for a, b in arms.pairs if a.score is not None and b.score is not None]
        method = "paired one-sided normal mixture on the score difference (always valid)"
        share = len(pairs) / len(arms.pairs) if arms.pairs else 1.0
        return _paired_metric(
            name,
            method,
            pairs,
            margin=margin,
            harm_up=False,
            critical=critical,
            alpha=alpha,
            target=target,
            scale=share or 1.0,
        )
    control = [c.score for c in arms.control if c.ok and c.score is not None]
    canary = [c.score for c in arms.canary if c.ok and c.score is not None]
    method = "one-sided normal mixture on the difference of mean scores (always valid)"
    share = len(canary) / len(arms.canary) if arms.canary else 1.0
    return rate_metric(
        name,
        method,
        control,
        canary,
        margin=margin,
        harm_up=False,
        critical=critical,
        alpha=alpha,
        target=target,
        scale=share or 1.0,
    )


def ratio_metric(
    name: str,
    method: str,
    control: list[float],
    canary: list[float],
    *,
    limit: float,
    critical: bool,
    alpha: float,
    target: float,
) -> Metric:
    """Return the metric of a ratio of positive means canary / control against the ratio `limit`."""
    interval = sequential.ratio_of_means(control, canary, target=target, alpha=alpha)
    if interval is None:
        return no_data(name, method, limit, critical, (len(control), len(canary)), alpha=alpha)
    return Metric(
        name=name,
        method=method,
        control=sum(control) / len(control),
        canary=sum(canary) / len(canary),
        interval=interval,
        limit=limit,
        classification=ratio_class(interval, limit),
        non_inferior=interval.high < limit,
        critical=critical,
        samples=(len(control), len(canary)),
        alpha=alpha,
    )
