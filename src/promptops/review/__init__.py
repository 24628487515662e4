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
from promptops.cost import MonthlyCost, monthly
from promptops.errors import ExitCode, IncomparableBaselineError, InputError, PromptOpsError, UnavailableError
from promptops.evals import baselines
from promptops.evals.cases import Suite
from promptops.evals.records import Baseline, CaseResult, RunResult, base_side, head_side
from promptops.evals.runner import RunOptions
from promptops.gate.estimate import CostEstimate, estimate, estimate_text
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
        limit = by_name[run.suite].policy.max_error_rate
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
        rules = suite.policy if suite is not None else project.config.gate
        base = baselines.read(project, run.suite, ref)
        try:
            result = gate.compare(run, base, rules, baseline_ref=ref)
        except IncomparableBaselineError as exc:
            label = _baseline_label(project, run.suite, ref)
            raise IncomparableBaselineError(f"{label}: {exc.message}", hint=exc.hint) from None
        if ref is not None:
            own = baselines.read(project, run.suite)
            if own is not None and own != base:  # the change rewrites the bar it is judged by: show it
                result = replace(result, rewritten_baseline=own.summary)
        out.append(result)
    return out


def monthly_costs(project: Project, runs: Sequence[RunResult], ref: str | None) -> dict[str, MonthlyCost]:
    """Return, per suite whose prompt has `traffic:` configured, base and head spend a month at that rate."""
    out = {}
    for run in runs:
        traffic = project.config.traffic.get(run.provenance.prompt)
        if traffic is None:
            continue
        base = baselines.read(project, run.suite, ref)
        base_costs = [] if base is None else [base_side(c).cost for c in base.cases if not c.error]
        paired = None if base is None else {c.id for c in base.cases}
        # on the cases both sides ran, so added cases do not pass for a cost of the change
        ran = [c for c in run.cases if c.error is None and (paired is None or c.id in paired)]
        head = [head_side(c).cost for c in ran]
        out[run.suite] = MonthlyCost(
            qps=traffic.qps, base=monthly(base_costs, traffic.qps), head=monthly(head, traffic.qps)
        )
    return out


def check_comparable(project: Project, suites: Sequence[Suite], ref: str | None, *, sharded: bool) -> None:
    """Raise IncomparableBaselineError (exit 2) before any model call when a suite's cases or scorers
    no longer match its baseline at `ref`: the run could not be gated, so it must not be paid for."""
    for suite in suites:
        base = baselines.read(project, suite.name, ref)
        if base is None:
            continue
        planned = RunResult(
            suite=suite.name,
            provenance=replace(base.provenance, scorers_hash=suite.scorers_hash),
            cases=tuple(CaseResult(id=c.id, attempts=(), hash=c.hash) for c in suite.cases),
            summary=base.summary,
            shard="planned" if sharded else None,
        )
        try:
            gate.check_comparable(planned, base)
        except IncomparableBaselineError as exc:
            raise IncomparableBaselineError(
                f"{_baseline_label(project, suite.name, ref)}: {exc.message}", hint=exc.hint
            ) from None


def _baseline_label(project: Project, suite: str, ref: str | None) -> str:
    where = project.relative(project.baseline_path(suite))
    return f"{ref}:{where}" if ref else where


def passes(project: Project, run: RunResult, base: Baseline | None, suite: Suite) -> bool:
    """Return whether `run` passes its suite's gate against `base` (the evidence `promote` asks for)."""
    result = gate.compare(run, base, suite.policy, baseline_ref="HEAD")
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
    report_html: Path | None = None
    environ: Mapping[str, str]
    run_ids: Sequence[str] = ()  # the history ids of `runs`, to record each one's verdict


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
    from promptops.evals import history
    from promptops.evals.results import as_read

    runs = as_read(runs)  # gate what the results file records, so `report --results` agrees
    unavailable = error_rate(project, suites, runs)
    if unavailable is None:
        reviewed = _gate(project, runs, suites, outputs, baseline_ref)
        verdicts = {r.suite: r.verdict for r in reviewed.results}
        ids = dict(zip(outputs.run_ids, runs, strict=False))  # no ids when the history was not written
        history.set_verdicts(project, {i: verdicts[r.suite] for i, r in ids.items() if r.suite in verdicts})
        return reviewed
    with contextlib.suppress(PromptOpsError):
        _gate(project, runs, suites, outputs, baseline_ref)
    history.set_verdicts(project, dict.fromkeys(outputs.run_ids, "ERROR"))
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
        costs = monthly_costs(project, runs, baseline_ref)
        if outputs.report_md is not None:
            write_atomic(outputs.report_md, markdown(gated, prompt_diff=diff, secrets=secrets, costs=costs))
            messages.append(("info", f"wrote {outputs.report_md}"))
        if summary:
            try:
                with Path(summary).open("a", encoding="utf-8") as handle:
                    handle.write(
                        markdown(gated, prompt_diff=diff, secrets=secrets, marker=False, costs=costs) + "\n"
                    )
            except OSError as exc:  # the step summary is a courtesy: it never decides the exit code
                messages.append(("warn", f"cannot write the step summary {summary}: {exc.strerror or exc}"))
    if outputs.junit_xml is not None:
        write_atomic(outputs.junit_xml, junit(gated, secrets=secrets))
        messages.append(("info", f"wrote {outputs.junit_xml}"))
    if outputs.report_html is not None:
        write_html(project, gated, runs, baseline_ref, outputs.report_html, secrets)
        messages.append(("info", f"wrote {outputs.report_html}"))
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


