"""Results files: RunResult <-> deterministic JSON (one file may hold several suites)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.evals.records import (
    Attempt,
    CacheStats,
    CaseResult,
    Provenance,
    RunResult,
    ScoreValue,
    Summary,
)
from promptops.evals.toolcalls import ToolCall
from promptops.evals.trajectory import Step, Trajectory
from promptops.formats import decode, dump_json, load_json, normalize, validate_data
from promptops.formats import schema as load_schema
from promptops.project import read_bytes, write_atomic
from promptops.secrets import scrub_data
from promptops.version import __version__

LATEST = Path("runs") / "latest.json"  # below .promptops/

SCHEMA_VERSION = 1
MAX_RESULTS_BYTES = 200_000_000


def to_data(runs: Sequence[RunResult]) -> dict[str, Any]:
    """Return the plain data of a results file holding `runs` (cases ordered by id)."""
    suites: dict[str, Any] = {}
    for run in runs:
        if run.suite in suites:
            raise ValueError(f"suite {run.suite!r} appears twice in one results file")
        suites[run.suite] = {
            "provenance": plain(run.provenance),
            "summary": plain(run.summary),
            "cache": plain(run.cache),
            "shard": run.shard,
            "cases": [plain(case) for case in sorted(run.cases, key=lambda c: c.id)],
        }
    first = runs[0].provenance if runs else None
    if any(run.summary.ttft_p50_ms is not None or run.summary.first_chunk_p50_ms is not None for run in runs):
        suites = without_unmeasured(suites)
    else:  # nothing streamed: no attempt or summary holds a streaming figure
        suites = {name: _plain_run(data) for name, data in suites.items()}
    return {
        "schema_version": SCHEMA_VERSION,
        "promptops_version": first.promptops_version if first else __version__,
        "git_sha": first.git_sha if first else None,
        "suites": suites,
    }


# written by a latency profile only: left out when unmeasured, so every other run's files keep their bytes
MEASURED_ONLY = frozenset(
    {"first_chunk_ms", "ttft_ms", "first_chunk_p50_ms", "ttft_p50_ms", "ttft_p95_ms", "output_tokens_per_s"}
)


def without_unmeasured(data: Any) -> Any:
    """Return `data` without the MEASURED_ONLY keys whose value is None (results and baseline files)."""
    if isinstance(data, dict):
        return {k: without_unmeasured(v) for k, v in data.items() if not (k in MEASURED_ONLY and v is None)}
    if isinstance(data, list | tuple):
        return [without_unmeasured(v) for v in data]
    return data


def _plain_run(data: dict[str, Any]) -> dict[str, Any]:
    for case in data["cases"]:
        for attempt in case["attempts"]:
            del attempt["first_chunk_ms"], attempt["ttft_ms"]
    summary = data["summary"]
    for key in ("first_chunk_p50_ms", "ttft_p50_ms", "ttft_p95_ms", "output_tokens_per_s"):
        del summary[key]
    return data


_FIELDS: dict[type, tuple[str, ...]] = {}
_OPTIONAL = ("tool_calls", "finish_reason", "trajectory")  # written only when set: older files unchanged


def plain(value: Any) -> Any:
    """Return what dataclasses.asdict returns (tuples as lists), without its deep copies."""
    if is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS.get(type(value))
        if names is None:
            names = _FIELDS[type(value)] = tuple(f.name for f in fields(value))
        out = {name: plain(getattr(value, name)) for name in names}
        if isinstance(value, Attempt):  # written only when there is something to say (older files unchanged)
            for key in _OPTIONAL:
                if out[key] in (None, []):
                    del out[key]
        if isinstance(value, ToolCall) and out["arguments_error"] is None:
            del out["arguments_error"]
        return out
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    return value


def dump_results(runs: Sequence[RunResult]) -> str:
    """Return the results file text for `runs`: sorted keys, 6-digit floats, trailing newline.

    Every string is redacted (promptops.secrets) first: outputs, errors and details quote model text.
    """
    return dump_json(scrub_data(to_data(runs)))


def write_results(path: Path, runs: Sequence[RunResult]) -> None:
    """Write the results file atomically."""
    write_atomic(path, dump_results(runs))


def parse_results(text: str, file: str) -> list[RunResult]:
    """Return the runs in a results file's text; raise FileFormatError naming the problem."""
    data = load_json(text, file)
    if isinstance(data, dict) and data.get("schema_version") not in (None, SCHEMA_VERSION):
        raise FileFormatError(
            [
                Problem(
                    file=file,
                    line=None,
                    path="schema_version",
                    message=f"unsupported results schema_version {data.get('schema_version')!r} "
                    f"(this promptops reads {SCHEMA_VERSION})",
                )
            ],
            hint="re-run `promptops eval` with this version of promptops",
        )
    problems = validate_data(data, load_schema("results"), file=file)
    if problems:
        raise FileFormatError(problems)
    for name, suite in sorted(data["suites"].items()):
        unique_ids(file, suite["cases"], f"suites.{name}.")
    return [from_suite_data(name, suite) for name, suite in sorted(data["suites"].items())]


