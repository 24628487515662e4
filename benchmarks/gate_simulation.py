"""Simulated pull requests with known truth through the real gate: false blocks, power, coverage.

The workload of issue 14: per case a true pass probability (70% near-certain, 20% in 0.6-0.9, 10% in
0.1-0.5); a baseline run and a head run drawn from it; PRs that change nothing, drop the pass rate by
5 pp spread over the cases or by breaking a few cases, drop it by 2 pp, or raise it by 5 pp. Each PR
draws a fresh golden set, baseline and head, and goes through `promptops.gate.compare` with the
default policy. Run: `PYTHONPATH=src python benchmarks/gate_simulation.py [PRS] [--sizes 50,200,1000]`.

Workflow suites (issue 24, `--workflow`): a case is an agent run repeated K times, with the same
per-case success rates and 2-4 model calls per run (one more in a fifth of the runs); PRs that change
nothing, break 10% of the cases, or add one model call to every run; the policy adds
`max_steps_increase: 0.2`. Run: `PYTHONPATH=src python benchmarks/gate_simulation.py 200 --workflow`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from promptops.config import GatePolicy
from promptops.evals import baselines
from promptops.evals.cases import Case
from promptops.evals.records import Attempt, CaseResult, Provenance, RunResult, ScoreValue, Summary
from promptops.evals.summary import case_result, summarize
from promptops.evals.trajectory import Step, Trajectory
from promptops.gate import compare
from promptops.gate.result import GateResult

KINDS = ("noise", "drop5", "broken5", "drop2", "up5")
WORKFLOW_KINDS = ("noise", "broken10", "one_more_step")
WORKFLOW_POLICY = GatePolicy(max_steps_increase=0.2)


def golden(n: int, rng: random.Random) -> list[float]:
    """Return the true pass probability of each of `n` cases."""
    out = []
    for i in range(n):
        share = i / n
        if share < 0.7:
            out.append(rng.uniform(0.97, 1.0))
        elif share < 0.9:
            out.append(rng.uniform(0.6, 0.9))
        else:
            out.append(rng.uniform(0.1, 0.5))
    return out


def changed(truth: Sequence[float], kind: str, rng: random.Random) -> list[float]:
    """Return the head's true pass probabilities for one kind of pull request."""
    if kind == "noise":
        return list(truth)
    if kind == "broken5":  # a few near-certain cases break outright, 5 pp in all
        out, need = list(truth), 0.05 * len(truth)
        stable = [i for i, p in enumerate(truth) if p >= 0.97]
        rng.shuffle(stable)
        for i in stable:
            if need <= 0:
                break
            need -= out[i]
            out[i] = 0.0
        return out
    step = {"drop5": -0.05, "drop2": -0.02, "up5": 0.05}[kind]
    return _shifted(truth, step)


def _shifted(truth: Sequence[float], step: float) -> list[float]:
    """Return the probabilities moved so that their mean moves by exactly `step` (clipped to 0..1)."""
    scale = 1.0
    for _ in range(30):  # clipping loses some of the shift: stretch it until the mean moved by `step`
        out = [min(1.0, max(0.0, p + step * scale)) for p in truth]
        moved = (sum(out) - sum(truth)) / len(truth)
        if abs(moved - step) < 1e-6:
            break
        scale *= step / moved
    return out


def run_of(truth: Sequence[float], repeats: int, rng: random.Random) -> RunResult:
    """Return a RunResult with `repeats` pass/fail attempts per case drawn from `truth`."""
    cases = []
    for i, p in enumerate(truth):
        attempts = tuple(_attempt(r, rng.random() < p) for r in range(repeats))
        passes = sum(1 for a in attempts if a.passed)
        rate = passes / repeats
        tags = ("hard",) if p < 0.55 else ("medium",) if p < 0.95 else ("easy",)
        cases.append(
            CaseResult(
                id=f"c{i:04d}",
                attempts=attempts,
                hash=f"h{i}",
                score=rate,
                pass_rate=rate,
                passed=rate >= 0.5,
                tags=tags,
                line=i + 1,
            )
        )
    done = len(cases)
    summary = Summary(
        cases=done,
        evaluated=done,
        errors=0,
        pass_rate=sum(c.passed for c in cases) / done,
        mean_score=sum(c.score or 0 for c in cases) / done,
        input_tokens=0,
        output_tokens=0,
        cost_usd=None,
        latency_p50_ms=None,
        latency_p95_ms=None,
    )
    return RunResult(suite="sim", provenance=_provenance("sim", repeats), cases=tuple(cases), summary=summary)


