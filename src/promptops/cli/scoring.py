"""`promptops traces score`: run the suite's scorers on sampled production records (in the `traces` group)."""

from __future__ import annotations

import typer

from promptops.cli import output


def traces_score(
    name: str | None = typer.Argument(
        None, metavar="[NAME]", help="Prompt to score (default: every suite's)."
    ),
    env: str | None = typer.Option(None, "--env", help="Only records of this environment."),
    sample: float | None = typer.Option(None, "--sample", metavar="RATE", help="Share of records, 0..1."),
    max_records: int | None = typer.Option(None, "--max", metavar="N", help="At most N records per prompt."),
    budget: float = typer.Option(1.0, "--budget", metavar="USD", help="Stop judging once this is spent."),
) -> int:
    """Score sampled production records with the suite's reference-free scorers (llm_judge included)."""
    from promptops.errors import InputError
    from promptops.evals.suites import load_suites
    from promptops.observe.scoring import Sampling, score
    from promptops.project import Project
    from promptops.wording import money

    if sample is not None and max_records is not None:
        raise InputError("pass --sample RATE or --max N, not both")
    if sample is not None and not 0 < sample <= 1:
        raise InputError(f"--sample must be above 0 and at most 1, got {sample:g}")
    if max_records is not None and max_records < 1:
        raise InputError(f"--max must be at least 1, got {max_records}")
    if budget < 0:
        raise InputError(f"--budget must not be negative, got {budget:g}")
    project = Project.load()
    suites = [s for s in load_suites(project) if name is None or s.prompt == name]
    if not suites:
        raise InputError(
            f"no eval suite for prompt '{name}': its scorers are what score the samples",
            hint=f"add evals/{name}.yaml with `prompt: {name}` and reference-free scorers such as llm_judge",
        )
    spent = 0.0
    for suite in suites:
        left = max(budget - spent, 0.0)
        report = score(project, suite, env, Sampling(sample, max_records, left))
        spent += report.spent_usd
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.scores.items())) or "no scores"
        skipped = "; ".join(f"{k}: {v}" for k, v in sorted(report.skipped.items()))
        output.data(
            f"{suite.prompt}: scored {report.scored} of {report.sampled} sampled records "
            f"({report.candidates} scorable): {counts}" + (f"; skipped {skipped}" if skipped else "")
        )
        if report.stored:
            output.info(
                f"stored {report.stored} new score(s) in {project.relative(project.state_dir / 'traces')}"
            )
        if report.unpriced_calls:
            output.warn(
                f"{report.unpriced_calls} judge call(s) have no known price; the budget cannot count them"
            )
        if report.over_budget:
            output.warn(f"{suite.prompt}: stopped at the budget; the rest of the sample is not scored")
    output.data(f"judge spend: {money(spent)} of the {money(budget)} budget")
    return 0
