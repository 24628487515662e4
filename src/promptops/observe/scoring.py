"""Scoring production samples: the suite's reference-free scorers (llm_judge included) on recorded outputs.

Each sampled record becomes a case with its recorded variables and no expected value; a scorer that needs a
reference says so and is skipped. Judge calls go through the eval cache and retry policy, one at a time, so
the spend never passes the budget by more than one call. Every score records its evaluator: the judge's
model and the hash of its instructions and rubric, and the prompt version that produced the output.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from promptops.errors import InputError
from promptops.evals.cache import ResponseCache, cache_key, open_cache
from promptops.evals.calls import CallRequest, Provider, Reply, RetryPolicy, complete
from promptops.evals.cases import Case, ScorerConfig, Suite
from promptops.evals.providers import provider_for
from promptops.evals.scoring import SCORERS, ScorerError, Subject, resolve
from promptops.evals.scoring.judge import INSTRUCTIONS
from promptops.formats import dump_json
from promptops.observe.canary.window import read_records
from promptops.observe.traces.record import Score
from promptops.observe.traces.store import TraceStore, location
from promptops.project import Project


@dataclass(frozen=True, kw_only=True)
class Sampling:
    rate: float | None = None  # share of records, chosen by a hash of the id (reproducible)
    max: int | None = None  # at most this many records
    budget_usd: float = 1.0


@dataclass
class ScoreReport:
    """What one `traces score` did."""

    candidates: int = 0
    sampled: int = 0
    scored: int = 0  # records that got at least one new score
    scores: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> scorer evaluations skipped
    spent_usd: float = 0.0
    unpriced_calls: int = 0
    over_budget: bool = False
    stored: int = 0  # new scores in the store


class _Budget(Exception):
    """The next judge call would pass the budget."""


def _share(record_id: str) -> float:
    return int.from_bytes(hashlib.sha256(record_id.encode()).digest()[:8], "big") / 2**64


def candidates(records: Sequence[Mapping[str, Any]], prompt: str, env: str | None) -> list[Mapping[str, Any]]:
    """Return the scorable records of `prompt`: production or shadow calls that succeeded, with output."""
    out = []
    for record in records:
        found = record.get("prompt") or {}
        if found.get("name") != prompt or (env is not None and found.get("environment") != env):
            continue
        if record.get("purpose") not in (None, "prod", "shadow") or record.get("status", "ok") != "ok":
            continue
        if isinstance(record.get("output"), str) and isinstance(record.get("id"), str):
            out.append(record)
    return out


def sample(records: Sequence[Mapping[str, Any]], sampling: Sampling) -> list[Mapping[str, Any]]:
    """Return the sampled records, in the stable order of their id hashes."""
    ordered = sorted(records, key=lambda r: _share(str(r["id"])))
    if sampling.rate is not None:
        ordered = [r for r in ordered if _share(str(r["id"])) < sampling.rate]
    return ordered[: sampling.max] if sampling.max is not None else ordered


def judge_hash(options: Mapping[str, Any]) -> str:
    """Return the version of a judge's prompt: the hash of the instructions, rubric and parameters."""
    text = dump_json(
        {"instructions": INSTRUCTIONS, "rubric": options.get("rubric"), "params": options.get("params")}
    )
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def score(project: Project, suite: Suite, env: str | None, sampling: Sampling) -> ScoreReport:
    """Score sampled records of the suite's prompt, append the scores to the store and report the spend."""
    store = location(project)
    report = ScoreReport()
    found = candidates(read_records(store, suite.prompt, env).records, suite.prompt, env)
    report.candidates = len(found)
    names = {config.name for config in suite.scorers}
    # a record this suite has scored is not drawn again: the next --max N takes the next N
    fresh = [
        r for r in found if not names & {s.get("name") for s in r.get("scores") or [] if isinstance(s, dict)}
    ]
    chosen = sample(fresh, sampling)
    report.sampled = len(chosen)
    cache = open_cache(project.state_dir, read=True)
    try:
        scored = asyncio.run(
            _score_all(project, suite, chosen, report, cache=cache, budget=sampling.budget_usd)
        )
    finally:
        cache.close()
    if scored:
        with TraceStore.open(store) as traces:
            report.stored = traces.add_scores(scored)
    return report


