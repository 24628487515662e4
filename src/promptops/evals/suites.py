"""Eval suites and their golden cases: evals/NAME.yaml plus a JSONL or CSV dataset, or inline cases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from promptops.config import policy_for
from promptops.errors import FileFormatError, InputError, Problem
from promptops.evals import pinned
from promptops.evals.cases import Case, ScorerConfig, Suite
from promptops.evals.datasets import read_cases, to_case, unique
from promptops.evals.scoring import COMMON_KEYS, SCORERS, options_schema
from promptops.evals.workflow.reader import case_doubles, declared_tools, is_workflow, read_workflow
from promptops.evals.workflow_config import DEFAULT_REPEATS
from promptops.formats import (
    content_hash,
    decode,
    key_path,
    parse_yaml,
    validate,
    validate_data,
)
from promptops.project import Project, read_bytes
from promptops.prompts import working
from promptops.spec import PromptSpec

MAX_DATASET_BYTES = 100_000_000
DATASET_FORMATS = (".jsonl", ".csv")


def suite_name(project: Project, path: Path) -> str:
    """Return the suite name of a file: its path below evals/ without .yaml."""
    return path.resolve().relative_to(project.evals_dir.resolve()).with_suffix("").as_posix()


def load_suites(project: Project, names: Sequence[str] = ()) -> list[Suite]:
    """Return the named suites (every suite when `names` is empty), in the order given."""
    files = {suite_name(project, p): p for p in project.suite_files()}
    if not names:
        return [load_suite_file(project, path) for path in files.values()]
    suites: list[Suite] = []
    evals = project.evals_dir.resolve()
    for name in names:
        clean = name.removesuffix(".yaml")
        as_path = (Path.cwd() / name).resolve()
        if name.endswith(".yaml") and as_path.is_file() and as_path.is_relative_to(evals):
            clean = suite_name(project, as_path)  # a path such as evals/order-id.yaml
        if clean not in files:
            known = ", ".join(files) or "none"
            raise InputError(
                f"unknown suite '{name}' (known: {known})",
                hint=f"expected a file at {project.relative(project.evals_dir / (clean + '.yaml'))}",
            )
        if all(s.name != clean for s in suites):  # a suite named twice runs once
            suites.append(load_suite_file(project, files[clean]))
    return suites


def load_suite_file(project: Project, path: Path) -> Suite:
    """Return the Suite in `path`, or raise FileFormatError listing every located problem."""
    label = project.relative(path)
    doc = parse_yaml(decode(read_bytes(path, label), label), label)
    if not isinstance(doc.data, dict):
        raise FileFormatError(
            [
                Problem(
                    file=label, line=doc.line(()), path="", message="a suite file must be a mapping of keys"
                )
            ]
        )
    problems = validate(doc, "suite")
    data: dict[str, Any] = doc.data
    if not problems and ("dataset" in data) == ("cases" in data):
        where = ("cases",) if "cases" in data else ()
        problems.append(
            Problem(
                file=label, line=doc.line(where), path="", message="give exactly one of `dataset` and `cases`"
            )
        )
    if problems:
        raise FileFormatError(problems)
    spec = _prompt(
        project, data["prompt"], Problem(file=label, line=doc.line(("prompt",)), path="prompt", message="")
    )
    scorers = _scorers(project, data["scorers"], spec, label, doc.line)
    dataset: str | None = None
    if "dataset" in data:
        cases, dataset = _dataset(project, path, data["dataset"], label, doc.line)
        if not cases:
            # nothing to score would pass every gate: an empty golden set is a mistake, not a result
            raise FileFormatError(
                [
                    Problem(
                        file=dataset,
                        line=None,
                        path="",
                        message="no cases; a dataset needs at least one case",
                    )
                ]
            )
    else:
        cases = _inline_cases(data["cases"], label, doc.line)
    cases = _checked_asserts(project, cases, spec, dataset or label)
    workflow = None
    if is_workflow(data):
        workflow = read_workflow(
            project, path, data, declared=declared_tools(spec), label=label, line=doc.line
        )
        base = (project.root / dataset).parent if dataset else path.parent
        replays = case_doubles(project, base, cases, declared_tools(spec), label=dataset or label)
        if replays:
            workflow = replace(workflow, case_doubles=replays)
    return Suite(
        name=suite_name(project, path),
        prompt=data["prompt"],
        path=label,
        cases=cases,
        scorers=scorers,
        dataset=dataset,
        repeats=data.get("repeats", DEFAULT_REPEATS if workflow is not None else None),
        gate=dict(data.get("gate") or {}),
        policy=policy_for(project.config, data.get("gate") or {}),
        dataset_hash=dataset_hash(cases),
        scorers_hash=scorers_hash(scorers),
        spec=spec,
        stream=bool((data.get("latency") or {}).get("stream")),
        workflow=workflow,
    )


def dataset_hash(cases: Iterable[Case]) -> str:
    """Return the hash of the cases (ids and contents; their order does not matter)."""
    return content_hash(sorted([c.id, c.hash] for c in cases))


def scorers_hash(scorers: Iterable[ScorerConfig]) -> str:
    """Return the hash of the scorer configuration."""
    return content_hash(
        [
            {
                "type": s.type,
                "name": s.name,
                "weight": s.weight,
                "required": s.required,
                "threshold": s.threshold,
                "options": dict(s.options),
            }
            for s in scorers
        ]
    )


def _prompt(project: Project, name: str, at: Problem) -> PromptSpec:
    if not project.prompt_path(name).is_file():
        known = ", ".join(project.prompt_names()) or "none"
        raise FileFormatError(
            [
                Problem(
                    file=at.file,
                    line=at.line,
                    path=at.path,
                    message=f"unknown prompt '{name}' (known: {known})",
                )
            ]
        )
    return working.load_prompt(project, name)


def _scorers(
    project: Project,
    entries: list[dict[str, Any]],
    spec: PromptSpec,
    label: str,
    line: Any,
    *,
    key: str = "scorers",
) -> tuple[ScorerConfig, ...]:
    problems: list[Problem] = []
    configs: list[ScorerConfig] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        kind = entry["type"]
        scorer = SCORERS.get(kind)
        if scorer is None:
            known = ", ".join(sorted(SCORERS))
            problems.append(
                Problem(
                    file=label,
                    line=line((key, i, "type")),
                    path=f"{key}[{i}].type",
                    message=f"unknown scorer '{kind}'; expected one of: {known}",
                )
            )
            continue
        found = validate_data(entry, options_schema(scorer), file=label)
        for p in found:
            first = p.path.split(".")[0].split("[")[0] if p.path else ""
            at = (key, i, first) if first else (key, i)
            problems.append(
                Problem(
                    file=label,
                    line=line(at),
                    path=key_path(at[:2]) + (f".{p.path}" if p.path else ""),
                    message=p.message,
                )
            )
        if found:
            continue
        # a scorer whose own options have `name` (the tool scorers: the tool's name) keeps it as an option
        # and is shown as `type(name)`, e.g. tool_called(refund)
        names_tool = "name" in scorer.schema.get("properties", {})
        options = {k: v for k, v in entry.items() if k not in COMMON_KEYS or (names_tool and k == "name")}
        for option, message in scorer.check(options, spec, project.root):
            problems.append(
                Problem(file=label, line=line((key, i, option)), path=f"{key}[{i}].{option}", message=message)
            )
        shown = names_tool and "name" in entry and "{" not in str(entry["name"])
        name = (f"{kind}({entry['name']})" if shown else None if names_tool else entry.get("name")) or (
            kind if key == "scorers" else f"{key}.{kind}"
        )
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1 and ("name" not in entry or names_tool):
            name = f"{name}#{seen[name]}"
        configs.append(
            ScorerConfig(
                type=kind,
                weight=float(entry.get("weight", 1.0)),
                required=bool(entry.get("required", True)),
                threshold=entry.get("threshold"),
                options=options,
                name=name,
                line=line((key, i)),
            )
        )
    if problems:
        raise FileFormatError(problems)
    names = [c.name for c in configs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FileFormatError(
            [
                Problem(
                    file=label,
                    line=line((key,)),
                    path=key,
                    message=f"duplicate scorer name '{duplicates[0]}'",
                )
            ]
        )
    return tuple(configs)


def _dataset(
    project: Project, suite_path: Path, value: str | dict[str, str], label: str, line: Any
) -> tuple[tuple[Case, ...], str]:
    """Return the cases of the suite's dataset and its path relative to the root, checking a pinned hash."""
    if isinstance(value, str):
        target = _dataset_path(project, suite_path, value, label, line(("dataset",)))
        rel = project.relative(target)
        return read_cases(read_bytes(target, rel, MAX_DATASET_BYTES), rel), rel
    at = line(("dataset", "from"))
    target = _dataset_path(project, suite_path, pinned.local_path(value["from"], label, at), label, at)
    rel = project.relative(target)
    if not target.is_file():
        raise FileFormatError(
            [
                Problem(
                    file=label,
                    line=at,
                    path="dataset.from",
                    message=f"no such file '{value['from']}' (this dataset is not in git)",
                )
            ],
            hint=f"fetch the dataset to {rel}; the suite pins its sha256",
        )
    raw = read_bytes(target, rel, MAX_DATASET_BYTES)
    found = pinned.digest(raw)
    pinned_digest = value["sha256"].removeprefix("sha256:")
    if found != value["sha256"].removeprefix("sha256:"):
        raise FileFormatError(
            [
                Problem(
                    file=label,
                    line=line(("dataset", "sha256")),
                    path="dataset.sha256",
                    message=f"{rel} has sha256 {found}, the suite pins {pinned_digest}",
                )
            ],
            hint="fetch the dataset the suite was written for, or review the new one and update `sha256`",
        )
    return read_cases(raw, rel), rel


