"""Golden case files: a JSONL or CSV dataset read into Cases, streamed, every problem named by line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.evals.cases import Case, ScorerConfig
from promptops.formats import content_hash, decode, load_json, schema, validate_data

MAX_PROBLEMS = 50
CSV_FIXED = ("id", "expected", "tags", "critical", "description")


def read_cases(raw: bytes, label: str) -> tuple[Case, ...]:
    """Return the cases of a dataset file (.jsonl or .csv), or raise FileFormatError."""
    text = decode(raw, label)
    suffix = Path(label).suffix.lower()
    if suffix == ".jsonl":
        return _jsonl(text, label)
    if suffix == ".csv":
        return _csv(text, label)
    raise FileFormatError(
        [
            Problem(
                file=label,
                line=None,
                path="",
                message=f"unsupported dataset format '{suffix}'; expected .jsonl or .csv",
            )
        ]
    )


def to_case(data: Mapping[str, Any], line: int | None) -> Case:
    """Return the Case of one validated case mapping."""
    vars_ = dict(data.get("vars") or {})
    expected = data.get("expected")
    hashed: dict[str, Any] = {"id": data["id"], "vars": vars_, "expected": expected}
    if data.get("assert"):
        hashed["assert"] = data["assert"]  # only then, so the hashes of existing cases stay the same
    if data.get("cassette"):
        hashed["cassette"] = data["cassette"]
    return Case(
        id=data["id"],
        vars=vars_,
        expected=expected,
        tags=tuple(data.get("tags") or ()),
        critical=bool(data.get("critical", False)),
        line=line,
        hash=content_hash(hashed),
        has_expected="expected" in data,
        cassette=data.get("cassette"),
        # checked against each scorer's options by load_suite_file, which has the prompt
        asserts=tuple(
            ScorerConfig(type=a["type"], options=dict(a), line=line) for a in data.get("assert") or ()
        ),
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _lines(text: str) -> Iterator[str]:
    # one slice at a time: splitlines() or StringIO would hold a second (wider) copy of a huge file
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _jsonl(text: str, label: str) -> tuple[Case, ...]:
    # one line at a time, duplicates checked as they come: a huge bad file stops at its first problems
    rules = schema("suite")["$defs"]["case"]
    problems: list[Problem] = []
    cases: list[Case] = []
    first: dict[str, int] = {}
    for number, line_text in enumerate(_lines(text), start=1):
        if not line_text.strip():
            continue
        try:
            data = load_json(line_text, label, line=number)
        except FileFormatError as exc:
            problems.extend(exc.problems)
            data = None
        if data is not None and not isinstance(data, dict):
            problems.append(
                Problem(file=label, line=number, path="", message="a case must be a JSON object with an `id`")
            )
        elif data is not None:
            found = validate_data(data, rules, file=label)
            problems.extend(Problem(file=label, line=number, path=p.path, message=p.message) for p in found)
            if not found and data["id"] in first:
                message = f"duplicate case id '{data['id']}' (first on line {first[data['id']]})"
                problems.append(Problem(file=label, line=number, path="id", message=message))
            elif not found:
                first[data["id"]] = number
                cases.append(to_case(data, number))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise FileFormatError(problems[:MAX_PROBLEMS])
    return tuple(cases)


def _csv(text: str, label: str) -> tuple[Case, ...]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FileFormatError(
            [Problem(file=label, line=1, path="", message="empty CSV file; expected a header row with `id`")]
        ) from None
    except csv.Error as exc:
        raise FileFormatError([Problem(file=label, line=1, path="", message=f"invalid CSV: {exc}")]) from None
    problems = [
        Problem(
            file=label,
            line=1,
            path="",
            message=f"unknown column '{col}'; expected id, expected, tags, critical or vars.NAME",
        )
        for col in header
        if col not in CSV_FIXED and not (col.startswith("vars.") and len(col) > 5)
    ]
    if "id" not in header:
        problems.append(Problem(file=label, line=1, path="", message="missing column 'id'"))
    if problems:
        raise FileFormatError(problems)
    cases: list[tuple[Case, int | None]] = []
    start = reader.line_num + 1
    try:
        for row in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(
                    Problem(
                        file=label,
                        line=number,
                        path="",
                        message=f"row has {len(row)} fields; the header has {len(header)}",
                    )
                )
                continue
            data = _csv_case(dict(zip(header, row, strict=True)), label, number, problems)
            if data is not None:
                cases.append((to_case(data, number), number))
    except csv.Error as exc:
        problems.append(Problem(file=label, line=reader.line_num, path="", message=f"invalid CSV: {exc}"))
    if problems:
        raise FileFormatError(problems[:MAX_PROBLEMS])
    return unique(cases, label)


def _csv_case(row: dict[str, str], label: str, number: int, problems: list[Problem]) -> dict[str, Any] | None:
    if not row["id"].strip():
        problems.append(Problem(file=label, line=number, path="id", message="empty case id"))
        return None
    data: dict[str, Any] = {"id": row["id"].strip(), "vars": {}}
    if row.get("expected"):
        data["expected"] = row["expected"]
    if row.get("tags"):
        data["tags"] = [t.strip() for t in row["tags"].replace(",", ";").split(";") if t.strip()]
    flag = row.get("critical", "").strip().lower()
    if flag not in ("", "true", "false", "yes", "no", "1", "0"):
        problems.append(
            Problem(
                file=label,
                line=number,
                path="critical",
                message=f"expected true or false, got '{row['critical']}'",
            )
        )
        return None
    data["critical"] = flag in ("true", "yes", "1")
    for column, value in row.items():
        if column.startswith("vars."):
            data["vars"][column[5:]] = value
    return data


def unique(cases: list[tuple[Case, int | None]], label: str) -> tuple[Case, ...]:
    first: dict[str, int | None] = {}
    problems = []
    for case, line in cases:
        if case.id in first:
            problems.append(
                Problem(
                    file=label,
                    line=line,
                    path="id",
                    message=f"duplicate case id '{case.id}' (first on line {first[case.id]})",
                )
            )
        else:
            first[case.id] = line
    if problems:
        raise FileFormatError(problems[:MAX_PROBLEMS])
    return tuple(case for case, _ in cases)
