"""Which workflow case runs a re-run would take from the cache (they cost nothing in `eval --plan`)."""

from __future__ import annotations

from promptops.evals.cache import CACHE_FILE, cache_key, open_cache
from promptops.evals.calls import CallRequest
from promptops.evals.cases import Suite
from promptops.evals.runner import RunOptions, plan_suite
from promptops.project import Project


def cached_runs(project: Project, suite: Suite, options: RunOptions) -> dict[str, int]:
    """Return per case id how many of its repeats are cached: built-in loop runs whose first model call
    is in the cache (with mocks and replays the rest of such a run is cached too). A target's runs
    cannot be told in advance: none count."""
    flow = suite.workflow
    if flow is None or flow.target is not None or not options.use_cache:
        return {}
    if not (project.state_dir / "cache" / CACHE_FILE).is_file():
        return {}
    plan = plan_suite(project, suite, options)
    cache = open_cache(project.state_dir)
    try:
        found = {}
        for case in plan.cases:
            request = CallRequest(
                model=plan.model,
                messages=plan.messages[case.id],
                params=dict(plan.spec.params),
                tools=plan.tools,
                tool_choice=plan.tool_choice,
                response_format=plan.response_format,
            )
            hits = sum(1 for r in range(plan.repeats) if cache.get(cache_key(request, r)) is not None)
            if hits:
                found[case.id] = hits
        return found
    finally:
        cache.close()
