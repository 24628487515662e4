"""Evidence that a released version passed its eval gate: a committed baseline it produced, or a stored
results file whose gate passes against the committed baseline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from promptops import review
from promptops.deploy.promotion import Released
from promptops.errors import PromptOpsError
from promptops.evals import baselines
from promptops.evals.records import Baseline, Provenance, RunResult
from promptops.evals.results import load_results
from promptops.evals.suites import load_suites
from promptops.formats import decode
from promptops.project import Project
from promptops.prompts.registry import Registry

MAX_RESULTS_FILES = 500


def find(project: Project, registry: Registry, released: Released) -> str | None:
    """Return a description of the evidence that `released` passed its gate, or None when there is none."""
    committed = _committed_baselines(project, registry)
    for committed_path, found in committed.items():
        if _produced_by(found.provenance, released):
            return f"the committed baseline {committed_path} was produced by {_ref(released)}"
    for path, run in _stored_runs(project):
        if run.shard or not _produced_by(run.provenance, released):
            continue
        base = next((b for b in committed.values() if b.suite == run.suite), None)
        if _passes(project, run, base):
            against = "its committed baseline" if base is not None else "no baseline (errors only)"
            where = project.relative(path)
            return f"{where}: suite '{run.suite}' on {_ref(released)} passes the gate against {against}"
    return None


def _ref(released: Released) -> str:
    return f"{released.spec.name}@{released.spec.version}"


def _produced_by(provenance: Provenance, released: Released) -> bool:
    return (provenance.prompt, provenance.prompt_version, provenance.content_hash) == (
        released.spec.name,
        released.spec.version,
        released.content_hash,
    )


def _committed_baselines(project: Project, registry: Registry) -> dict[str, Baseline]:
    """Return the baselines committed at HEAD, by path; unreadable ones are skipped (they prove nothing)."""
    directory = project.config.baselines_dir
    out = {}
    for path in registry.history.list_files("HEAD", directory):
        if not path.endswith(".json"):
            continue
        raw = registry.history.read_file("HEAD", path)
        if raw is None:
            continue
        try:
            out[path] = baselines.from_json(decode(raw, f"HEAD:{path}"), f"HEAD:{path}")
        except PromptOpsError:
            continue
    return out


def _stored_runs(project: Project) -> Iterator[tuple[Path, RunResult]]:
    """Yield every suite run of the results files below .promptops/ (the response cache excluded)."""
    state = project.state_dir
    if not state.is_dir():
        return
    found = sorted(
        p for p in state.rglob("*.json") if p.is_file() and "cache" not in p.relative_to(state).parts
    )[-MAX_RESULTS_FILES:]
    # latest.json first: the run history (runs/ID.json) holds the same run under a name nobody knows
    files = [p for p in found if p.name == "latest.json"] + [p for p in found if p.name != "latest.json"]
    for path in files:
        try:
            runs = load_results(project.contained(path), project.relative(path))
        except PromptOpsError:
            continue  # not a results file, or a symlink out of the project
        for run in runs:
            yield path, run


def _passes(project: Project, run: RunResult, base: Baseline | None) -> bool:
    """Return whether the run passes its suite's gate (project policy + the suite's overrides)."""
    try:
        return review.passes(project, run, base, load_suites(project, [run.suite])[0])
    except PromptOpsError:
        return False  # no suite to take the policy from, or an incomparable baseline: no evidence
