"""The import and export use cases: read the foreign files, refuse to overwrite, write, report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from promptops.errors import InputError
from promptops.evals.suites import load_suites
from promptops.interop.ghmodels import export_gh_models, import_gh_models
from promptops.interop.plan import ImportPlan, write_plan
from promptops.interop.promptfoo import import_promptfoo
from promptops.project import Project
from promptops.prompts.registry import open_registry, parse_selector


def plan_import(kind: str, paths: Sequence[Path]) -> ImportPlan:
    """Return what importing `paths` (`promptfoo` or `gh-models` files) would write and report."""
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    if kind == "promptfoo":
        return import_promptfoo(paths[0])
    plans = [import_gh_models(p) for p in paths]
    return ImportPlan(
        files=tuple(f for p in plans for f in p.files),
        notes=tuple(n for p in plans for n in p.notes),
        prompts=tuple(n for p in plans for n in p.prompts),
        suites=tuple(n for p in plans for n in p.suites),
    )


def apply_import(plan: ImportPlan, out: Path) -> list[Path]:
    """Write the plan under `out`; raise InputError (writing nothing) when a file already exists."""
    existing = [relative for relative, _ in plan.files if (out / relative).exists()]
    if existing:
        raise InputError(
            f"{out / existing[0]}: already exists; import into an empty directory (--out DIR) or move it",
        )
    names = [relative for relative, _ in plan.files]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise InputError(f"{duplicate}: two imported prompts have the same name; rename one of the files")
    return write_plan(plan, out)


def export_prompt(selector: str) -> tuple[str, list[str]]:
    """Return the `.prompt.yml` text for NAME[@VERSION] in the current project and what it left out."""
    project = Project.load()
    spec = open_registry(project).load(selector)
    name = parse_selector(selector).name
    suites = [s for s in load_suites(project) if s.prompt == name]
    return export_gh_models(spec, suites)