def unique_ids(file: str, cases: Sequence[Mapping[str, Any]], at: str = "") -> None:
    """Raise FileFormatError naming `{at}cases[i].id` of the first case id seen twice (results, baselines)."""
    seen: set[str] = set()
    for index, case in enumerate(cases):
        if case["id"] in seen:
            where = f"{at}cases[{index}].id"
            raise FileFormatError(
                [Problem(file=file, line=None, path=where, message=f"duplicate case id '{case['id']}'")]
            )
        seen.add(case["id"])


def load_results(path: Path, label: str | None = None) -> list[RunResult]:
    """Return every suite run stored in the results file at `path`."""
    name = label or str(path)
    return parse_results(decode(read_bytes(path, name, MAX_RESULTS_BYTES), name), name)


def from_suite_data(name: str, data: Mapping[str, Any]) -> RunResult:
    """Return the RunResult of one validated `suites.NAME` entry."""
    return RunResult(
        suite=name,
        provenance=Provenance(**data["provenance"]),
        cases=tuple(_case(c) for c in data["cases"]),
        summary=Summary(**data["summary"]),
        cache=CacheStats(**data["cache"]),
        shard=data["shard"],
        schema_version=SCHEMA_VERSION,
    )


def _case(data: Mapping[str, Any]) -> CaseResult:
    fields = dict(data)
    fields["attempts"] = tuple(_attempt(a) for a in data["attempts"])
    fields["tags"] = tuple(data["tags"])
    return CaseResult(**fields)


def _attempt(data: Mapping[str, Any]) -> Attempt:
    fields = dict(data)
    fields["scores"] = tuple(ScoreValue(**s) for s in data["scores"])
    if data.get("trajectory") is not None:
        fields["trajectory"] = _trajectory(data["trajectory"])
    fields["tool_calls"] = tuple(ToolCall.from_dict(c) for c in data.get("tool_calls") or ())
    return Attempt(**fields)


def _trajectory(data: Mapping[str, Any]) -> Trajectory:
    # the totals are derived from the steps, so they are not read back
    return Trajectory(
        steps=tuple(Step(**s) for s in data["steps"]),
        output=data["output"],
        failure=data["failure"],
        stderr=data["stderr"],
        wall_ms=data["wall_ms"],
    )


def as_read(runs: Sequence[RunResult]) -> list[RunResult]:
    """Return `runs` as a results file holding them reads back (the same float rounding), so a verdict
    computed by `eval` is the one `report --results` computes from the file."""
    data = normalize(to_data(runs))
    return [from_suite_data(run.suite, data["suites"][run.suite]) for run in runs]


def merge_shards(runs: Sequence[RunResult]) -> list[RunResult]:
    """Return one run per suite: shards of a suite joined (complete when every shard of N is there)."""
    from dataclasses import replace

    from promptops.errors import InputError
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
