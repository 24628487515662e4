"""Runs suites: render every case, call the model concurrently (cached, retried), score, aggregate."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from promptops.errors import FileFormatError, InputError, Problem, PromptOpsError, UnavailableError
from promptops.evals.cache import CACHE_FILE, ResponseCache, cache_key, open_cache
from promptops.evals.calls import (
    CallRequest,
    ChatMessage,
    Provider,
    ProviderError,
    Reply,
    RetryPolicy,
    Streamed,
    close,
    complete,
)
from promptops.evals.cases import Case, Suite
from promptops.evals.providers import provider_for
from promptops.evals.records import Attempt, CacheStats, Provenance, RunResult
from promptops.evals.scoring import Subject, evaluate_case, resolve, scorers_for
from promptops.evals.summary import case_result, summarize
from promptops.evals.workflow.attempt import TargetRunner, WorkflowCase, workflow_attempt
from promptops.formats import content_hash
from promptops.project import Project
from promptops.prompts import working
from promptops.prompts.render import render
from promptops.spec import PromptSpec
from promptops.version import __version__

if TYPE_CHECKING:  # aiohttp (the proxy) loads only when a `target` suite runs
    from promptops.evals.workflow.proxy import Forward, Proxy

Progress = Callable[[int, int], None]  # (attempts done, attempts planned)
# streamed calls (`eval --latency-profile`, a suite's `latency: {stream: true}`) run this many at a time
# unless --concurrency says otherwise: a busy client measures its own queue, not the model's first token
PROFILE_CONCURRENCY = 2


@dataclass(frozen=True, kw_only=True)
class Shard:
    """Part `index` (1-based) of `count`: a stable split of cases by a hash of their id."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if match is None or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise InputError(f"--shard '{text}': expected I/N with 1 <= I <= N, e.g. 1/4")
        return cls(index=int(match.group(1)), count=int(match.group(2)))

    def holds(self, case_id: str) -> bool:
        digest = hashlib.sha256(case_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    model: str | None = None  # overrides every prompt's pinned model (e.g. to try an upgrade)
    repeats: int | None = None
    concurrency: int | None = None
    use_cache: bool = True
    shard: Shard | None = None
    latency_profile: bool = False  # stream every call, uncached, timing the first chunk and token


class InterruptedRun(KeyboardInterrupt):
    """Ctrl-C: carries the results of the cases that finished (their answers are in the cache)."""

    def __init__(self, runs: list[RunResult]) -> None:
        super().__init__()
        self.runs = runs


class UnavailableRun(UnavailableError):
    """A model that no call can reach (auth, unreachable): carries every suite's results, its cases
    recorded with the error, so the results file is still written (exit 3)."""

    def __init__(self, error: ProviderError, runs: list[RunResult]) -> None:
        super().__init__(f"could not evaluate: {error.message}", hint=error.hint)
        self.runs = runs


@dataclass
class _Plan:
    suite: Suite
    spec: PromptSpec
    model: str
    repeats: int
    cases: list[Case]
    messages: dict[str, tuple[ChatMessage, ...]]
    options: dict[str, list[dict[str, Any]]]
    attempts: dict[str, dict[int, Attempt]] = field(default_factory=dict)
    # the prompt's tools, tool choice and response format in the OpenAI shape, built once per suite
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    override: str | None = None  # `--model`: also the upstream model of a target's calls
    target: TargetRunner | None = None  # a workflow suite's `target`, once the proxy runs
    hits: int = 0
    misses: int = 0
    stream: bool = False


def plan_suite(project: Project, suite: Suite, options: RunOptions) -> _Plan:
    """Return what to run for `suite`: every case rendered and every scorer templated, or raise."""
    spec = suite.spec or working.load_prompt(project, suite.prompt)
    repeats = options.repeats or suite.repeats or project.config.defaults.repeats
    cases = [c for c in suite.cases if options.shard is None or options.shard.holds(c.id)]
    label = suite.dataset or suite.path
    problems: list[Problem] = []
    messages: dict[str, tuple[ChatMessage, ...]] = {}
    resolved: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        try:
            messages[case.id] = tuple(
                (m.role, m.content) if m.plain else m.as_dict() for m in render(spec, case.vars, project.root)
            )
        except FileFormatError as exc:
            problems.extend(
                Problem(file=label, line=case.line, path="vars", message=p.message) for p in exc.problems
            )
        except PromptOpsError as exc:
            problems.append(Problem(file=label, line=case.line, path="vars", message=exc.message))
        try:
            resolved[case.id] = [
                resolve(s, case, f"scorer {s.name}") for s in scorers_for(suite.scorers, case)
            ]
        except PromptOpsError as exc:
            problems.append(Problem(file=label, line=case.line, path="", message=exc.message))
    if problems:
        raise FileFormatError(problems[:50])
    model = options.model or spec.model
    return _Plan(
        suite,
        spec,
        model,
        repeats,
        cases,
        messages,
        resolved,
        tools=tuple(spec.openai_tools()),
        tool_choice=spec.openai_tool_choice(),
        response_format=spec.response_format(),
        override=options.model,
        stream=options.latency_profile or suite.stream,
    )


def _text_pair(message: ChatMessage) -> tuple[str, str]:
    """Return (role, text) of a sent message, for scorers that read the prompt (llm_judge)."""
    if isinstance(message, tuple):
        return message
    content = message.get("content")
    if isinstance(content, list):
        content = "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(message.get("role", "")), content if isinstance(content, str) else ""


class _Calls:
    """Model calls through the cache, the provider and the retry policy."""

    def __init__(self, project: Project, cache: ResponseCache, policy: RetryPolicy) -> None:
        self.project = project
        self.cache = cache
        self.policy = policy
        self.providers: dict[str, Provider] = {}
        # a model whose every call would fail the same way (auth, unreachable): its remaining cases
        # are recorded with that error at once, the other models' cases still run
        self.dead: dict[str, ProviderError] = {}
        self.proxy: Proxy | None = None  # the loopback proxy of `target` suites, started when one runs

    async def get(self, request: CallRequest, repeat: int, plan: _Plan) -> tuple[Reply, bool]:
        key = cache_key(request, repeat)
        hit = self.cache.get(key)
        if hit is not None:
            plan.hits += 1
            return hit, True
        plan.misses += 1
        if request.model in self.dead:
            raise self.dead[request.model]
        if request.model not in self.providers:
            self.providers[request.model] = provider_for(request.model, self.project.config)
        try:
            reply = await complete(self.providers[request.model], request, self.policy)
        except ProviderError as exc:
            if exc.fatal:
                self.dead.setdefault(request.model, exc)
            raise
        self.cache.put(key, request.model, reply)
        return reply, False

    async def streamed(self, request: CallRequest, plan: _Plan) -> Reply:
        """Return a fresh answer read as a stream: never from the cache, never into it (it is a timing)."""
        plan.misses += 1
        if request.model in self.dead:
            raise self.dead[request.model]
        try:
            return await complete(Streamed(self._provider(request.model)), request, self.policy)
        except ProviderError as exc:
            if exc.fatal:
                self.dead.setdefault(request.model, exc)
            raise

    def _provider(self, model: str) -> Provider:
        if model not in self.providers:
            self.providers[model] = provider_for(model, self.project.config)
        return self.providers[model]

    async def warm(self, plans: Sequence[_Plan], connections: int) -> None:
        """Open `connections` connections per streamed model with unrecorded calls, so no measured call
        pays for a connection, a TLS handshake or a first import."""
        first: dict[str, CallRequest] = {}
        for plan in plans:
            if plan.stream and plan.cases and plan.model not in first:
                messages, params = plan.messages[plan.cases[0].id], dict(plan.spec.params)
                first[plan.model] = CallRequest(model=plan.model, messages=messages, params=params)
        calls = [
            Streamed(self._provider(r.model)).complete(r, self.policy.timeout_s)
            for r in first.values()
            for _ in range(connections)
        ]
        await asyncio.gather(*calls, return_exceptions=True)  # a failing model fails in the measured calls


def request_for(plan: _Plan, case: Case) -> CallRequest:
    """Return the model call of `case` in `plan` (what its cache key is made from; batches send it)."""
    return CallRequest(
        model=plan.model,
        messages=plan.messages[case.id],
        params=dict(plan.spec.params),
        tools=plan.tools,
        tool_choice=plan.tool_choice,
        response_format=plan.response_format,
    )


async def _attempt(calls: _Calls, plan: _Plan, case: Case, repeat: int) -> Attempt:
    request = request_for(plan, case)
    if plan.suite.workflow is not None:
        workflow = plan.suite.workflow
        if case.id in workflow.case_doubles:  # the case replays its own recorded tool results
            workflow = replace(workflow, doubles=workflow.case_doubles[case.id])
        job = WorkflowCase(
            workflow=workflow,
            spec=plan.spec,
            request=request,
            case=case,
            scorers=scorers_for(plan.suite.scorers, case),
            options=plan.options[case.id],
            root=calls.project.root,
        )
        return await workflow_attempt(job, repeat, lambda r: calls.get(r, repeat, plan), plan.target)
    try:
        reply, cached = (
            (await calls.streamed(request, plan), False)
            if plan.stream
            else await calls.get(request, repeat, plan)
        )
    except ProviderError as exc:
        return Attempt(repeat=repeat, output=None, scores=(), score=None, passed=None, error=exc.message)

    async def judge(judge_request: CallRequest) -> Reply:
        return (await calls.get(judge_request, repeat, plan))[0]

    subject = Subject(
        output=reply.text,
        case=case,
        spec=plan.spec,
        messages=tuple(_text_pair(m) for m in plan.messages[case.id]),
        reply=reply,
        root=calls.project.root,
        judge=judge,
    )
    scored = await evaluate_case(scorers_for(plan.suite.scorers, case), plan.options[case.id], subject)
    return Attempt(
        repeat=repeat,
        output=reply.text,
        scores=scored.scores,
        score=scored.score,
        passed=scored.passed,
        error=scored.error,
        input_tokens=reply.input_tokens,
        output_tokens=reply.output_tokens,
        cost_usd=reply.cost_usd,
        latency_ms=reply.latency_ms,
        cached=cached,
        tool_calls=reply.tool_calls,
        finish_reason=reply.finish_reason,
        first_chunk_ms=reply.first_chunk_ms,
        ttft_ms=reply.ttft_ms,
    )


def _result(plan: _Plan, git_sha: str | None, shard: Shard | None, finished_only: bool = False) -> RunResult:
    cases = []
    for case in plan.cases:
        done = plan.attempts.get(case.id, {})
        if finished_only and len(done) < plan.repeats:
            continue
        cases.append(case_result(case, [done[r] for r in sorted(done)]))
    provenance = Provenance(
        prompt=plan.spec.name,
        prompt_version=plan.spec.version,
        content_hash=content_hash(plan.spec.content()),
        model=plan.model,
        dataset_hash=plan.suite.dataset_hash,
        scorers_hash=plan.suite.scorers_hash,
        repeats=plan.repeats,
        git_sha=git_sha,
        promptops_version=__version__,
    )
    return RunResult(
        suite=plan.suite.name,
        provenance=provenance,
        cases=tuple(cases),
        summary=summarize(cases),
        cache=CacheStats(hits=plan.hits, misses=plan.misses),
        shard=None if shard is None else str(shard),
    )


def _target(calls: _Calls, proxy: Proxy, plan: _Plan) -> TargetRunner:
    from promptops.evals.workflow.hosting import target_runner

    assert plan.suite.workflow is not None

    def forward_for(repeat: int) -> Forward:
        async def forward(request: CallRequest) -> Reply:
            upstream = replace(request, model=plan.override) if plan.override else request
            return (await calls.get(upstream, repeat, plan))[0]

        return forward

    return target_runner(
        proxy, plan.suite.workflow, root=calls.project.root, parent=os.environ, forward_for=forward_for
    )


async def _execute(
    plans: list[_Plan], calls: _Calls, concurrency: int, progress: Progress | None, profile: int
) -> None:
    semaphore = asyncio.Semaphore(concurrency)
    streamed = asyncio.Semaphore(profile)
    targets = [p for p in plans if p.suite.workflow is not None and p.suite.workflow.target is not None]
    if targets:
        from promptops.evals.workflow.proxy import Proxy

        calls.proxy = Proxy()
        await calls.proxy.start()
        for plan in targets:
            plan.target = _target(calls, calls.proxy, plan)
    total = sum(len(p.cases) * p.repeats for p in plans)
    done = 0
    fatal: list[ProviderError] = []

    async def one(plan: _Plan, case: Case, repeat: int) -> None:
        nonlocal done
        async with streamed if plan.stream else semaphore:
            if fatal:  # every other call would fail the same way: start no more
                return
            try:
                attempt = await _attempt(calls, plan, case, repeat)
            except ProviderError as exc:
                fatal.append(exc)
                raise
        plan.attempts.setdefault(case.id, {})[repeat] = attempt
        done += 1
        if progress is not None:
            progress(done, total)

    if any(plan.stream for plan in plans):
        await calls.warm(plans, profile)
    tasks = [
        asyncio.ensure_future(one(plan, case, repeat))
        for plan in plans
        for case in plan.cases
        for repeat in range(plan.repeats)
    ]
    if progress is not None:
        progress(0, total)
    try:
        for finished in asyncio.as_completed(tasks):
            await finished
    except ProviderError as exc:
        raise UnavailableError(f"could not evaluate: {exc.message}", hint=exc.hint) from None
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for provider in calls.providers.values():
            await close(provider)
        if calls.proxy is not None:
            await calls.proxy.stop()


def run_suites(
    project: Project,
    suites: Sequence[Suite],
    options: RunOptions,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[RunResult]:
    """Run every suite and return one RunResult per suite; raise InterruptedRun on Ctrl-C."""
    return run_plans(project, [(suite, options) for suite in suites], options, progress, warn)


def run_plans(
    project: Project,
    planned: Sequence[tuple[Suite, RunOptions]],
    options: RunOptions,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[RunResult]:
    """Run each (suite, options) pair in one pass over one cache (compare's candidates); a RunResult each."""
    plans = [plan_suite(project, suite, own) for suite, own in planned]
    defaults = project.config.defaults
    policy = RetryPolicy.from_defaults(defaults)
    project.contained(project.state_dir / "cache" / CACHE_FILE)  # a committed symlink cannot move the cache
    cache = open_cache(project.state_dir, read=options.use_cache, warn=warn)
    calls = _Calls(project, cache, policy)
    sha = git_sha(project)
    try:
        concurrency = options.concurrency or defaults.concurrency
        profile = options.concurrency or PROFILE_CONCURRENCY
        asyncio.run(_execute(plans, calls, concurrency, progress, profile))
    except KeyboardInterrupt:
        raise InterruptedRun([_result(p, sha, options.shard, finished_only=True) for p in plans]) from None
    finally:
        cache.close()
    runs = [_result(p, sha, options.shard) for p in plans]
    if calls.dead:
        raise UnavailableRun(next(iter(calls.dead.values())), runs)
    return runs


def git_sha(project: Project) -> str | None:
    """Return the commit the project's working tree is on, or None outside git."""
    from promptops.errors import RefError
    from promptops.prompts.gitstore import open_store

    try:
        with open_store(project.root) as store:
            return store.head()
    except RefError:
        return None
