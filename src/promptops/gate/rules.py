"""The quality rules of a gate policy under each decision: pass rate, score, new failures, slices."""

from __future__ import annotations

from promptops.config import GatePolicy
from promptops.gate.result import Check, GateCheck, Metric
from promptops.gate.weighing import Weighing
from promptops.wording import ids_text

EPSILON = 1e-9


def quality_check(  # noqa: PLR0917 -- the metric, its key and its test: one call per gated mean
    policy: GatePolicy, metric: Metric, allowed: float, key: str, p_value: float | None, weighing: Weighing
) -> GateCheck | None:
    """Return the check of a mean (score or pass rate) against the drop the policy allows."""
    if metric.base is None or metric.head is None or metric.delta is None:
        return None
    rate = metric.unit == "rate"
    fmt = "{:.1%}" if rate else "{:.3f}"
    change = f"{metric.label} {fmt.format(metric.base)} → {fmt.format(metric.head)}"
    if policy.decision == "threshold":
        over = -metric.delta > allowed + EPSILON
        verb = "dropped more than" if over else "within"
        return GateCheck(
            name=metric.name,
            status="fail" if over else "pass",
            detail=f"{change}, {verb} {key} {fmt.format(allowed)}",
        )
    assert metric.low is not None and metric.high is not None
    bounds = f"[{_signed(metric.low, rate)}, {_signed(metric.high, rate)}]"
    interval = f"{policy.confidence:.0%} interval of the change {bounds}"
    margin = -allowed
    if policy.decision == "statistical":
        status: Check
        if metric.low >= margin - EPSILON:
            status, how = "pass", f"lower bound clears the margin {_signed(margin, rate)}"
        elif metric.high < margin - EPSILON:
            status, how = "fail", f"lies below the margin {_signed(margin, rate)}"
        else:
            status, how = "inconclusive", f"straddles the margin {_signed(margin, rate)}"
            cases, repeats = weighing.needed if rate else (None, None)
            if cases is not None:
                how += f"; about {cases} cases (or {repeats} repeats on base and head) would decide it"
        return GateCheck(name=metric.name, status=status, detail=f"{change}; {interval} {how}")
    # evidence: FAIL only when the drop is significant at the split error rate and a drop as large as
    # the margin is not ruled out; otherwise PASS, saying when the suite could not have seen the margin
    if p_value is None:
        return GateCheck(name=metric.name, status="pass", detail=f"{change}; too few paired cases to test")
    significant = p_value <= weighing.alpha
    test = f"one-sided p {_p(p_value)}"
    if significant and metric.low <= margin + EPSILON:
        return GateCheck(
            name=metric.name, status="fail", detail=f"{change}, a significant drop ({test}); {interval}"
        )
    if significant:
        how = f"a significant drop ({test}) but surely smaller than {key} {fmt.format(allowed)}; {interval}"
        return GateCheck(name=metric.name, status="pass", detail=f"{change}, {how}")
    text = f"{change}, no significant drop ({test})"
    power = weighing.power
    if rate and power is not None and not power.enough:
        text += f"; {underpowered(power.detectable_drop, allowed, power.needed_cases, power.needed_repeats)}"
    return GateCheck(name=metric.name, status="pass", detail=text)


def underpowered(drop: float, margin: float, cases: int | None, repeats: int | None) -> str:
    """Return the sentence that says a drop of `margin` could have gone unseen, and what would see it."""
    text = f"cannot detect a {margin * 100:.1f} pp drop: minimum detectable drop {drop * 100:.1f} pp"
    ways = []
    if cases is not None:
        ways.append(f"{cases} cases")
    if repeats is not None:
        ways.append(f"{repeats} repeats on base and head")
    return text + (f", about {' or '.join(ways)} would" if ways else "")


def new_failures_check(policy: GatePolicy, weighing: Weighing) -> GateCheck | None:
    """Return the check of cases with evidence of a drop against max_new_failures."""
    if policy.max_new_failures is None or weighing.change is None:
        return None
    found = weighing.new_failures
    over = len(found) > policy.max_new_failures
    limit = f"max_new_failures {policy.max_new_failures}"
    drops = weighing.drops
    if drops is not None and drops.possible:
        why = (
            f"{len(drops.suspects)} cases dropped by their own exact test "
            f"(noise explains {drops.expected:.1f}; p {_p(drops.p_value)})"
        )
    else:
        why = (
            f"{len(weighing.flipped) + len(found)} cases passed in the baseline and fail now, judged in "
            f"aggregate without repeats ({weighing.change.method}, p {_p(weighing.change.p_value)})"
        )
    detail = f"{len(found)} new failures" + (f" ({ids_text(found, 5)})" if found else "")
    verb = "more than" if over else "within"
    return GateCheck(
        name="new_failures", status="fail" if over else "pass", detail=f"{detail}: {why}, {verb} {limit}"
    )


def slice_checks(policy: GatePolicy, weighing: Weighing) -> list[GateCheck]:
    """Return the per-tag check when `max_slice_drop` is set: one failing slice fails it."""
    allowed = policy.max_slice_drop
    judged = [s for s in weighing.slices if s.delta is not None and s.low is not None and s.high is not None]
    if allowed is None or not judged:
        return []
    level = weighing.alpha / len(judged)  # every slice is one more test: the error rate is split again
    bad, unsure = [], []
    for s in judged:
        assert s.delta is not None and s.low is not None and s.high is not None
        if policy.decision == "threshold":
            failing = -s.delta > allowed + EPSILON
        elif policy.decision == "statistical":
            failing = s.high < -allowed - EPSILON
            if not failing and s.low < -allowed - EPSILON:
                unsure.append(s.tag)
        else:
            failing = (s.p_value or 1.0) <= level and s.low <= -allowed + EPSILON
        if failing:
            bad.append(f"{s.tag} {s.delta * 100:+.1f} pp over {s.paired} cases")
    if bad:
        return [
            GateCheck(
                name="slices",
                status="fail",
                detail=f"slices dropped more than max_slice_drop {allowed:.1%}: {'; '.join(bad[:5])}",
            )
        ]
    if unsure:
        return [
            GateCheck(
                name="slices",
                status="inconclusive",
                detail=f"slices straddle max_slice_drop {allowed:.1%}: {', '.join(unsure[:5])}",
            )
        ]
    return [
        GateCheck(
            name="slices",
            status="pass",
            detail=f"no slice of {len(judged)} dropped more than max_slice_drop {allowed:.1%}",
        )
    ]


def _signed(value: float, rate: bool) -> str:
    return f"{value:+.3f}"  # one format for both means, as the JSON and older reports have it


def _p(value: float) -> str:
    return f"= {value:.3f}" if value >= 0.001 else "< 0.001"
