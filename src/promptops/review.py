"""The CI-gate use case: gate runs against the baselines at a ref, write the reports, choose the exit code.

`eval`, `report`, `baseline update` and `promote` (through deploy.evidence) all decide here, so the
verdict and the exit code cannot depend on which command computed them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from promptops import gate
from promptops.config import GatePolicy
from promptops.errors import ExitCode, IncomparableBaselineError, InputError, PromptOpsError, UnavailableError
from promptops.evals import baselines
from promptops.evals.cases import Suite
from promptops.evals.records import Baseline, RunResult
from promptops.gate.result import GateResult
from promptops.project import Project, repo_prefix, write_atomic
from promptops.report.overall import overall
from promptops.secrets import secret_values

Message = tuple[str, str]  # ("info" | "warn", text), printed on stderr in order


@dataclass(frozen=True, kw_only=True)
class Review:
    """The gate results of one invocation, what was written, and the exit code."""

    results: tuple[GateResult, ...]
    messages: tuple[Message, ...] = ()
    annotations: tuple[str, ...] = ()  # GitHub workflow commands, for stdout
    unavailable: UnavailableError | None = None  # more errors than max_error_rate: exit 3
    exit_code: int = int(ExitCode.OK)


def policy(project: Project, suite: Suite) -> GatePolicy:
    """Return the suite's gate policy: the project-wide one with the suite's overrides."""
    return gate.policy_for(project.config, suite.gate)


def check_ref(project: Project, ref: str) -> None:
    """Raise RefError (exit 2) when `ref` names no commit."""
    from promptops.prompts.gitstore import open_store

    with open_store(project.root) as store:
        store.resolve(ref)


def error_rate(
    project: Project, suites: Sequence[Suite], runs: Sequence[RunResult]
) -> UnavailableError | None:
    """Return the exit-3 error when a suite has more errors than its `max_error_rate`, else None."""
    by_name = {s.name: s for s in suites}
    for run in runs:
        s = run.summary
        if not s.cases:
            continue
        limit = policy(project, by_name[run.suite]).max_error_rate
        rate = s.errors / s.cases
        if rate > limit:
            first = next(c.error for c in sorted(run.cases, key=lambda c: c.id) if c.error)
            return UnavailableError(
                f"{run.suite}: {s.errors} of {s.cases} cases could not be evaluated ({rate:.0%}, "
                f"max_error_rate {limit:g}); first: {first}",
                hint="the results file lists every error; a re-run retries only the failed cases "
                "(finished answers are cached)",
            )
    return None


def compare_runs(
    project: Project, runs: Sequence[RunResult], suites: Sequence[Suite], ref: str | None
) -> list[GateResult]:
    """Return the gate result of every run against its baseline in the working tree or at `ref`."""
    by_name = {s.name: s for s in suites}
    out = []
    for run in runs:
        suite = by_name.get(run.suite)
        rules = policy(project, suite) if suite is not None else project.config.gate
        base = baselines.read(project, run.suite, ref)
        try:
            result = gate.compare(run, base, rules, baseline_ref=ref)
        except IncomparableBaselineError as exc:
            where = project.relative(project.baseline_path(run.suite))
            label = f"{ref}:{where}" if ref else where
            raise IncomparableBaselineError(f"{label}: {exc.message}", hint=exc.hint) from None
        if ref is not None:
            own = baselines.read(project, run.suite)
            if own is not None and own != base:  # the change rewrites the bar it is judged by: show it
                result = replace(result, rewritten_baseline=own.summary)
        out.append(result)
    return out


def passes(project: Project, run: RunResult, base: Baseline | None, suite: Suite) -> bool:
    """Return whether `run` passes its suite's gate against `base` (the evidence `promote` asks for)."""
    result = gate.compare(run, base, policy(project, suite), baseline_ref="HEAD")
    return result.passed and not result.unavailable


def prompt_diff(project: Project, prompts: Sequence[str], base: str | None) -> tuple[str | None, str | None]:
    """Return the prompt-diff markdown of `prompts` from `base` to the working tree, and a warning."""
    from promptops.prompts.diff import diff_refs
    from promptops.prompts.registry import open_registry
    from promptops.report.diff import prompts_markdown

    try:
        registry = open_registry(project)
        result = diff_refs(registry, base, None, sorted(set(prompts)), strict=False)
    except PromptOpsError as exc:
        return None, f"no prompt diff in the report: {exc.message}"
    return prompts_markdown(result), None


@dataclass(frozen=True, kw_only=True)
class Outputs:
    """Where `gate_suites` writes its reports; `environ` supplies the GitHub variables and the secrets."""

    report_md: Path | None = None
    junit_xml: Path | None = None
    environ: Mapping[str, str]


def gate_suites(
    project: Project,
    runs: Sequence[RunResult],
    suites: Sequence[Suite],
    outputs: Outputs,
    *,
    baseline_ref: str | None = None,
) -> Review:
    """Gate `runs` against the baselines at `baseline_ref`, write the reports asked for, choose the exit code.

    When more cases errored than `max_error_rate` allows, the reports are still written (the PR comment
    says "could not evaluate") and the review carries the exit-3 error.
    """
    unavailable = error_rate(project, suites, runs)
    if unavailable is None:
        return _gate(project, runs, suites, outputs, baseline_ref)
    with contextlib.suppress(PromptOpsError):
        _gate(project, runs, suites, outputs, baseline_ref)
    return Review(results=(), unavailable=unavailable, exit_code=int(ExitCode.UNAVAILABLE))


