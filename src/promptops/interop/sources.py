"""The files a promptfoo config points at: `file://` prompts, tests, vars; globs; CSV `__expected` cells."""

from __future__ import annotations

import csv
import glob
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptops.errors import InputError
from promptops.evals.scoring.promptfoo import comma_values
from promptops.project import read_bytes
from promptops.yamltext import decode, parse_yaml

_CSV_ASSERT = re.compile(r"^(not-)?([a-z][a-z-]*)(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$")
_CODE_PREFIXES = ("javascript:", "fn:", "eval:", "python:", "grade:", "llm-rubric:")


@dataclass(frozen=True, kw_only=True)
class Loaded:
    """Data read from one file, with the file it came from (relative, for messages)."""

    data: Any
    file: str
    line: int | None = None


def resolve(base: Path, reference: str) -> list[Path]:
    """Return the files a `file://` reference (or a glob) names, relative to `base`, sorted."""
    target = reference.removeprefix("file://")
    if any(ch in target for ch in "*?["):
        return sorted(Path(p) for p in glob.glob(str(base / target), recursive=True))
    return [base / target]


def label(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def read_text(path: Path, base: Path) -> str:
    """Return a referenced file's text; raise InputError naming it when it is missing."""
    name = label(path, base)
    if not path.is_file():
        raise InputError(f"{name}: no such file")
    return decode(read_bytes(path, name), name)


def read_data(path: Path, base: Path) -> Any:
    """Return the data of a JSON, JSONL or YAML file (JSONL: a list of its lines)."""
    text, name = read_text(path, base), label(path, base)
    try:
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        if path.suffix == ".json":
            return json.loads(text)
    except ValueError as exc:
        raise InputError(f"{name}: invalid JSON: {exc}") from None
    return parse_yaml(text, name).data  # FileFormatError names the file and line


def csv_assertion(cell: str) -> dict[str, Any]:
    """Return the assertion a CSV `__expected` cell holds, as promptfoo reads it."""
    if cell.startswith(_CODE_PREFIXES) or cell.startswith("file://"):
        head = cell.split(":", 1)[0]
        kind = {"fn": "javascript", "eval": "javascript", "grade": "llm-rubric"}.get(head, head)
        if cell.startswith("file://"):
            kind = "python" if ".py" in cell else "javascript"
        value = cell.split(":", 1)[1] if not cell.startswith("file://") else cell
        return {"type": kind, "value": value.strip() if kind != "llm-rubric" else value}
    match = _CSV_ASSERT.match(cell)
    if match is None or ("-" not in match.group(2) and match.group(2) not in _ONE_WORD):
        return {"type": "equals", "value": cell}
    negated, kind, threshold, value = match.groups()
    out: dict[str, Any] = {"type": f"not-{kind}" if negated else kind}
    if kind in ("contains-all", "contains-any", "icontains-all", "icontains-any"):
        out["value"] = comma_values(value) if value else value
    elif kind in ("contains-json", "is-json"):
        if value:
            out["value"] = value
    elif value is not None:
        out["value"] = value.strip()
    if threshold is not None:
        out["threshold"] = float(threshold)
    return out


_ONE_WORD = frozenset(
    {"equals", "contains", "icontains", "regex", "levenshtein", "cost", "latency", "similar"}
)


def csv_tests(text: str, name: str) -> list[dict[str, Any]]:
    """Return promptfoo test cases from CSV text (`__expected*`, `__description`, `__metric`, vars)."""
    tests: list[dict[str, Any]] = []
    for row in csv.DictReader(io.StringIO(text)):
        test: dict[str, Any] = {"vars": {}, "assert": []}
        for raw_key, raw_value in row.items():
            key, value = (raw_key or "").strip(), raw_value or ""
            if key.startswith("__expected"):
                if value.strip():
                    test["assert"].append(csv_assertion(value.strip()))
            elif key == "__description":
                test["description"] = value
            elif key == "__metric":
                test["metric"] = value
            elif key == "__threshold":
                test["threshold"] = float(value) if value.strip() else None
            elif key.startswith("__"):
                test.setdefault("_unsupported", []).append(key)
            else:
                test["vars"][key] = value
        tests.append(test)
    return tests


_JS_SPACE = (  # what JavaScript's trim() removes
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def txt_prompts(text: str) -> list[tuple[int, str]]:
    """Return the prompts of a .txt file as promptfoo 0.121 reads them: split at lines that are `---`
    (trimmed), each part trimmed as JavaScript's trim() does and empty parts dropped; with first lines."""
    parts: list[tuple[int, str]] = []
    buffer: list[str] = []
    start = 1
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        if line.strip(_JS_SPACE) == "---":
            if "\n".join(buffer).strip(_JS_SPACE):
                parts.append((start, "\n".join(buffer).strip(_JS_SPACE)))
            buffer, start = [], number + 1
        else:
            buffer.append(line)
    if "\n".join(buffer).strip(_JS_SPACE):
        parts.append((start, "\n".join(buffer).strip(_JS_SPACE)))
    return parts
