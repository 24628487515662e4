"""Canary verdicts on seeded traffic with a known truth, analysed every simulated hour (issue #26).

Each run feeds one more hour of calls (250 control + 50 canary, every call scored; the control passes the
judge 92% of the time) and analyses the whole window with the policy of issue #26 (quality.max_drop 0.01,
error_rate.max_increase 0.01, latency p50/p95/p99 ratios 1.10/1.20/1.15, cost 1.15, confidence 0.95,
72 h, 500 calls per arm), until a verdict acts or 72 checks have passed. Per canary the table gives the
share of runs that ended in each verdict, the median hour of the ROLLBACK (runs never rolled back count as
later than 72 h) and, for a harm, the hours a fixed-horizon one-sided z-test at the metric's own alpha
needs for 50% power: no method valid under hourly peeking can beat that, so the ratio is the figure of
merit. The fixed-horizon hours are computed in closed form from the known truth (normal approximation;
for p99 the asymptotic variance of a log sample quantile).

Run: PYTHONPATH=src python benchmarks/canary_simulation.py [--runs 200] [--only equal]...
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from promptops.observe.canary.budget import alpha_shares
from support.canary_traffic import (
    ISSUE_CANARIES,
    ISSUE_CONTROL,
    ISSUE_POLICY,
    SIGMA,
    TAIL_FROM,
    Truth,
    checks,
)

CONTROL, CANARY, HOURS = 250, 50, 72


@dataclass(frozen=True, kw_only=True)
class Scenario:
    truth: Truth
    canary_total: int | None = None
    metric: str | None = None  # the harmed metric (for the fixed-horizon column)


SCENARIOS = {
    "equal": Scenario(truth=ISSUE_CANARIES["equal"]),
    "quality -5 pp": Scenario(truth=ISSUE_CANARIES["quality -5 pp"], metric="quality (judge_ok)"),
    "p99 x1.30": Scenario(truth=ISSUE_CANARIES["p99 x1.30"], metric="latency_p99"),
    "30 canary calls": Scenario(truth=ISSUE_CANARIES["equal"], canary_total=30),
}


def fixed_hours(scenario: Scenario) -> float | None:
    """Return the hours at which a one-sided z-test at the metric's alpha, looking once, has 50% power."""
    if scenario.metric is None:
        return None
    alpha = alpha_shares(ISSUE_POLICY)[scenario.metric]
    z = NormalDist().inv_cdf(1 - alpha)
    if scenario.metric.startswith("quality"):
        base, head = ISSUE_CONTROL.quality, scenario.truth.quality
        per_hour = base * (1 - base) / CONTROL + head * (1 - head) / CANARY
        effect = base - head
    else:  # the log p99: variance q(1 - q) / (n g^2), g the density of the log latency at the quantile
        q = 0.99
        assert math.log(TAIL_FROM) / SIGMA < NormalDist().inv_cdf(q)  # the slowdown shifts the whole tail
        density = NormalDist().pdf(NormalDist().inv_cdf(q)) / SIGMA
        per_hour = q * (1 - q) / density**2 * (1 / CONTROL + 1 / CANARY)
        effect = math.log(scenario.truth.tail_slowdown)
    return (z * math.sqrt(per_hour) / effect) ** 2


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append", help="run only these canaries")
    args = parser.parse_args()
    shares = ", ".join(f"{name} {alpha:.4g}" for name, alpha in alpha_shares(ISSUE_POLICY).items())
    print(f"{args.runs} runs per canary; {CONTROL} control + {CANARY} canary calls per hour; alpha: {shares}")
    print(
        "| canary | ROLLBACK by 72 h | PROMOTE | INCONCLUSIVE | median h to ROLLBACK "
        "| fixed-horizon h (50% power) | ratio | s/run |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, scenario in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        ends = {"PROMOTE": 0, "ROLLBACK": 0, "INCONCLUSIVE": 0}
        rollback_hours = []
        started = time.perf_counter()
        for seed in range(args.runs):
            ran = list(
                checks(
                    scenario.truth,
                    seed,
                    CONTROL,
                    CANARY,
                    policy=ISSUE_POLICY,
                    scored=1.0,
                    control=ISSUE_CONTROL,
                    canary_total=scenario.canary_total,
                )
            )
            last = ran[-1].verdict
            ends[last] += 1
            rollback_hours.append(len(ran) if last == "ROLLBACK" else math.inf)
        took = (time.perf_counter() - started) / args.runs
        median = statistics.median(rollback_hours)
        fixed = fixed_hours(scenario)
        share = {verdict: f"{count / args.runs:.3f}" for verdict, count in ends.items()}
        median_text = "never" if math.isinf(median) else f"{median:g}"
        fixed_text = "-" if fixed is None else f"{fixed:.1f}"
        ratio = "-" if fixed is None or math.isinf(median) else f"{median / fixed:.2f}"
        print(
            f"| {name} | {share['ROLLBACK']} | {share['PROMOTE']} | {share['INCONCLUSIVE']} | {median_text} "
            f"| {fixed_text} | {ratio} | {took:.2f} |"
        )


if __name__ == "__main__":
    main()
