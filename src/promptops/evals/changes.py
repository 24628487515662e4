"""Which eval suites a change touches: `promptops eval --changed --base REF`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from promptops.errors import RefError
from promptops.evals.cases import Suite
from promptops.evals.workflow_config import Replay
from promptops.project import CONFIG_FILE, Project
from promptops.prompts.diff.sides import default_base
from promptops.prompts.gitstore import open_store


@dataclass(frozen=True, kw_only=True)
class SuiteChange:
    """A suite to re-run and the changed files that make it so."""

    suite: Suite
    reasons: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Changes:
    """The project files (relative to the root) that differ between `base` and the working tree."""

    base: str  # as given, or the default base's sha
    files: frozenset[str]


def changed_files(project: Project, base: str | None) -> Changes:
    """Return what changed since `base` (default: HEAD's merge base with the default branch, else HEAD)."""
    with open_store(project.root) as store:
        if base is None:
            base = default_base(store)
            if base is None:
                raise RefError("--changed needs a commit to compare with: the repository has no commits yet")
        return Changes(base=base, files=frozenset(store.changed_paths(base)))


def select(project: Project, suites: Sequence[Suite], changed: Collection[str]) -> list[SuiteChange]:
    """Return the suites whose prompt (or a shared tool it uses), suite file, dataset or baseline is
    among `changed`, in order (for workflow suites also a replay cassette, or a python target's module).

    A changed promptops.yaml (gate policy, run defaults, prices) selects every suite.
    """
    selected = []
    for suite in suites:
        watched = {
            "prompt": project.relative(project.prompt_path(suite.prompt)),
            "suite": suite.path,
            "dataset": suite.dataset,
            "baseline": project.relative(project.baseline_path(suite.name)),
            "config": CONFIG_FILE,
            **_workflow_files(suite),
        }
        spec = suite.spec
        for tool in spec.tools if spec is not None else ():
            if tool.use is not None:  # a shared tool is part of the prompt's content
                watched[f"tool {tool.name}"] = f"{project.config.tools_dir}/{tool.use}.yaml"
        reasons = tuple(f"{what} {path}" for what, path in watched.items() if path and path in changed)
        if reasons:
            selected.append(SuiteChange(suite=suite, reasons=reasons))
    return selected


def _workflow_files(suite: Suite) -> dict[str, str]:
    """Return what else a workflow suite's runs read: its cassettes and its python target's module."""
    flow = suite.workflow
    if flow is None:
        return {}
    files = {f"cassette of {d.tool}": d.cassette for d in flow.doubles.values() if isinstance(d, Replay)}
    if flow.target is not None and flow.target.python is not None:
        module = flow.target.python.split(":", 1)[0].replace(".", "/")
        files["target"] = f"{module}.py"
        files["target package"] = f"{module}/__init__.py"
    return files