def _attempt(repeat: int, passed: bool) -> Attempt:
    value = 1.0 if passed else 0.0
    score = ScoreValue(name="exact", type="exact", value=value, passed=passed, weight=1.0, required=True)
    return Attempt(repeat=repeat, output="x", scores=(score,), score=value, passed=passed)


@dataclass
class Tally:
    prs: int = 0
    blocked: int = 0
    covered: int = 0
    silent_pass: int = 0  # PASS without the report saying the margin could not be detected


def pull_request(
    n: int, repeats: int, kind: str, rng: random.Random, policy: GatePolicy
) -> tuple[GateResult, float]:
    """Return the gate result of one simulated pull request and its true pass-rate change."""
    truth = golden(n, rng)
    head_truth = changed(truth, kind, rng)
    base = baselines.from_run(run_of(truth, repeats, rng))
    result = compare(run_of(head_truth, repeats, rng), base, policy)
    return result, (sum(head_truth) - sum(truth)) / n


def simulate(
    n: int, repeats: int, kind: str, prs: int, *, seed: int, policy: GatePolicy | None = None
) -> Tally:
    """Return how `prs` pull requests of one kind fared through the gate."""
    rng = random.Random(f"{seed}-{n}-{repeats}-{kind}")
    tally = Tally()
    for _ in range(prs):
        result, true = pull_request(n, repeats, kind, rng, policy or GatePolicy())
        rate = next(m for m in result.metrics if m.name == "pass_rate")
        assert rate.low is not None and rate.high is not None
        tally.prs += 1
        tally.blocked += not result.passed
        tally.covered += rate.low - 1e-9 <= true <= rate.high + 1e-9
        tally.silent_pass += result.passed and "cannot detect" not in result.reason
    return tally


def reused(
    n: int, repeats: int, *, base_repeats: int, baselines_count: int, prs: int, seed: int
) -> tuple[list[float], list[float]]:
    """Return, per committed baseline reused by `prs` no-change PRs, the share blocked and the coverage."""
    rng = random.Random(f"{seed}-reused-{n}-{repeats}-{base_repeats}")
    blocked, covered = [], []
    for _ in range(baselines_count):
        truth = golden(n, rng)
        base = baselines.from_run(run_of(truth, base_repeats, rng))
        results = [compare(run_of(truth, repeats, rng), base, GatePolicy()) for _ in range(prs)]
        rates = [next(m for m in r.metrics if m.name == "pass_rate") for r in results]
        blocked.append(sum(not r.passed for r in results) / prs)
        covered.append(sum((m.low or 0) <= 0 <= (m.high or 0) for m in rates) / prs)
    return blocked, covered


def workflow_run(truth: Sequence[float], steps: Sequence[int], repeats: int, rng: random.Random) -> RunResult:
    """Return a workflow RunResult: per case `repeats` agent runs, each passing with its case's probability
    and making the case's model calls (one more in a fifth of the runs)."""
    cases = []
    for i, (p, calls) in enumerate(zip(truth, steps, strict=True)):
        attempts = []
        for r in range(repeats):
            made = calls + (rng.random() < 0.2)
            trajectory = Trajectory(steps=(Step(kind="llm", name="m"),) * made, output="x")
            attempts.append(replace(_attempt(r, rng.random() < p), trajectory=trajectory))
        cases.append(case_result(Case(id=f"c{i:04d}", vars={}, hash=f"h{i}", line=i + 1), attempts))
    return RunResult(
        suite="agent", provenance=_provenance("agent", repeats), cases=tuple(cases), summary=summarize(cases)
    )


