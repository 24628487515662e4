"""Run history: every eval and compare run kept under .promptops/runs/ with an index, pruned to a limit."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path

from promptops.errors import InputError
from promptops.evals.records import RunEntry, RunResult
from promptops.evals.results import LATEST, dump_results, load_results
from promptops.formats import dump_json
from promptops.project import Project, write_atomic

RUNS = Path("runs")  # below .promptops/
INDEX = "index.json"
RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")


def runs_dir(project: Project) -> Path:
    return project.state_dir / RUNS


def entries(project: Project) -> list[RunEntry]:
    """Return the index, oldest first (an unreadable index reads as empty: it is a cache of runs)."""
    path = runs_dir(project) / INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [RunEntry(**row) for row in data["runs"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def new_id(now: datetime | None = None) -> str:
    """Return a fresh run id: the UTC time and 4 random hex digits (sortable by time)."""
    moment = now or datetime.now(timezone.utc)
    return f"{moment:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def record(
    project: Project, runs: Sequence[RunResult], *, kind: str = "eval", now: datetime | None = None
) -> list[str]:
    """Store each run in its own file with an index entry; prune past the limit; return the ids."""
    moment = now or datetime.now(timezone.utc)
    index = entries(project)
    ids: list[str] = []
    taken = {e.id for e in index}
    for run in runs:
        run_id = new_id(moment)
        while run_id in taken:  # several runs recorded in the same second
            run_id = new_id(moment)
        taken.add(run_id)
        write_atomic(runs_dir(project) / f"{run_id}.json", dump_results([run]))
        index.append(_entry(run_id, moment, kind, run))
        ids.append(run_id)
    _write(project, _prune(project, index, project.config.runs.keep))
    return ids


def set_verdicts(project: Project, verdicts: Mapping[str, str]) -> None:
    """Record the gate's verdict of runs already in the index (`run id -> verdict`)."""
    if not verdicts:
        return
    index = [replace(e, verdict=verdicts.get(e.id, e.verdict)) for e in entries(project)]
    _write(project, index)


def load(project: Project, run_id: str) -> RunResult:
    """Return the stored run with this id; InputError naming the known ids when there is none."""
    path = runs_dir(project) / f"{run_id}.json"
    if not RUN_ID.fullmatch(run_id) or not path.is_file():
        known = [e.id for e in entries(project)][-5:]
        raise InputError(
            f"no stored run '{run_id}' in {project.relative(runs_dir(project))}/",
            hint=f"`promptops runs` lists them (latest: {', '.join(known)})"
            if known
            else "run `promptops eval`",
        )
    (run,) = load_results(path, project.relative(path))
    return run


def is_id(text: str) -> bool:
    return RUN_ID.fullmatch(text) is not None


def find(project: Project, suite: str, content_hash: str, model: str) -> RunResult | None:
    """Return the newest stored run of `suite` made with this prompt content and model, if any."""
    for entry in reversed(entries(project)):
        if (entry.suite, entry.content_hash, entry.model) == (suite, content_hash, model):
            path = runs_dir(project) / f"{entry.id}.json"
            if path.is_file():
                return load(project, entry.id)
    return None


def _entry(run_id: str, moment: datetime, kind: str, run: RunResult) -> RunEntry:
    p, s = run.provenance, run.summary
    return RunEntry(
        id=run_id,
        time=f"{moment:%Y-%m-%dT%H:%M:%SZ}",
        kind=kind,
        suite=run.suite,
        prompt=p.prompt,
        version=p.prompt_version,
        content_hash=p.content_hash,
        model=p.model,
        cases=s.cases,
        score=s.mean_score,
        pass_rate=s.pass_rate,
        cost_usd=s.cost_usd,
    )


def _prune(project: Project, index: list[RunEntry], keep: int) -> list[RunEntry]:
    ids = list(dict.fromkeys(e.id for e in index))
    dropped = set(ids[: max(0, len(ids) - keep)])
    for run_id in dropped:
        (runs_dir(project) / f"{run_id}.json").unlink(missing_ok=True)
    return [e for e in index if e.id not in dropped]


def _write(project: Project, index: Sequence[RunEntry]) -> None:
    write_atomic(runs_dir(project) / INDEX, dump_json({"runs": [asdict(e) for e in index]}))


def write_runs(
    project: Project, runs: Sequence[RunResult], out: Path | None, *, kind: str = "eval"
) -> tuple[list[str], list[str]]:
    """Write latest.json and `out`, and keep each run in the history; return the paths and the run ids."""
    text = dump_results(runs)
    targets = [project.contained(project.state_dir / LATEST)] + ([out] if out is not None else [])
    for target in targets:
        write_atomic(target, text)
    ids = record(project, runs, kind=kind) if runs else []
    return [project.relative(t) if t.is_absolute() else str(t) for t in targets], ids
