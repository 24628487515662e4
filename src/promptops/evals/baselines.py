"""The committed baseline: built from a run, written deterministically, read from the tree or a git ref."""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, InputError, Problem
from promptops.evals.records import Baseline, BaselineCase, Provenance, RunResult, Summary, head_side
from promptops.evals.results import unique_ids, without_unmeasured
from promptops.formats import decode, dump_json, load_json, schema, validate_data
from promptops.project import Project, read_bytes, write_atomic
from promptops.secrets import scrub_data
from promptops.wording import ids_text

# The largest legitimate baseline: 100,000 cases with 40-character ids is about 41 MB
# (tests/e2e/test_file_sizes.py writes and reads it back); half as much again, rounded up.
MAX_BASELINE_BYTES = 64_000_000
SCHEMA = "baseline"
SCHEMA_VERSION = 1


def from_run(run: RunResult) -> Baseline:
    """Return the baseline of a complete run: per case what the comparison needs, plus provenance."""
    if run.shard:
        raise InputError(
            f"results of suite '{run.suite}' hold only shard {run.shard}; a baseline needs every case",
            hint="run the whole suite (without --shard) to update the baseline",
        )
    sides = {c.id: head_side(c) for c in run.cases}
    errored = [c.id for c in run.cases if sides[c.id].error]
    if errored:
        shown = ids_text(errored, 5)
        raise InputError(
            f"{len(errored)} cases of suite '{run.suite}' could not be evaluated ({shown}); "
            "a baseline needs every case scored",
            hint="fix the errors and run the suite again",
        )
    cases = []
    for case in sorted(run.cases, key=lambda c: c.id):
        side = sides[case.id]
        done = [a for a in case.attempts if a.error is None and a.score is not None]
        cases.append(
            BaselineCase(
                id=case.id,
                hash=case.hash,
                score=side.score,
                pass_rate=side.pass_rate,
                passed=side.passed,
                critical=case.critical,
                error=side.error,
                cost_usd=side.cost,
                latency_ms=side.latency,
                tokens=None if side.tokens is None else round(side.tokens),
                repeats=len(done),
                repeats_passed=sum(1 for a in done if a.passed),
                ttft_ms=side.ttft,
                steps=side.steps,
            )
        )
    return Baseline(suite=run.suite, provenance=run.provenance, cases=tuple(cases), summary=run.summary)


def to_json(baseline: Baseline) -> str:
    """Return the baseline file text: sorted keys, fixed float precision, cases by id."""
    data = without_unmeasured(asdict(baseline))
    # `steps` only for workflow suites, so other baselines keep their exact bytes
    data["cases"] = [
        {k: v for k, v in c.items() if k != "steps" or v is not None}
        for c in sorted(data["cases"], key=lambda c: c["id"])
    ]
    return dump_json(scrub_data(data))  # a baseline is committed: no secret from a model answer in it


def from_json(text: str, file: str) -> Baseline:
    """Return the Baseline in `text`; raise FileFormatError naming the file and key path."""
    data = load_json(text, file)
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise FileFormatError(
            [
                Problem(
                    file=file,
                    line=None,
                    path="schema_version",
                    message=f"{version} is newer than this promptops reads ({SCHEMA_VERSION})",
                )
            ],
            hint="upgrade promptops",
        )
    problems = validate_data(data, schema(SCHEMA), file=file)
    if problems:
        raise FileFormatError(problems)
    unique_ids(file, data["cases"])
    return Baseline(
        suite=data["suite"],
        provenance=Provenance(**_known(Provenance, data["provenance"])),
        cases=tuple(BaselineCase(**case) for case in data["cases"]),
        summary=Summary(**_known(Summary, data["summary"])),
        schema_version=data["schema_version"],
    )


def _known(cls: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Keep the keys `cls` knows, so files from a newer promptops with extra fields still load."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def write(project: Project, baseline: Baseline) -> Path:
    """Write the baseline of its suite atomically and return the path."""
    path = project.baseline_path(baseline.suite)
    write_atomic(path, to_json(baseline))
    return path


def read(project: Project, suite: str, ref: str | None = None) -> Baseline | None:
    """Return the baseline of `suite` in the working tree or as of git `ref`; None when there is none."""
    path = project.baseline_path(suite)
    rel = project.relative(path)
    if ref is None:
        if not path.exists():
            return None
        return from_json(decode(read_bytes(path, rel, MAX_BASELINE_BYTES), rel), rel)
    from promptops.prompts.gitstore import open_store

    with open_store(project.root) as store:
        raw = store.read_file(ref, rel)
    if raw is None:
        return None
    label = f"{ref}:{rel}"
    return from_json(decode(raw, label), label)