def _provenance(prompt: str, repeats: int) -> Provenance:
    return Provenance(
        prompt=prompt,
        prompt_version="1.0.0",
        content_hash="sha256:x",
        model="m",
        dataset_hash="sha256:d",
        scorers_hash="sha256:s",
        repeats=repeats,
        git_sha=None,
        promptops_version="0",
    )


def workflow_pr(n: int, repeats: int, kind: str, rng: random.Random) -> GateResult:
    """Return the gate result of one simulated pull request on a workflow suite."""
    truth = golden(n, rng)
    steps = [rng.choice((2, 3, 4)) for _ in truth]
    head_truth, head_steps = list(truth), list(steps)
    if kind == "broken10":  # a tenth of the near-certain cases break outright
        stable = [i for i, p in enumerate(truth) if p >= 0.97]
        for i in rng.sample(stable, round(0.1 * n)):
            head_truth[i] = 0.0
    elif kind == "one_more_step":
        head_steps = [s + 1 for s in steps]
    base = baselines.from_run(workflow_run(truth, steps, repeats, rng))
    return compare(workflow_run(head_truth, head_steps, repeats, rng), base, WORKFLOW_POLICY)


def simulate_workflow(n: int, repeats: int, kind: str, prs: int, *, seed: int) -> Tally:
    """Return how `prs` workflow pull requests of one kind fared through the gate."""
    rng = random.Random(f"{seed}-workflow-{n}-{repeats}-{kind}")
    tally = Tally()
    for _ in range(prs):
        result = workflow_pr(n, repeats, kind, rng)
        tally.prs += 1
        tally.blocked += not result.passed
    return tally


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("prs", nargs="?", type=int, default=200)
    parser.add_argument("--sizes", default="50,200,1000")
    parser.add_argument("--repeats", default="1,3")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--reused", action="store_true", help="one baseline reused by many no-change PRs")
    parser.add_argument("--workflow", action="store_true", help="workflow suites (agent runs, K repeats)")
    args = parser.parse_args(argv)
    if args.workflow:
        print("| N | K | PR | blocked |")
        print("|---:|---:|---|---:|")
        start = time.monotonic()
        for n in (50, 200):
            for kind in WORKFLOW_KINDS:
                t = simulate_workflow(n, 3, kind, args.prs, seed=args.seed)
                print(f"| {n} | 3 | {kind} | {t.blocked / t.prs:.1%} |", flush=True)
        took = time.monotonic() - start
        print(f"\n{args.prs} pull requests per row, seed {args.seed}, {took:.0f} s", file=sys.stderr)
        return 0
    if args.reused:
        print("| N | repeats (baseline) | blocked, per baseline | coverage, per baseline |")
        print("|---:|---:|---|---|")
        for n in (int(s) for s in args.sizes.split(",")):
            for repeats, base_repeats in ((1, 1), (3, 3), (1, 5), (3, 9)):
                kept = dict(base_repeats=base_repeats, baselines_count=10, prs=args.prs, seed=args.seed)
                blocked, covered = reused(n, repeats, **kept)
                print(
                    f"| {n} | {repeats} ({base_repeats}) | {min(blocked):.0%} - {max(blocked):.0%} | "
                    f"{min(covered):.0%} - {max(covered):.0%} |",
                    flush=True,
                )
        return 0
    print("| N | repeats | kind | blocked | interval coverage | PASS without 'cannot detect' |")
    print("|---:|---:|---|---:|---:|---:|")
    start = time.monotonic()
    for n in (int(s) for s in args.sizes.split(",")):
        for repeats in (int(r) for r in args.repeats.split(",")):
            for kind in KINDS:
                t = simulate(n, repeats, kind, args.prs, seed=args.seed)
                print(
                    f"| {n} | {repeats} | {kind} | {t.blocked / t.prs:.1%} | {t.covered / t.prs:.1%} | "
                    f"{t.silent_pass / t.prs:.1%} |",
                    flush=True,
                )
    took = time.monotonic() - start
    print(f"\n{args.prs} pull requests per row, seed {args.seed}, {took:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
