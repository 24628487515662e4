"""The gate in the CLI: `baseline update`, `report`, and the gate step `eval` runs after its suites."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output
from promptops.errors import ExitCode, IncomparableBaselineError, InputError, PromptOpsError, UnavailableError

if TYPE_CHECKING:
    from promptops.evals.cases import Suite
    from promptops.evals.records import RunResult
    from promptops.gate.result import GateResult
    from promptops.project import Project

FORMATS = ("markdown", "json")


def register(app: typer.Typer) -> None:
    """Add `baseline update` and `report` to `app`."""
    group = typer.Typer(name="baseline", help="Baselines the gate compares with.", no_args_is_help=True)
    group.command("update")(baseline_update)
    app.add_typer(group)
    app.command("report")(report)


def baseline_update(
    suite: str = typer.Argument(..., help="Suite name (evals/SUITE.yaml)."),
    results_file: Path | None = typer.Option(
        None, "--from", help="Take the scores from this results file instead of running the suite."
    ),
) -> int:
    """Write evals/baselines/SUITE.json from a results file or a fresh run of the suite."""
    from promptops.evals import baselines as baseline
    from promptops.evals.suites import load_suites
    from promptops.project import Project

    project = Project.load()
    (spec,) = load_suites(project, [suite])
    if results_file is not None:
        run = _run_from_file(project, spec.name, results_file)
        _check_current(run, spec, project.relative(results_file))
    else:
        from promptops.evals.runner import RunOptions, run_suites

        (run,) = run_suites(project, [spec], RunOptions())
        errored = [c.id for c in run.cases if c.error is not None]
        if errored:
            raise UnavailableError(
                f"{len(errored)} of {len(run.cases)} cases of suite '{spec.name}' could not be evaluated "
                f"({', '.join(errored[:5])}); the baseline was not written",
                hint="check the provider settings and run `promptops baseline update` again",
            )
    written = baseline.write(project, baseline.from_run(run))
    summary = run.summary
    score = "n/a" if summary.mean_score is None else f"{summary.mean_score:.3f}"
    rate = "n/a" if summary.pass_rate is None else f"{summary.pass_rate:.1%}"
    output.info(
        f"wrote {project.relative(written)}: {len(run.cases)} cases, mean score {score}, pass rate {rate} "
        f"({run.provenance.prompt}@{run.provenance.prompt_version}, {run.provenance.model}); commit it"
    )
    return int(ExitCode.OK)


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


def report(
    results: list[Path] = typer.Option(..., "--results", help="Results files (repeat, or list more)."),
    more: list[Path] = typer.Argument(None, help="More results files.", show_default=False),
    base: str | None = typer.Option(
        None, "--base", help="Git ref whose baselines to compare with and to diff prompts against."
    ),
    fmt: str = typer.Option("markdown", "--format", help="markdown or json."),
) -> int:
    """Combine results files into one PR report (gate verdicts and the prompt diff); exit as the gate."""
    from promptops.evals.results import load_results
    from promptops.evals.suites import load_suites, suite_name
    from promptops.project import Project

    if fmt not in FORMATS:
        raise InputError(f"--format '{fmt}': expected markdown or json")
    project = Project.load()
    runs: list[RunResult] = []
    for path in [*results, *(more or [])]:
        runs += load_results(path, project.relative(path))
    merged = merge_shards(runs)
    known = {suite_name(project, p) for p in project.suite_files()}
    suites = load_suites(project, [r.suite for r in merged if r.suite in known])
    gated = compare_runs(project, merged, suites, base)
    secrets = _secrets()
    if fmt == "json":
        from promptops.report.overall import gate_json

        output.data(gate_json(gated, secrets))
    else:
        from promptops.report.markdown import markdown

        diff = prompt_diff(project, [r.provenance.prompt for r in merged], base)
        output.data(markdown(gated, prompt_diff=diff, secrets=secrets))
    return _exit(gated)


def merge_shards(runs: Sequence[RunResult]) -> list[RunResult]:
    """Return one run per suite: shards of a suite joined (complete when every shard of N is there)."""
    from dataclasses import replace

    from promptops.evals.summary import summarize

    by_suite: dict[str, list[RunResult]] = {}
    for run in runs:
        by_suite.setdefault(run.suite, []).append(run)
    merged = []
    for suite, parts in by_suite.items():
        if len(parts) == 1:
            merged.append(parts[0])
            continue
        shards = {p.shard for p in parts}
        if None in shards:
            raise InputError(f"suite '{suite}' appears in more than one results file; give each suite once")
        cases = {c.id: c for part in parts for c in part.cases}
        counts = {str(s).split("/")[-1] for s in shards}
        complete = len(counts) == 1 and str(len(shards)) in counts
        ordered = tuple(sorted(cases.values(), key=lambda c: c.id))
        merged.append(
            replace(
                parts[0], cases=ordered, summary=summarize(ordered), shard=None if complete else "partial"
            )
        )
    return merged


def check_ref(project: Project, ref: str) -> None:
    """Raise RefError (exit 2) when `ref` names no commit."""
    from promptops.prompts.gitstore import open_store

    with open_store(project.root) as store:
        store.resolve(ref)


def compare_runs(
    project: Project, runs: Sequence[RunResult], suites: Sequence[Suite], ref: str | None
) -> list[GateResult]:
    """Return the gate result of every run against its baseline in the working tree or at `ref`."""
    from dataclasses import replace

    from promptops.evals import baselines as baseline
    from promptops.gate import compare, policy_for

    overrides = {s.name: s.gate for s in suites}
    out = []
    for run in runs:
        policy = policy_for(project.config, overrides.get(run.suite, {}))
        base = baseline.read(project, run.suite, ref)
        try:
            result = compare(run, base, policy, baseline_ref=ref)
        except IncomparableBaselineError as exc:
            where = project.relative(project.baseline_path(run.suite))
            label = f"{ref}:{where}" if ref else where
            raise IncomparableBaselineError(f"{label}: {exc.message}", hint=exc.hint) from None
        if ref is not None:
            own = baseline.read(project, run.suite)
            if own is not None and own != base:  # the change rewrites the bar it is judged by: show it
                result = replace(result, rewritten_baseline=own.summary)
        out.append(result)
    return out


def prompt_diff(project: Project, prompts: Sequence[str], base: str | None) -> str | None:
    """Return the prompt-diff markdown of `prompts` from `base` to the working tree; None outside git."""
    from promptops.prompts.diff import diff_refs
    from promptops.prompts.registry import open_registry
    from promptops.report.diff import prompts_markdown

    try:
        registry = open_registry(project)
        result = diff_refs(registry, base, None, sorted(set(prompts)), strict=False)
    except PromptOpsError as exc:
        output.warn(f"no prompt diff in the report: {exc.message}")
        return None
    return prompts_markdown(result)


def gate_runs(
    project: Project,
    runs: Sequence[RunResult],
    suites: Sequence[Suite],
    *,
    baseline_ref: str | None = None,
    report_md: Path | None = None,
    junit_xml: Path | None = None,
    quiet: bool = False,
) -> int:
    """Gate `runs`: print verdicts, write the reports asked for, GitHub extras; return the exit code."""
    from promptops.project import repo_prefix, write_atomic
    from promptops.report.annotations import annotate
    from promptops.report.junit import junit
    from promptops.report.markdown import markdown

    gated = compare_runs(project, runs, suites, baseline_ref)
    secrets = _secrets()
    say = (lambda _: None) if quiet else output.info
    for result in gated:
        title = "could not evaluate" if result.unavailable else result.verdict
        say(f"gate {result.suite}: {title}: {result.reason}")
    if report_md is not None or os.environ.get("GITHUB_STEP_SUMMARY"):
        diff = prompt_diff(project, [r.provenance.prompt for r in runs], baseline_ref)
        if report_md is not None:
            write_atomic(report_md, markdown(gated, prompt_diff=diff, secrets=secrets))
            say(f"wrote {report_md}")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with Path(summary).open("a", encoding="utf-8") as handle:
                handle.write(markdown(gated, prompt_diff=diff, secrets=secrets, marker=False) + "\n")
    if junit_xml is not None:
        write_atomic(junit_xml, junit(gated, secrets=secrets))
        say(f"wrote {junit_xml}")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        prefix = repo_prefix(project.root)  # annotations name files from the repository root
        files = {s.name: prefix + (s.dataset or s.path) for s in suites}
        for line in annotate(gated, files, secrets=secrets):
            output.data(line)
    return _exit(gated)


def _exit(gated: Sequence[GateResult]) -> int:
    from promptops.report.overall import overall

    return overall(gated).exit_code


def _secrets() -> tuple[str, ...]:
    from promptops.report.text import secret_values

    return secret_values(os.environ)
