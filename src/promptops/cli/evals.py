"""Commands about evals: eval (and, from issue 5, baseline update and report)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from promptops.cli import output
from promptops.errors import InputError, PromptOpsError, UnavailableError

if TYPE_CHECKING:
    from promptops.evals.cases import Suite
    from promptops.evals.records import RunResult
    from promptops.evals.runner import RunOptions
    from promptops.project import Project

LATEST = Path("runs") / "latest.json"  # below .promptops/


def register(app: typer.Typer) -> None:
    """Add this group's commands to `app`."""
    app.command("eval")(eval_command)
    from promptops.cli import gating

    gating.register(app)  # baseline update, report


# --- eval ----------------------------------------------------------------------


def eval_command(  # noqa: PLR0917 (typer maps each option to a parameter)
    names: list[str] = typer.Argument(
        None, metavar="[SUITE]...", help="Suites to run (default: every suite)."
    ),
    model: str | None = typer.Option(
        None, "--model", help="Call this model instead of each prompt's pinned one."
    ),
    repeats: int | None = typer.Option(None, "--repeats", min=1, max=100, help="Calls per case."),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1, max=1024, help="Calls in flight."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Ignore cached answers (fresh answers are stored)."
    ),
    shard: str | None = typer.Option(
        None, "--shard", metavar="I/N", help="Run part I of N (stable by case id)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Also write the results file here."),
    baseline_ref: str | None = typer.Option(
        None, "--baseline-ref", help="Compare with the baselines as of this git ref (default: working tree)."
    ),
    report_md: Path | None = typer.Option(
        None, "--report-md", help="Write the markdown report (PR comment)."
    ),
    junit_xml: Path | None = typer.Option(None, "--junit", help="Write JUnit XML, one testcase per case."),
    changed: bool = typer.Option(
        False,
        "--changed",
        help="Only suites whose prompt, suite file, dataset or baseline changed since --base.",
    ),
    base: str | None = typer.Option(
        None, "--base", help="Git ref for --changed (default: the merge base with the default branch)."
    ),
) -> int:
    """Run eval suites through the models and write a results file; exit 3 when it cannot evaluate."""
    from promptops.evals import runner, suites
    from promptops.project import Project

    project = Project.load()
    loaded = suites.load_suites(project, names or [])
    if not loaded:
        raise InputError(
            f"no eval suites in {project.relative(project.evals_dir)}/",
            hint="add evals/NAME.yaml (see `promptops init`)",
        )
    if changed or base is not None:
        loaded = only_changed(project, loaded, changed, base)
        if not loaded:
            return 0
    options = runner.RunOptions(
        model=model,
        repeats=repeats,
        concurrency=concurrency,
        use_cache=not no_cache,
        shard=runner.Shard.parse(shard) if shard else None,
    )
    if baseline_ref is not None:
        from promptops.cli.gating import check_ref

        check_ref(project, baseline_ref)  # before any model call
    runs = run(project, loaded, options, out)
    show_summary(runs)
    from promptops.cli.gating import gate_runs

    def gate(quiet: bool = False) -> int:
        return gate_runs(
            project,
            runs,
            loaded,
            baseline_ref=baseline_ref,
            report_md=report_md,
            junit_xml=junit_xml,
            quiet=quiet,
        )

    try:
        check_errors(project, loaded, runs)
    except UnavailableError:
        # still write the reports asked for, so the PR comment says "could not evaluate"
        with contextlib.suppress(PromptOpsError):
            gate(quiet=True)
        raise
    code = gate()
    if baseline_ref is None:
        hint_missing_baselines(project, runs)
    return code


def hint_missing_baselines(project: Project, runs: list[RunResult]) -> None:
    """Tell how to record a baseline for each suite that has none yet."""
    for run_result in runs:
        if not project.baseline_path(run_result.suite).exists():
            output.info(
                f"hint: no baseline for {run_result.suite} yet; record this run with "
                f"`promptops baseline update {run_result.suite}`"
            )


