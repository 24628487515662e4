"""`budget check`: an adapter over observe.spend."""

from __future__ import annotations

from pathlib import Path

import typer

from promptops.cli import output
from promptops.cli.choices import BudgetFormat, choose
from promptops.cli.cost import LATEST
from promptops.errors import ExitCode


def register(app: typer.Typer) -> None:
    """Add `budget check` to `app`."""
    budget = typer.Typer(name="budget", help="Monthly budgets per feature.", no_args_is_help=True)
    budget.command("check")(budget_check)
    app.add_typer(budget)


def budget_check(
    traces: bool = typer.Option(
        False, "--traces", help="Month-to-date spend from production records (default: the projection)."
    ),
    results: Path | None = typer.Option(
        None, "--results", help="Eval results for the projection (default: .promptops/runs/latest.json)."
    ),
    fmt: str = typer.Option("text", "--format", help="text, markdown or json."),
) -> int:
    """Check every budget: warn at its alert levels, exit 1 when one is spent (or projected past)."""
    from promptops.observe import spend
    from promptops.project import Project
    from promptops.report.spend import budget_json, budget_markdown, budget_text, state, unknown_reason

    chosen = choose(fmt, BudgetFormat)
    project = Project.load()
    if traces:
        statuses = spend.check_traces(project)
    else:
        statuses = spend.check_projection(project, results or project.root / LATEST)
    render = {
        BudgetFormat.text: budget_text,
        BudgetFormat.markdown: budget_markdown,
        BudgetFormat.json: budget_json,
    }
    output.data(render[chosen](statuses))
    for status in statuses:
        if state(status) == "warning":
            output.warn(
                f"budget {status.budget.name}: {status.share:.0%} of {status.budget.monthly_usd:g} USD"
            )
        elif state(status) == "unknown":
            output.warn(f"budget {status.budget.name}: spend unknown ({unknown_reason(status)})")
    exceeded = [s.budget.name for s in statuses if s.exceeded]
    if exceeded:
        output.info(f"over budget: {', '.join(exceeded)}")
        return int(ExitCode.FAILED)
    return int(ExitCode.OK)