def _gate(
    project: Project,
    runs: Sequence[RunResult],
    suites: Sequence[Suite],
    outputs: Outputs,
    baseline_ref: str | None,
) -> Review:
    from promptops.report.annotations import annotate
    from promptops.report.junit import junit
    from promptops.report.markdown import markdown

    gated = compare_runs(project, runs, suites, baseline_ref)
    secrets = secret_values(outputs.environ)
    messages: list[Message] = []
    for result in gated:
        title = "could not evaluate" if result.unavailable else result.verdict
        messages.append(("info", f"gate {result.suite}: {title}: {result.reason}"))
    summary = outputs.environ.get("GITHUB_STEP_SUMMARY")
    if outputs.report_md is not None or summary:
        diff, warning = prompt_diff(project, [r.provenance.prompt for r in runs], baseline_ref)
        if warning:
            messages.append(("warn", warning))
        if outputs.report_md is not None:
            write_atomic(outputs.report_md, markdown(gated, prompt_diff=diff, secrets=secrets))
            messages.append(("info", f"wrote {outputs.report_md}"))
        if summary:
            with Path(summary).open("a", encoding="utf-8") as handle:
                handle.write(markdown(gated, prompt_diff=diff, secrets=secrets, marker=False) + "\n")
    if outputs.junit_xml is not None:
        write_atomic(outputs.junit_xml, junit(gated, secrets=secrets))
        messages.append(("info", f"wrote {outputs.junit_xml}"))
    annotations: tuple[str, ...] = ()
    if outputs.environ.get("GITHUB_ACTIONS") == "true":
        prefix = repo_prefix(project.root)  # annotations name files from the repository root
        files = {s.name: prefix + (s.dataset or s.path) for s in suites}
        annotations = tuple(annotate(gated, files, secrets=secrets))
    return Review(
        results=tuple(gated),
        messages=tuple(messages),
        annotations=annotations,
        exit_code=overall(gated).exit_code,
    )


def report(
    project: Project, paths: Sequence[Path], base: str | None, fmt: str, environ: Mapping[str, str]
) -> tuple[str, Review]:
    """Return the combined PR report of results files (markdown or JSON) and the review behind it."""
    from promptops.evals.results import load_results, merge_shards
    from promptops.evals.suites import load_suites, suite_name

    runs: list[RunResult] = []
    for path in paths:
        runs += load_results(path, project.relative(path))
    merged = merge_shards(runs)
    known = {suite_name(project, p) for p in project.suite_files()}
    suites = load_suites(project, [r.suite for r in merged if r.suite in known])
    gated = compare_runs(project, merged, suites, base)
    secrets = secret_values(environ)
    messages: tuple[Message, ...] = ()
    if fmt == "json":
        from promptops.report.overall import gate_json

        text = gate_json(gated, secrets)
    else:
        from promptops.report.markdown import markdown

        diff, warning = prompt_diff(project, [r.provenance.prompt for r in merged], base)
        messages = (("warn", warning),) if warning else ()
        text = markdown(gated, prompt_diff=diff, secrets=secrets)
    return text, Review(results=tuple(gated), messages=messages, exit_code=overall(gated).exit_code)


def update_baseline(project: Project, suite_name: str, results_file: Path | None) -> tuple[Path, RunResult]:
    """Write the suite's baseline from a results file or a fresh run; return the path and the run."""
    from promptops.evals.suites import load_suites

    (suite,) = load_suites(project, [suite_name])
    if results_file is not None:
        run = _run_from_file(project, suite.name, results_file)
        _check_current(run, suite, project.relative(results_file))
    else:
        from promptops.evals.runner import RunOptions, run_suites

        (run,) = run_suites(project, [suite], RunOptions())
        errored = [c.id for c in run.cases if c.error is not None]
        if errored:
            raise UnavailableError(
                f"{len(errored)} of {len(run.cases)} cases of suite '{suite.name}' could not be evaluated "
                f"({', '.join(errored[:5])}); the baseline was not written",
                hint="check the provider settings and run `promptops baseline update` again",
            )
    return baselines.write(project, baselines.from_run(run)), run


def _run_from_file(project: Project, suite: str, path: Path) -> RunResult:
    from promptops.evals.results import load_results

    runs = load_results(path, project.relative(path))
    found = [r for r in runs if r.suite == suite]
    if not found:
        names = ", ".join(r.suite for r in runs) or "none"
        raise InputError(f"{project.relative(path)}: no results for suite '{suite}' (suites: {names})")
    return found[0]


def _check_current(run: RunResult, suite: Suite, label: str) -> None:
    """Refuse results made from another dataset or scorer configuration than the suite has now."""
    changed = [
        what
        for what, old, new in (
            ("dataset", run.provenance.dataset_hash, suite.dataset_hash),
            ("scorers", run.provenance.scorers_hash, suite.scorers_hash),
        )
        if old != new
    ]
    if changed:
        raise InputError(
            f"{label}: the results of suite '{suite.name}' were produced with a different "
            f"{' and '.join(changed)} than {suite.path} has now",
            hint=f"run `promptops eval {suite.name} --out results.json` again, or `promptops baseline update "
            f"{suite.name}` without --from",
        )


def plan_text(project: Project, suites: Sequence[Suite], repeats: int | None, ref: str | None) -> str:
    """Return what `eval --plan` prints: per suite, the power of the next run against its baseline."""
    from promptops.gate.plan import plan
    from promptops.report.evidence import plan_text as render

    lines = []
    for suite in suites:
        base = baselines.read(project, suite.name, ref)
        if base is None:
            lines.append(f"{suite.name}: no baseline; run `promptops baseline update {suite.name}` first")
            continue
        planned = repeats or suite.repeats or project.config.defaults.repeats
        lines.append(render([plan(base, policy(project, suite), planned)]))
    return "\n".join(lines)
