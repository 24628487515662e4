"""The proposed-cases file: `cases propose` writes it, a reviewer edits it, `cases accept` empties it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, InputError, Problem
from promptops.evals import pinned
from promptops.evals.cases import Suite
from promptops.formats import decode, dump_yaml, parse_yaml, validate
from promptops.observe.flywheel import cassettes
from promptops.observe.flywheel import proposer as flywheel
from promptops.observe.traces.calls import read_calls
from promptops.observe.traces.store import location
from promptops.project import Project, read_bytes, write_atomic
from promptops.prompts import working

# The largest legitimate proposed-cases file: 1,000 cases of 10,000-character inputs and 2,000-character
# answers is about 12.9 MB (tests/e2e/test_file_sizes.py writes and reads it back); twice that, rounded up.
MAX_PROPOSED_BYTES = 32_000_000
PROPOSED_DIR = "proposed"  # below .promptops/: raw production text stays out of git until reviewed
CASSETTES = "cassettes"  # a case's replay cassette: beside the proposed file, then beside the dataset
HEADER = """\
# Cases proposed by `promptops cases propose {suite}` from production records.
# For each case: write `expected`, the right answer (`observed_output` is what production said, picked
# because it was judged bad: never copy it), or `assert:` scorers the answer must pass instead, e.g.
#   assert: [{{type: not_contains, value: NONE}}, {{type: llm_judge, model: M, rubric: R, threshold: 0.8}}]
# or delete the case. Then set `reviewed: true` and run
#   promptops cases accept {file}
# Personal data and secrets are replaced by placeholders: the same value has the same [KIND_N] everywhere.
"""


@dataclass(frozen=True, kw_only=True)
class Accepted:
    dataset: str
    accepted: tuple[str, ...]
    refused: tuple[tuple[str, int | None, str], ...]  # case id, line in the file, why
    remaining: Path | None  # the file, when it still holds cases


def default_out(project: Project, suite: str) -> Path:
    return project.state_dir / PROPOSED_DIR / f"{suite}.yaml"


def propose(
    project: Project,
    suite_name: str,
    selection: flywheel.Selection,
    out: Path | None,
    source: str | None = None,
) -> tuple[Path, flywheel.Proposal]:
    """Write the proposed cases of `suite_name` to `out` (kept entries of an earlier file stay)."""
    from promptops.evals.suites import load_suites

    (suite,) = load_suites(project, [suite_name])
    spec = suite.spec or working.load_prompt(project, suite.prompt)
    calls = read_calls(project, suite.prompt, source=source)
    if not calls and source is not None:
        raise InputError(f"no records of prompt '{suite.prompt}' in --from {source}")
    if not calls:
        raise InputError(
            f"no production records of prompt '{suite.prompt}' in {project.relative(location(project))}/",
            hint="import traces with `promptops traces import FILE`, or log calls with the SDK",
        )
    picked = flywheel.pick(calls, suite.prompt, selection)
    proposal = flywheel.propose(suite, spec, picked, runs=cassettes.by_run(calls))
    path = out or default_out(project, suite.name)
    for case_id, lines in proposal.cassettes.items():  # beside the proposed file until a review accepts it
        write_atomic(path.parent / CASSETTES / f"{case_id}.jsonl", cassettes.text(lines))
    earlier = _read(project, path)["cases"] if path.exists() else []
    ids = {e["id"] for e in earlier}
    data = {
        "suite": suite.name,
        "proposed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "selection": _selection(selection),
        "redacted": dict(proposal.replaced),
        "cases": [*earlier, *(c for c in proposal.cases if c["id"] not in ids)],
        "refused": [
            {"record_id": r.call.id, "trace_id": r.call.trace_id, "reason": r.reason}
            for r in proposal.refused
        ],
        "duplicates": [{"record_id": c.id, "of": case_id} for c, case_id in proposal.duplicates],
    }
    write_atomic(path, HEADER.format(suite=suite.name, file=project.relative(path)) + dump_yaml(data))
    return path, proposal


def _selection(selection: flywheel.Selection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if selection.by is not None:
        out.update(worst=selection.worst or flywheel.DEFAULT_WORST, by=selection.by)
    if selection.feedback_down:
        out["feedback"] = "down"
    if selection.failed:
        out["failed"] = True
    if selection.since is not None:
        out["since_hours"] = selection.since.total_seconds() / 3600
    return out


def _read(project: Project, path: Path) -> dict[str, Any]:
    label = project.relative(path)
    raw = read_bytes(path, label, MAX_PROPOSED_BYTES)
    doc = parse_yaml(decode(raw, label), label, limit=MAX_PROPOSED_BYTES)
    if not isinstance(doc.data, dict):
        raise FileFormatError(
            [
                Problem(
                    file=label, line=doc.line(()), path="", message="a proposed-cases file must be a mapping"
                )
            ]
        )
    problems = validate(doc, "proposed-cases")
    if problems:
        raise FileFormatError(problems)
    data: dict[str, Any] = doc.data
    keys = ("id", "reviewed", "expected")
    data["_lines"] = [{k: doc.line(("cases", i, k)) for k in keys} for i in range(len(data["cases"]))]
    return data


def accept(project: Project, path: Path) -> Accepted:
    """Append the reviewed cases of a proposed file to the suite's dataset; keep the rest in the file."""
    from promptops.evals.suites import load_suites

    data = _read(project, path)
    lines: list[dict[str, int | None]] = data.pop("_lines")
    (suite,) = load_suites(project, [data["suite"]])
    target = _dataset(project, suite)
    known = {c.id for c in suite.cases}
    accepted: list[dict[str, Any]] = []
    refused: list[tuple[str, int | None, str]] = []
    remaining: list[dict[str, Any]] = []
    for entry, line in zip(data["cases"], lines, strict=True):
        found = _refusal(entry, known | {a["id"] for a in accepted})
        if found is None:
            accepted.append(flywheel.to_case(entry))
        else:
            key, why = found
            refused.append((entry["id"], line[key], why))
            remaining.append(entry)
    if accepted:
        _move_cassettes(path, target, accepted)
        _append(project, suite, target, accepted)
        load_suites(project, [suite.name])  # the dataset still loads, with the new cases
    label = project.relative(path)
    if remaining:
        data["cases"] = remaining
        write_atomic(path, HEADER.format(suite=suite.name, file=label) + dump_yaml(data))
    else:
        path.unlink()
    return Accepted(
        dataset=project.relative(target),
        accepted=tuple(a["id"] for a in accepted),
        refused=tuple(refused),
        remaining=path if remaining else None,
    )


