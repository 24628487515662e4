"""What an import would write, and what it could not carry: the one result every importer returns."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptops.project import write_atomic
from promptops.yamltext import dump_yaml


@dataclass(frozen=True, kw_only=True)
class Note:
    """One thing not carried over (or changed on the way), with where it was and why."""

    file: str
    line: int | None
    what: str
    why: str
    carried: bool = False  # True: carried, but rewritten (a translation, a pinned model)

    def text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        kind = "changed" if self.carried else "not carried"
        return f"{kind}: {where}: {self.what}: {self.why}"


@dataclass(frozen=True, kw_only=True)
class ImportPlan:
    files: tuple[tuple[str, str], ...]  # (path relative to the output directory, text)
    notes: tuple[Note, ...]  # not carried, refused or rewritten
    prompts: tuple[str, ...] = ()
    suites: tuple[str, ...] = ()
    origins: tuple[tuple[int, int], ...] = ()  # per suite: (prompt, provider) positions in the source


def slug(text: str, fallback: str) -> str:
    """Return a file-name-safe lower-case name for `text`."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")
    return name or fallback


def yaml_text(data: Mapping[str, Any], header: str) -> str:
    return f"# {header}\n" + dump_yaml(dict(data))


def jsonl_text(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in rows)


def write_plan(plan: ImportPlan, out: Path) -> list[Path]:
    """Write the plan's files under `out` (and `promptops.yaml` when there is none); return the paths."""
    written: list[Path] = []
    if not (out / "promptops.yaml").exists():
        write_atomic(out / "promptops.yaml", "version: 1\n")
        written.append(out / "promptops.yaml")
    for relative, text in plan.files:
        write_atomic(out / relative, text)
        written.append(out / relative)
    return written