def write_html(  # noqa: PLR0917 (one call site each, in this module)
    project: Project,
    gated: Sequence[GateResult],
    runs: Sequence[RunResult],
    ref: str | None,
    path: Path,
    secrets: Sequence[str],
) -> None:
    """Write the HTML report of gate results; base outputs come from the run history when it has them."""
    from promptops.evals import history
    from promptops.report.html import html, panel

    by_suite = {r.suite: r for r in runs}
    panels = []
    for result in gated:
        base = baselines.read(project, result.suite, ref)
        base_run = None
        if result.base is not None:
            base_run = history.find(project, result.suite, result.base.content_hash, result.base.model)
        panels.append(panel(result, by_suite[result.suite], base, base_run))
    summary = overall(gated)
    title = "promptops eval: " + ", ".join(r.suite for r in gated)
    verdict = "could not evaluate" if summary.unavailable else summary.verdict
    write_atomic(path, html(title, verdict, summary.reason, panels, secrets=secrets))


def read_runs(project: Project, sources: Sequence[Path]) -> list[RunResult]:
    """Return the runs in results files, or in stored runs named by id (`promptops runs` lists them).

    A run of a suite that has no suite file is bad input: no policy and no baseline can hold it.
    """
    from promptops.evals import history
    from promptops.evals.results import load_results
    from promptops.evals.suites import suite_name

    known = {suite_name(project, p) for p in project.suite_files()}
    runs: list[RunResult] = []
    for source in sources:
        stored = not source.exists() and history.is_id(str(source))
        label = str(source) if stored else project.relative(source)
        loaded = [history.load(project, str(source))] if stored else load_results(source, label)
        for run in loaded:
            if run.suite not in known:
                # no suite file means no policy and no baseline to hold the run to: not a pass
                where = project.relative(project.evals_dir / f"{run.suite}.yaml")
                raise InputError(
                    f"{label}: results of suite '{run.suite}', which has no suite file ({where})",
                    hint=f"known suites: {', '.join(sorted(known)) or 'none'}",
                )
        runs += loaded
    return runs


def report(  # noqa: PLR0917 (the CLI passes its parsed options in order)
    project: Project,
    paths: Sequence[Path],
    base: str | None,
    fmt: str,
    environ: Mapping[str, str],
    report_html: Path | None = None,
) -> tuple[str, Review]:
    """Return the combined PR report of results files or stored runs and the review behind it."""
    from promptops.evals.results import merge_shards
    from promptops.evals.suites import load_suites

    merged = merge_shards(read_runs(project, paths))
    suites = load_suites(project, [r.suite for r in merged])
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
        text = markdown(gated, prompt_diff=diff, secrets=secrets, costs=monthly_costs(project, merged, base))
    if report_html is not None:
        write_html(project, gated, merged, base, report_html, secrets)
        messages += (("info", f"wrote {report_html}"),)
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
        lines.append(render([plan(base, suite.policy, planned)]))
    lines += [estimate_text(e) for e in cost_estimates(project, suites, repeats, ref)]
    return "\n".join(lines)


def cost_estimates(
    project: Project,
    suites: Sequence[Suite],
    repeats: int | None,
    ref: str | None,
    options: RunOptions | None = None,
) -> list[CostEstimate]:
    """Return the cost estimate of every workflow suite's next run (§9.3 `max_suite_usd`)."""
    from promptops.evals.cached_runs import cached_runs

    run = options or RunOptions(repeats=repeats)
    out = []
    for suite in suites:
        flow = suite.workflow
        if flow is None:
            continue
        budget = (
            flow.max_suite_usd if flow.max_suite_usd is not None else project.config.defaults.max_suite_usd
        )
        out.append(
            estimate(
                suite.name,
                [c.id for c in suite.cases],
                repeats or suite.repeats or project.config.defaults.repeats,
                baselines.read(project, suite.name, ref),
                max_cost_usd=flow.loop.max_cost_usd,
                budget=budget,
                cached=cached_runs(project, suite, run),
            )
        )
    return out


def check_budget(project: Project, suites: Sequence[Suite], options: RunOptions, ref: str | None) -> None:
    """Raise InputError (exit 2, before any call) when a workflow suite's estimate passes max_suite_usd."""
    for e in cost_estimates(project, suites, options.repeats, ref, options):
        if e.over:
            raise InputError(
                estimate_text(e),
                hint="lower --repeats, run fewer cases (--shard), or raise max_suite_usd",
            )
