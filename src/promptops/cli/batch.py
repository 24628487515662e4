"""`batch status` and `batch collect`: the batches `eval --batch` submitted, and finishing their runs."""

from __future__ import annotations

import typer

from promptops.cli import output
from promptops.errors import InputError


def register(app: typer.Typer) -> None:
    """Add `batch status` and `batch collect` to `app`."""
    group = typer.Typer(help="Batch evals: the batches `eval --batch` submitted.", no_args_is_help=True)
    group.command("status")(status)
    group.command("collect")(collect)
    app.add_typer(group, name="batch")


def status() -> int:
    """List the batches not yet collected with their provider status."""
    from promptops.evals import batches
    from promptops.project import Project

    project = Project.load()
    records = [batches.refresh(project, r) for r in batches.pending(project)]
    if not records:
        output.info("no batches waiting to be collected")
        return 0
    for r in records:
        output.data(f"{r.id}  {r.status}  {r.requests} calls  {r.model}  {', '.join(r.suites)}")
    return 0


def collect(
    batch_id: str | None = typer.Argument(None, metavar="[ID]", help="One batch (default: every done one)."),
    wait: bool = typer.Option(False, "--wait", help="Wait for batches still running."),
) -> int:
    """Bring the answers of done batches into the cache and finish their runs exactly as `eval` does."""
    from promptops.cli.evals import run_request
    from promptops.evals import batches
    from promptops.project import Project
    from promptops.review.batching import POLL_S, collected_line

    project = Project.load()
    waiting = [r for r in batches.pending(project) if batch_id is None or r.id == batch_id]
    if batch_id is not None and not waiting:
        raise InputError(
            f"no batch '{batch_id}' waiting to be collected", hint="see `promptops batch status`"
        )
    if not waiting:
        output.info("no batches waiting to be collected")
        return 0
    done = []
    for waited in waiting:
        record = (
            batches.wait(project, waited, POLL_S, output.info) if wait else batches.refresh(project, waited)
        )
        if record.status not in batches.DONE:
            output.info(f"batch {record.id} is {record.status}: not collected yet")
            continue
        collected = batches.collect(project, record)
        output.info(collected_line(collected))
        done.append(collected)
    if not done:
        return 0
    suites = sorted({name for r in done for name in r.suites})
    first = done[0]
    from promptops.evals.runner import RunOptions
    from promptops.review.evaluation import EvalRequest

    options = RunOptions(model=first.override, repeats=first.repeats)
    return run_request(EvalRequest(names=tuple(suites), options=options))
