"""The evidence behind a verdict, as report lines: the pass-rate test, power, sample size, slices."""

from __future__ import annotations

from collections.abc import Sequence

from promptops.gate.plan import Plan
from promptops.gate.result import GateResult
from promptops.report.escape import code


def evidence_lines(result: GateResult) -> list[str]:
    """Return the markdown lines that say how sure the verdict is and what would make it surer."""
    change, power = result.pass_rate_change, result.power
    if change is None or power is None:
        return []
    confidence = result.policy.confidence
    level = power.alpha
    repeats = "1 repeat" if power.repeats == 1 else f"{power.repeats} repeats"
    out = [
        "",
        f"**Evidence.** Pass-rate change {_pp(change.delta)} ({confidence:.0%} interval [{_pp(change.low)}, "
        f"{_pp(change.high)}], clustered by case, the baseline's own noise included); {change.method}: "
        f"one-sided p {_p(change.p_value)} against the level {level:.3g} "
        f"({1 - confidence:.0%} split over {round((1 - confidence) / level)} quality tests).",
    ]
    drops = result.case_drops
    if drops is not None and drops.possible:
        out.append("")
        out.append(
            f"Per-case exact tests: {len(drops.suspects)} cases dropped on their own repeats, noise explains "
            f"{drops.expected:.1f} (p {_p(drops.p_value)})."
        )
    margin = f"max\\_pass\\_rate\\_drop {power.margin * 100:.1f} pp"
    sees = (
        f"**Power.** With {power.cases} cases and {repeats}, the smallest pass-rate drop this gate catches "
        f"{power.power:.0%} of the time is {power.detectable_drop * 100:.1f} pp"
    )
    out.append("")
    if power.enough:
        out.append(f"{sees}: it can see {margin}.")
    else:
        ways = [f"about {power.needed_cases} cases"] if power.needed_cases is not None else []
        if power.needed_repeats is not None:
            ways.append(f"{power.needed_repeats} repeats on base and head")
        need = f"; {' or '.join(ways)} would" if ways else ""
        out.append(f"{sees}: ⚠️ it cannot detect {margin}, so a PASS does not rule such a drop out{need}.")
    if result.verdict == "INCONCLUSIVE" and result.needed_cases is not None:
        out.append("")
        out.append(
            f"To decide: about {result.needed_cases} cases, or {result.needed_repeats} repeats on base "
            "and head."
        )
    return out


def slice_lines(result: GateResult) -> list[list[str]]:
    """Return the table rows of the slices by tag."""
    rows = []
    for s in result.slices:
        interval = "—" if s.low is None or s.high is None else f"[{_pp(s.low)}, {_pp(s.high)}]"
        rows.append(
            [
                code(s.tag),
                str(s.cases),
                "—" if s.base is None else f"{s.base:.1%}",
                "—" if s.head is None else f"{s.head:.1%}",
                "—" if s.delta is None else _pp(s.delta),
                interval,
            ]
        )
    return rows


def _pp(value: float) -> str:
    return f"{value * 100:+.1f} pp"


def _p(value: float) -> str:
    return f"= {value:.3f}" if value >= 0.001 else "< 0.001"


def plan_text(plans: Sequence[Plan]) -> str:
    """Return the `eval --plan` lines: per suite, what the next run can see and what its margin needs."""
    out = []
    for p in plans:
        source = "from the baseline's repeats" if p.measured else "upper bound: the baseline has 1 repeat"
        line = (
            f"{p.suite}: {p.cases} cases, {p.repeats} repeats (baseline {p.baseline_repeats}); "
            f"per-case variance {p.variance:.3f} ({source}); "
            f"minimum detectable pass-rate drop {p.detectable_drop * 100:.1f} pp "
            f"({p.power:.0%} power, one-sided level {p.alpha:.3g})"
        )
        if p.enough:
            line += f": enough for max_pass_rate_drop {p.margin * 100:.1f} pp"
        else:
            ways = [f"about {p.needed_cases} cases"] if p.needed_cases is not None else []
            if p.needed_repeats is not None:
                ways.append(f"{p.needed_repeats} repeats on base and head")
            line += (
                f": not enough for max_pass_rate_drop {p.margin * 100:.1f} pp; {' or '.join(ways)} would be"
            )
        out.append(line)
    return "\n".join(out)