def _move_cassettes(path: Path, target: Path, accepted: Sequence[dict[str, Any]]) -> None:
    """Move the cassettes of accepted cases from beside the proposed file to beside the dataset."""
    for case in accepted:
        name = case.get("cassette")
        if not isinstance(name, str):
            continue
        source = path.parent / name
        if not source.is_file():
            raise InputError(
                f"{source}: the cassette of case {case['id']} is missing",
                hint="propose the case again (`promptops cases propose NAME --failed`)",
            )
        write_atomic(target.parent / name, source.read_text(encoding="utf-8"))
        source.unlink()


def _refusal(entry: dict[str, Any], known: set[str]) -> tuple[str, str] | None:
    """Return the key that keeps a case out of the dataset and why, or None when it may go in."""
    if entry["id"] in known:
        return "id", "a case with this id is already in the dataset"
    if entry["reviewed"] is not True:
        return "reviewed", "not reviewed (set `reviewed: true` once `expected` is right)"
    if entry["expected"] is None and not entry.get("assert"):
        return (
            "expected",
            "reviewed but has neither `expected` nor `assert`; write the right answer (never the production "
            "output) or the assertions it must pass",
        )
    return None


def _dataset(project: Project, suite: Suite) -> Path:
    if suite.dataset is None:
        raise InputError(
            f"{suite.path}: the suite keeps its cases inline; `cases accept` appends to a JSONL dataset",
            hint="move the cases to a `dataset:` file, e.g. evals/data/NAME.jsonl",
        )
    if not suite.dataset.endswith(".jsonl"):
        raise InputError(f"{suite.dataset}: `cases accept` appends to JSONL datasets, not CSV")
    return project.root / suite.dataset


def _append(project: Project, suite: Suite, target: Path, cases: Sequence[dict[str, Any]]) -> None:
    raw = read_bytes(target, project.relative(target), 100_000_000)
    before = pinned.digest(raw)
    text = raw.decode("utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    text += "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases)
    write_atomic(target, text)
    suite_file = project.root / suite.path
    suite_text = suite_file.read_text(encoding="utf-8")
    if before in suite_text:
        # a pinned dataset: the pin follows the reviewed change, so the next run verifies the new content
        write_atomic(suite_file, suite_text.replace(before, pinned.digest(text.encode("utf-8"))))