def _dataset_path(project: Project, suite_path: Path, value: str, label: str, line: int | None) -> Path:
    if Path(value).suffix.lower() not in DATASET_FORMATS:
        raise FileFormatError(
            [
                Problem(
                    file=label,
                    line=line,
                    path="dataset",
                    message=f"unsupported dataset format '{Path(value).suffix}'; expected .jsonl or .csv",
                )
            ]
        )
    target = (suite_path.parent / value).resolve()
    try:
        target.relative_to(project.root.resolve())
    except ValueError:
        raise FileFormatError(
            [Problem(file=label, line=line, path="dataset", message=f"'{value}' leaves the project root")],
            hint="keep datasets inside the repository, e.g. evals/data/",
        ) from None
    return target


def _inline_cases(entries: list[dict[str, Any]], label: str, line: Any) -> tuple[Case, ...]:
    # the suite schema has already validated every entry
    return unique(
        [(to_case(entry, line(("cases", i))), line(("cases", i, "id"))) for i, entry in enumerate(entries)],
        label,
    )


def _checked_asserts(
    project: Project, cases: tuple[Case, ...], spec: PromptSpec, label: str
) -> tuple[Case, ...]:
    """Return the cases with their `assert:` entries validated as scorers (raise FileFormatError)."""
    out = []
    for case in cases:
        if not case.asserts:
            out.append(case)
            continue
        entries = [dict(a.options) for a in case.asserts]
        checked = _scorers(project, entries, spec, label, lambda _path, n=case.line: n, key="assert")
        out.append(replace(case, asserts=checked))
    return tuple(out)
