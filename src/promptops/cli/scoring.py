"""`promptops traces score`: run the suite's scorers on sampled production records (in the `traces` group)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from promptops.cli import output

if TYPE_CHECKING:
    from promptops.observe.scoring import ScoreReport
    from promptops.project import Project


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
    from promptops.observe import scoring
    from promptops.project import Project
    from promptops.wording import money

    project = Project.load()
    reports = scoring.score_prompts(project, name, env, scoring.sampling(sample, max_records, budget))
    for suite, report in reports:
        _show(project, suite.prompt, report)
    spent = sum(report.spent_usd for _, report in reports)
    output.data(f"judge spend: {money(spent)} of the {money(budget)} budget")
    return 0


def _show(project: Project, prompt: str, report: ScoreReport) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.scores.items())) or "no scores"
    skipped = "; ".join(f"{k}: {v}" for k, v in sorted(report.skipped.items()))
    output.data(
        f"{prompt}: scored {report.scored} of {report.sampled} sampled records "
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
        output.warn(f"{prompt}: stopped at the budget; the rest of the sample is not scored")
