"""Which suites an `eval` runs: the ones named (or every one), on a release for NAME@VERSION, narrowed
by `--changed`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from promptops.errors import InputError
from promptops.evals import suites as suite_files
from promptops.evals.cases import Suite
from promptops.project import Project


def select(
    project: Project, names: list[str], changed: bool, base: str | None, info: Callable[[str], None]
) -> list[Suite]:
    """Return the suites to run: those named (default every one), narrowed by `--changed`."""
    pinned = [n for n in names if "@" in n]
    plain = [n for n in names if "@" not in n]
    if pinned:
        everything = suite_files.load_suites(project)
        loaded = suite_files.load_suites(project, plain) if plain else []
        for selector in pinned:
            loaded += _on_release(project, everything, selector, loaded)
    else:
        loaded = suite_files.load_suites(project, names)
    if not loaded:
        raise InputError(
            f"no eval suites in {project.relative(project.evals_dir)}/",
            hint="add evals/NAME.yaml (see `promptops init`)",
        )
    if changed or base is not None:
        return only_changed(project, loaded, changed, base, info)
    return loaded


def _on_release(project: Project, every: list[Suite], selector: str, chosen: list[Suite]) -> list[Suite]:
    """Return the suites of prompt NAME, to run on the released NAME@VERSION instead of the working tree."""
    from promptops.prompts.registry import open_registry

    name = selector.split("@", 1)[0]
    spec = open_registry(project).load(selector)
    taken = {c.name for c in chosen}
    found = [replace(s, spec=spec) for s in every if s.prompt == name and s.name not in taken]
    if not found and all(c.prompt != name for c in chosen):
        raise InputError(
            f"no eval suite evaluates prompt '{name}'",
            hint=f"add a suite with `prompt: {name}` below {project.relative(project.evals_dir)}/",
        )
    return found


def only_changed(
    project: Project, suites: list[Suite], changed: bool, base: str | None, info: Callable[[str], None]
) -> list[Suite]:
    """Return the suites `--changed` selects, saying which and why (nothing selected: an empty list)."""
    from promptops.evals.changes import changed_files, select

    if not changed:
        raise InputError("--base only applies with --changed", hint="use `--changed --base REF`")
    changes = changed_files(project, base)
    since = base if base is not None else changes.base[:12]
    selected = select(project, suites, changes.files)
    if not selected:
        info(f"nothing to evaluate: no suite's prompt, suite file, dataset or baseline changed since {since}")
        return []
    for item in selected:
        info(f"changed since {since}: {item.suite.name} ({', '.join(item.reasons)})")
    return [item.suite for item in selected]