async def _score_all(
    project: Project,
    suite: Suite,
    records: Sequence[Mapping[str, Any]],
    report: ScoreReport,
    *,
    cache: ResponseCache,
    budget: float,
) -> list[tuple[str, Score]]:
    providers: dict[str, Provider] = {}
    policy = RetryPolicy.from_defaults(project.config.defaults)

    async def judge(request: CallRequest) -> Reply:
        key = cache_key(request, 0)
        hit = cache.get(key)
        if hit is not None:
            return hit
        if report.spent_usd >= budget:
            raise _Budget
        if request.model not in providers:
            providers[request.model] = provider_for(request.model, project.config)
        reply = await complete(providers[request.model], request, policy)
        cache.put(key, request.model, reply)
        if reply.cost_usd is None:
            report.unpriced_calls += 1
        else:
            report.spent_usd += reply.cost_usd
        return reply

    out: list[tuple[str, Score]] = []
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    for record in records:
        try:
            new = await _score_one(project, suite, record, report, judge=judge, now=now)
        except _Budget:
            report.over_budget = True
            break
        if new:
            report.scored += 1
            out += [(str(record["id"]), entry) for entry in new]
    return out


async def _score_one(
    project: Project, suite: Suite, record: Mapping[str, Any], report: ScoreReport, *, judge: Any, now: str
) -> list[Score]:
    variables = record.get("variables") if isinstance(record.get("variables"), dict) else {}
    case = Case(id=str(record["id"]), vars=variables or {})
    assert suite.spec is not None
    messages = _messages(record) or _rendered(suite, variables or {})
    subject = Subject(
        output=str(record["output"]),
        case=case,
        spec=suite.spec,
        messages=messages,
        reply=None,
        root=project.root,
        judge=judge,
    )
    have = {s.get("name") for s in record.get("scores") or [] if isinstance(s, dict)}
    found = record.get("prompt") or {}
    prompt = f"{found.get('name')}@{found.get('version')}"
    out = []
    for config in suite.scorers:
        if config.name in have:
            report.skipped["already scored"] += 1
            continue
        try:
            options = resolve(config, case, suite.path)
            outcome = await SCORERS[config.type].score(options, subject)
        except ScorerError as exc:
            reason = "needs a reference (expected)" if "expected" in str(exc) else f"{config.name}: {exc}"
            report.skipped[reason] += 1
            continue
        out.append(_entry(config, options, min(1.0, max(0.0, outcome.value)), prompt, now))
        report.scores[config.name] += 1
    return out


def _entry(config: ScorerConfig, options: Mapping[str, Any], value: float, prompt: str, now: str) -> Score:
    """Return the stored score; its evaluator names the judge model and prompt, and the prompt version."""
    if config.type == "llm_judge":
        evaluator = f"llm_judge {options['model']} judge_prompt={judge_hash(options)} on {prompt}"
        return Score(config.name, value, "judge", evaluator, now)
    return Score(config.name, value, "code", f"{config.type} on {prompt}", now)


def _messages(record: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    found = record.get("input_messages")
    if not isinstance(found, list):
        return ()
    return tuple(
        (str(m.get("role")), str(m.get("content")))
        for m in found
        if isinstance(m, dict) and isinstance(m.get("content"), str)
    )


def _rendered(suite: Suite, variables: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    # records without their messages: the working-tree prompt rendered with the recorded variables
    from promptops.errors import PromptOpsError
    from promptops.prompts.render import render

    assert suite.spec is not None
    try:
        return tuple((m.role, m.content) for m in render(suite.spec, dict(variables)))
    except PromptOpsError:
        return ()


def sampling(sample_rate: float | None, max_records: int | None, budget: float) -> Sampling:
    """Return the sampling `traces score` asked for; InputError (exit 2) for a bad combination."""
    if sample_rate is not None and max_records is not None:
        raise InputError("pass --sample RATE or --max N, not both")
    if sample_rate is not None and not 0 < sample_rate <= 1:
        raise InputError(f"--sample must be above 0 and at most 1, got {sample_rate:g}")
    if max_records is not None and max_records < 1:
        raise InputError(f"--max must be at least 1, got {max_records}")
    if budget < 0:
        raise InputError(f"--budget must not be negative, got {budget:g}")
    return Sampling(rate=sample_rate, max=max_records, budget_usd=budget)


def score_prompts(
    project: Project, name: str | None, env: str | None, asked: Sampling
) -> list[tuple[Suite, ScoreReport]]:
    """Score every suite of `name` (default: every suite) within one budget; a report per suite."""
    from promptops.evals.suites import load_suites

    suites = [s for s in load_suites(project) if name is None or s.prompt == name]
    if not suites:
        raise InputError(
            f"no eval suite for prompt '{name}': its scorers are what score the samples",
            hint=f"add evals/{name}.yaml with `prompt: {name}` and reference-free scorers such as llm_judge",
        )
    out = []
    spent = 0.0
    for suite in suites:
        left = max(asked.budget_usd - spent, 0.0)
        report = score(project, suite, env, Sampling(rate=asked.rate, max=asked.max, budget_usd=left))
        spent += report.spent_usd
        out.append((suite, report))
    return out
