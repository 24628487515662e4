"""Model and prompt upgrades side by side: every candidate on the same cases, each gated against the first.

Candidate k is judged by the same `gate.compare` as `eval`, with candidate 1 as its baseline, so
"B is not worse than A" means the same in both commands.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from promptops import gate, review
from promptops.cost import monthly
from promptops.errors import ExitCode, InputError, UnavailableError
from promptops.evals import baselines, history
from promptops.evals.cases import Suite
from promptops.evals.records import Attempt, RunResult
from promptops.evals.runner import Progress, RunOptions, run_plans
from promptops.gate.result import GateResult
from promptops.project import Project
from promptops.report.overall import overall
from promptops.report.tags import tag_pass_rates, worst_tag
from promptops.stats import percentile


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One side of a comparison: a model, a prompt version (NAME@VERSION), both, or a stored run."""

    model: str | None = None
    prompt: str | None = None
    run_id: str | None = None

    @property
    def label(self) -> str:
        if self.run_id is not None:
            return f"run {self.run_id}"
        return " · ".join(p for p in (self.prompt, self.model) if p) or "working tree"


def candidates(models: Sequence[str], prompts: Sequence[str], runs: Sequence[str]) -> list[Candidate]:
    """Return the candidates the flags name: stored runs first, then prompts x models; at least two."""
    some_prompts: list[str | None] = list(prompts) or [None]
    some_models: list[str | None] = list(models) or [None]
    found = [Candidate(run_id=r) for r in runs] + [
        Candidate(model=m, prompt=p)
        for p, m in itertools.product(some_prompts, some_models)
        if p is not None or m is not None
    ]
    if len(found) < 2:
        raise InputError(
            f"compare needs at least two candidates, got {len(found)}",
            hint="give --model A --model B, --prompt NAME@1.0.0 --prompt NAME@1.1.0, or --run ID --model B",
        )
    return found


@dataclass(frozen=True, kw_only=True)
class Standing:
    """How one candidate did: its run, its gate result against the first (None for the first)."""

    label: str
    run: RunResult
    run_id: str | None
    gate: GateResult | None
    calls: int
    cost_per_call: float | None
    monthly_cost: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    tags: Mapping[str, float]  # pass rate per tag: the tail an average hides
    worst_tag: tuple[str, float] | None


@dataclass(frozen=True, kw_only=True)
class Disagreement:
    """A case the candidates do not agree on (pass/fail), with every candidate's output."""

    case: str
    tags: tuple[str, ...]
    passed: tuple[bool | None, ...]
    outputs: tuple[str | None, ...]


@dataclass(frozen=True, kw_only=True)
class Comparison:
    suite: str
    qps: float | None
    standings: tuple[Standing, ...]
    disagreements: tuple[Disagreement, ...]
    different_outputs: int  # cases whose outputs are not all equal
    unavailable: UnavailableError | None = None

    @property
    def gated(self) -> tuple[GateResult, ...]:
        return tuple(s.gate for s in self.standings if s.gate is not None)

    def exit_code(self, gated: bool) -> int:
        """Return the exit code: 3 when a candidate could not be evaluated, else the gate's if asked."""
        if self.unavailable is not None:
            return int(ExitCode.UNAVAILABLE)
        return overall(self.gated).exit_code if gated else int(ExitCode.OK)