def run(project: Project, suites: list[Suite], options: RunOptions, out: Path | None) -> list[RunResult]:
    """Run the suites with a progress bar; write latest.json (and --out), also after Ctrl-C."""
    from promptops.evals import runner

    total_cases = sum(len(s.cases) for s in suites)
    with output.progress(f"eval {total_cases} cases") as progress:
        try:
            runs = runner.run_suites(project, suites, options, progress)
        except runner.InterruptedRun as stop:
            paths = write_runs(project, stop.runs, out)
            finished = sum(len(r.cases) for r in stop.runs)
            output.info(
                f"interrupted: {finished} finished cases written to {', '.join(paths)}; "
                "their answers are cached, so a re-run resumes"
            )
            raise KeyboardInterrupt from None
    write_runs(project, runs, out)
    return runs


def write_runs(project: Project, runs: list[RunResult], out: Path | None) -> list[str]:
    """Write the results file to .promptops/runs/latest.json and `out`; return the paths written."""
    from promptops.evals.results import dump_results
    from promptops.project import write_atomic

    text = dump_results(runs)
    targets = [project.state_dir / LATEST] + ([out] if out is not None else [])
    for target in targets:
        write_atomic(target, text)
    return [project.relative(t) if t.is_absolute() else str(t) for t in targets]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _cost(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.6f}"


def summary_text(runs: list[RunResult]) -> str:
    """Return one aligned row per suite: cases, pass rate, mean score, errors, tokens, cost, latency."""
    header = [
        "suite",
        "model",
        "cases",
        "pass rate",
        "mean score",
        "errors",
        "tokens",
        "cost",
        "p50",
        "p95",
        "cached",
    ]
    rows = [header]
    for run in runs:
        s = run.summary
        rows.append(
            [
                run.suite + (f" [{run.shard}]" if run.shard else ""),
                run.provenance.model,
                str(s.cases),
                _percent(s.pass_rate),
                _number(s.mean_score),
                str(s.errors),
                str(s.input_tokens + s.output_tokens),
                _cost(s.cost_usd),
                _ms(s.latency_p50_ms),
                _ms(s.latency_p95_ms),
                f"{run.cache.hits}/{run.cache.hits + run.cache.misses}",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in rows
    )


def show_summary(runs: list[RunResult]) -> None:
    """Print the summary table to stdout."""
    output.data(summary_text(runs))


def check_errors(project: Project, suites: list[Suite], runs: list[RunResult]) -> None:
    """Raise UnavailableError (exit 3) when a suite has more errors than its `max_error_rate`."""
    from promptops.gate import policy_for

    by_name = {s.name: s for s in suites}
    for run in runs:
        s = run.summary
        if not s.cases:
            continue
        suite = by_name[run.suite]
        limit = policy_for(project.config, suite.gate).max_error_rate
        rate = s.errors / s.cases
        if rate > limit:
            first = next(c.error for c in sorted(run.cases, key=lambda c: c.id) if c.error)
            raise UnavailableError(
                f"{run.suite}: {s.errors} of {s.cases} cases could not be evaluated ({rate:.0%}, "
                f"max_error_rate {limit:g}); first: {first}",
                hint="the results file lists every error; a re-run retries only the failed cases "
                "(finished answers are cached)",
            )


def only_changed(project: Project, suites: list[Suite], changed: bool, base: str | None) -> list[Suite]:
    """Return the suites `--changed` selects, saying which and why (nothing selected: an empty list)."""
    from promptops.evals.changes import changed_files, select

    if not changed:
        raise InputError("--base only applies with --changed", hint="use `--changed --base REF`")
    changes = changed_files(project, base)
    since = base if base is not None else changes.base[:12]
    selected = select(project, suites, changes.files)
    if not selected:
        output.info(
            f"nothing to evaluate: no suite's prompt, suite file, dataset or baseline changed since {since}"
        )
        return []
    for item in selected:
        output.info(f"changed since {since}: {item.suite.name} ({', '.join(item.reasons)})")
    return [item.suite for item in selected]
