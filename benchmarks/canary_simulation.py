"""Error rates of the canary verdict on seeded traffic with a known truth, checked every simulated hour.

Each run feeds one more hour of control and canary calls (DESIGN §8.4 policy: 500 calls per arm, 72 h,
confidence 0.95) and analyses the whole window, until a verdict acts or 72 checks have passed. The table
gives, per canary, the share of runs that ended in each verdict and the median hour of the end.

Run: PYTHONPATH=src:tests python benchmarks/canary_simulation.py [--runs 200] [--control 1900 --canary 100]
     [--only equal]...
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.canary_traffic import EQUAL, SLOWER_P99, WORSE_QUALITY, Truth, checks

CANARIES: dict[str, Truth] = {
    "equal": EQUAL,
    "quality -5 pp": WORSE_QUALITY,
    "p99 +30% only": SLOWER_P99,
    "too few calls (better)": Truth(quality=0.95, error_rate=0.0),
}
VERDICTS = ("PROMOTE", "ROLLBACK", "INCONCLUSIVE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--control", type=int, default=1900, help="control calls per hour")
    parser.add_argument("--canary", type=int, default=100, help="canary calls per hour")
    parser.add_argument("--only", choices=sorted(CANARIES), action="append", help="run only these canaries")
    args = parser.parse_args()
    print(f"{args.runs} runs per canary; {args.control} control + {args.canary} canary calls per hour")
    print("| canary | PROMOTE | ROLLBACK | INCONCLUSIVE (rolled back) | exit 1 | median end (h) | s/run |")
    print("|---|---|---|---|---|---|---|")
    for name, truth in CANARIES.items():
        if args.only and name not in args.only:
            continue
        per_hour = 5 if name.startswith("too few") else args.canary
        ends: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        hours = []
        promoted_early = 0
        started = time.perf_counter()
        for seed in range(args.runs):
            ran = list(checks(truth, seed, args.control, per_hour))
            last = ran[-1]
            ends[last.verdict] += 1
            hours.append(len(ran))
            promoted_early += any(a.verdict == "PROMOTE" and a.arms["canary"] < 500 for a in ran)
        took = (time.perf_counter() - started) / args.runs
        share = {v: f"{ends[v] / args.runs:.3f}" for v in VERDICTS}
        exit_one = (ends["ROLLBACK"] + ends["INCONCLUSIVE"]) / args.runs
        print(
            f"| {name} | {share['PROMOTE']} | {share['ROLLBACK']} | {share['INCONCLUSIVE']} | {exit_one:.3f} "
            f"| {statistics.median(hours):g} | {took:.2f} |"
        )
        assert promoted_early == 0, f"{name}: promoted with fewer than 500 canary calls"


if __name__ == "__main__":
    main()