def compare(
    project: Project,
    suite_name: str,
    chosen: Sequence[Candidate],
    options: RunOptions,
    *,
    qps: float | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Run the fresh candidates in one pass, gate candidate k against candidate 1, keep the runs."""
    from promptops.evals.suites import load_suites

    (suite,) = load_suites(project, [suite_name])
    stored = {c.run_id: history.load(project, c.run_id) for c in chosen if c.run_id is not None}
    for run_id, run in stored.items():  # before any model call
        if run.suite != suite.name:
            raise InputError(f"run {run_id} holds suite '{run.suite}', not '{suite.name}'")
    planned = [_plan(project, suite, c, options) for c in chosen if c.run_id is None]
    ran = iter(run_plans(project, planned, options, progress) if planned else [])
    runs = [stored[c.run_id] if c.run_id is not None else next(ran) for c in chosen]
    new_ids = iter(
        history.record(
            project, [r for c, r in zip(chosen, runs, strict=True) if c.run_id is None], kind="compare"
        )
    )
    ids = [c.run_id if c.run_id is not None else next(new_ids) for c in chosen]
    unavailable = review.error_rate(project, [suite], runs)
    results: list[GateResult | None] = [None] * len(runs)
    if unavailable is None:
        reference = baselines.from_run(runs[0])
        rules = suite.policy
        for k in range(1, len(runs)):
            results[k] = gate.compare(
                runs[k], reference, rules, baseline_ref=f"candidate 1 ({chosen[0].label})"
            )
        history.set_verdicts(project, {ids[k]: r.verdict for k, r in enumerate(results) if r is not None})
    else:
        history.set_verdicts(project, dict.fromkeys(ids[1:], "ERROR"))
    rate = qps if qps is not None else traffic_qps(project, runs[0].provenance.prompt)
    standings = tuple(
        _standing(c.label, run, run_id, result, rate)
        for c, run, run_id, result in zip(chosen, runs, ids, results, strict=True)
    )
    disagreements, different = _disagreements(runs)
    return Comparison(
        suite=suite.name,
        qps=rate,
        standings=standings,
        disagreements=disagreements,
        different_outputs=different,
        unavailable=unavailable,
    )


def planned(
    project: Project, suite_name: str, chosen: Sequence[Candidate], options: RunOptions
) -> list[tuple[Suite, RunOptions]]:
    """Return the (suite, options) each fresh candidate runs with (`compare --batch` sends these first)."""
    from promptops.evals.suites import load_suites

    (suite,) = load_suites(project, [suite_name])
    return [_plan(project, suite, c, options) for c in chosen if c.run_id is None]


def traffic_qps(project: Project, prompt: str) -> float | None:
    """Return the prompt's `traffic: {NAME: {qps: Q}}` from promptops.yaml, when the config has it."""
    # `traffic` is read with getattr: the key arrives with the cost-projection work (DESIGN §8.4)
    traffic = getattr(project.config, "traffic", None) or {}
    entry = traffic.get(prompt) if isinstance(traffic, Mapping) else None
    value = getattr(entry, "qps", None) if not isinstance(entry, Mapping) else entry.get("qps")
    return float(value) if isinstance(value, int | float) else None


def _plan(
    project: Project, suite: Suite, candidate: Candidate, options: RunOptions
) -> tuple[Suite, RunOptions]:
    own = replace(options, model=candidate.model or options.model)
    if candidate.prompt is None:
        return suite, own
    from promptops.prompts.registry import open_registry, parse_selector

    selector = parse_selector(candidate.prompt)
    if selector.name != suite.prompt:
        raise InputError(
            f"--prompt {candidate.prompt}: suite '{suite.name}' evaluates prompt '{suite.prompt}'",
            hint=f"write --prompt {suite.prompt}@VERSION",
        )
    return replace(suite, spec=open_registry(project).load(selector)), own


def _standing(
    label: str, run: RunResult, run_id: str | None, result: GateResult | None, qps: float | None
) -> Standing:
    answered = [a for c in run.cases for a in c.attempts if a.output is not None]
    costs = [a.cost_usd for a in answered]
    per_call = None if not costs or None in costs else sum(c or 0.0 for c in costs) / len(costs)
    latencies = [a.latency_ms for a in answered if a.latency_ms is not None]
    rates = tag_pass_rates((c.tags, c.passed) for c in run.cases)
    return Standing(
        label=label,
        run=run,
        run_id=run_id,
        gate=result,
        calls=len(answered),
        cost_per_call=per_call,
        monthly_cost=None if qps is None else monthly(costs, qps),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        latency_p99_ms=percentile(latencies, 99),
        tags=rates,
        worst_tag=worst_tag(rates),
    )


def _disagreements(runs: Sequence[RunResult]) -> tuple[tuple[Disagreement, ...], int]:
    by_id = [{c.id: c for c in run.cases} for run in runs]
    common = sorted(set.intersection(*(set(b) for b in by_id)))
    out, different = [], 0
    for case_id in common:
        cases = [b[case_id] for b in by_id]
        outputs = tuple(_first_output(c.attempts) for c in cases)
        different += len(set(outputs)) > 1
        passed = tuple(None if c.error else c.passed for c in cases)
        if len(set(passed)) > 1:
            out.append(Disagreement(case=case_id, tags=cases[0].tags, passed=passed, outputs=outputs))
    return tuple(out), different


def _first_output(attempts: Sequence[Attempt]) -> str | None:
    return next((a.output for a in attempts if a.output is not None), None)
