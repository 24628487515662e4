"""`traces import`: trace files into the store, redacted and checked against the released versions."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from promptops.errors import FileFormatError, InputError, Problem
from promptops.observe.traces import reader
from promptops.observe.traces.attribution import Attribution
from promptops.observe.traces.pricing import Pricer, priced, pricer
from promptops.observe.traces.record import TraceRecord, to_data
from promptops.observe.traces.redaction import scrub_record
from promptops.observe.traces.store import Stored, TraceStore, location
from promptops.project import Project

BATCH = 5000


@dataclass
class ImportSummary:
    """What an import did: records read and new, lines with problems, why records are unattributed."""

    read: int = 0
    added: int = 0
    other_spans: int = 0
    unhashed: int = 0
    problems: list[Problem] = field(default_factory=list)
    bad_lines: int = 0
    unattributed: Counter[str] = field(default_factory=Counter)


def import_files(
    store: TraceStore,
    files: Sequence[tuple[Path, str]],
    fmt: str,
    *,
    attribution: Attribution,
    secrets: Sequence[str],
    keep_problems: int = 50,
    progress: Callable[[int], None] | None = None,
    price: Pricer | None = None,
) -> ImportSummary:
    """Import every (path, label) into `store`; bad lines are named and skipped, the rest is kept."""
    summary = ImportSummary()
    batch: list[Stored] = []
    for path, label in files:
        for line in reader.lines(path, label, fmt):
            if line.problem is not None:
                summary.bad_lines += 1
                if len(summary.problems) < keep_problems:
                    summary.problems.append(line.problem)
                continue
            summary.other_spans += line.other_spans
            if line.runs:
                store.add_runs(line.runs)
            for found in line.records:
                record = priced(found, price)
                reason = attribution.check(record.prompt)
                if reason is not None:
                    summary.unattributed[reason] += 1
                clean = scrub_record(record, secrets)
                # a line already in the record format is stored as it came, unless redaction changed it
                same = clean is found
                text = line.text if same and line.text is not None else _line(clean)
                batch.append(Stored(record=clean, line=text, attributed=reason is None, reason=reason))
            if len(batch) >= BATCH:
                summary.read += len(batch)
                summary.added += store.add(batch)
                batch = []
                if progress is not None:
                    progress(summary.read)
    summary.read += len(batch)
    summary.added += store.add(batch)
    summary.unhashed = attribution.unhashed
    return summary


def _line(record: TraceRecord) -> str:
    return json.dumps(to_data(record), ensure_ascii=False, separators=(",", ":"))


def import_project(project: Project, files: Sequence[Path], fmt: str) -> ImportSummary:
    """Import `files` into the project's trace store, attributed against its released versions."""
    from promptops.observe.traces.attribution import registry_hashes
    from promptops.secrets import secret_values

    if fmt not in reader.FORMATS:
        raise InputError(f"--format '{fmt}': expected auto, promptops, otlp or litellm")
    with TraceStore.open(location(project)) as store:
        return import_files(
            store,
            [(path, str(path)) for path in files],
            fmt,
            attribution=Attribution(registry_hashes(project)),
            secrets=secret_values(),
            price=pricer(project.config.prices),
        )


def summary_lines(summary: ImportSummary) -> list[str]:
    """Return what an import reports on stderr: new records, skipped spans, attribution."""
    already = summary.read - summary.added
    lines = [
        f"imported {summary.added} new record{'s' if summary.added != 1 else ''} "
        f"({summary.read} read, {already} already in the store)"
    ]
    if summary.other_spans:
        lines.append(f"skipped {summary.other_spans} spans that are not LLM calls")
    attributed = summary.read - sum(summary.unattributed.values())
    lines.append(f"attributed to a released prompt version: {attributed} of {summary.read}")
    for reason, count in sorted(summary.unattributed.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"unattributed: {count} ({reason})")
    if summary.unhashed:
        lines.append(f"note: {summary.unhashed} records carry no content hash; attributed by version alone")
    return lines


def bad_lines_error(summary: ImportSummary) -> FileFormatError | None:
    """Return the exit-2 error naming the bad lines (the good ones are imported), or None."""
    if not summary.bad_lines:
        return None
    more = summary.bad_lines - len(summary.problems)
    return FileFormatError(
        summary.problems,
        hint=(f"and {more} more bad lines; " if more else "")
        + "the other lines were imported; fix these and import the file again (nothing is added twice)",
    )
