"""Reading a workflow suite's keys: `loop`, `tools` (doubles, cassettes), `target`; problems located."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.evals.cases import Case
from promptops.evals.workflow_config import (
    WILDCARD,
    Deny,
    Double,
    LoopLimits,
    Mock,
    Recorded,
    Replay,
    Target,
    Workflow,
)
from promptops.formats import decode, load_json, validate_data
from promptops.jsontext import content_hash
from promptops.project import Project, read_bytes
from promptops.spec import PromptSpec

MAX_CASSETTE_BYTES = 100_000_000  # the dataset limit
Line = Callable[[tuple[str | int, ...]], int | None]
_CASSETTE_LINE: Mapping[str, Any] = {
    "type": "object",
    "required": ["tool", "arguments", "result"],
    "additionalProperties": False,
    "properties": {
        "tool": {"type": "string", "minLength": 1},
        "arguments": {"type": "object"},
        "result": {},
        "error": {"type": ["string", "null"]},
    },
}


def declared_tools(spec: PromptSpec) -> frozenset[str]:
    """Return the names of the tools the prompt declares."""
    return frozenset(t.name for t in spec.tools)


def is_workflow(data: Mapping[str, Any]) -> bool:
    """Return whether a suite's data makes it a workflow suite."""
    return any(k in data for k in ("loop", "tools", "target"))


def read_workflow(
    project: Project,
    suite_path: Path,
    data: Mapping[str, Any],
    *,
    declared: frozenset[str],
    label: str,
    line: Line,
) -> Workflow:
    """Return the workflow keys of a schema-valid suite, or raise FileFormatError with every problem.

    `declared` holds the prompt's tool names: a double for any other tool is an error.
    """
    problems: list[Problem] = []
    loop = data.get("loop") or {}
    limits = LoopLimits(
        max_steps=loop.get("max_steps", LoopLimits.max_steps),
        max_tool_calls=loop.get("max_tool_calls", LoopLimits.max_tool_calls),
        timeout_s=float(loop.get("timeout_s", project.config.defaults.timeout_s)),
        max_cost_usd=loop.get("max_cost_usd"),
    )
    doubles: dict[str, Double] = {}
    for name, entry in (data.get("tools") or {}).items():
        at: tuple[str | int, ...] = ("tools", name)
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            problems.append(
                Problem(
                    file=label,
                    line=line(at),
                    path=f"tools.{name}",
                    message=f"the prompt declares no tool '{name}' (declared: {known})",
                )
            )
            continue
        try:
            doubles[name] = _double(project, suite_path, name, entry, label=label, line=line)
        except FileFormatError as exc:
            problems.extend(exc.problems)
    target = _target(data["target"], label, line) if "target" in data else None
    if target is not None and doubles:
        problems.append(
            Problem(
                file=label,
                line=line(("tools",)),
                path="tools",
                message="a suite with a `target` runs the application's own tools; remove `tools`",
            )
        )
    if problems:
        raise FileFormatError(problems)
    return Workflow(loop=limits, doubles=doubles, target=target, max_suite_usd=data.get("max_suite_usd"))


def _double(
    project: Project, suite_path: Path, name: str, entry: Mapping[str, Any], *, label: str, line: Line
) -> Double:
    at: tuple[str | int, ...] = ("tools", name)
    mode = entry["mode"]
    if mode == "deny":
        return Deny(tool=name)
    if mode == "replay":
        return _replay(project, suite_path, name, entry["cassette"], label=label, at=line((*at, "cassette")))
    by = entry.get("by")
    if ("response" in entry) == ("responses" in entry):
        message = "give exactly one of `response` and `responses`"
        raise FileFormatError([Problem(file=label, line=line(at), path=f"tools.{name}", message=message)])
    if by is not None and "response" in entry:
        message = "a mock with `by` takes `responses` keyed by the argument's values"
        raise FileFormatError(
            [
                Problem(
                    file=label, line=line((*at, "response")), path=f"tools.{name}.response", message=message
                )
            ]
        )
    responses = {WILDCARD: entry["response"]} if "response" in entry else dict(entry["responses"])
    if by is None and set(responses) != {WILDCARD}:
        message = (
            'without `by`, a mock answers every call the same: use `response` or `responses: {"*": ...}`'
        )
        raise FileFormatError(
            [
                Problem(
                    file=label,
                    line=line((*at, "responses")),
                    path=f"tools.{name}.responses",
                    message=message,
                )
            ]
        )
    return Mock(tool=name, by=by, responses=responses, latency_ms=float(entry.get("latency_ms", 0.0)))


def _replay(
    project: Project, suite_path: Path, name: str, value: str, *, label: str, at: int | None
) -> Replay:
    rel, calls = read_cassette(
        project, suite_path.parent, value, label=label, at=at, key=f"tools.{name}.cassette"
    )
    return Replay(tool=name, cassette=rel, calls=calls)


def case_doubles(
    project: Project, base: Path, cases: Sequence[Case], declared: frozenset[str], *, label: str
) -> dict[str, dict[str, Double]]:
    """Return, per case with a `cassette` (relative to `base`, the dataset's folder), a replay double for
    every declared tool: the case replays its recorded tool results instead of the suite's doubles."""
    out: dict[str, dict[str, Double]] = {}
    for case in cases:
        if case.cassette is None:
            continue
        rel, calls = read_cassette(project, base, case.cassette, label=label, at=case.line, key="cassette")
        out[case.id] = {
            tool: Replay(tool=tool, cassette=rel, calls=tuple(c for c in calls if c.tool == tool))
            for tool in sorted(declared)
        }
    return out


def read_cassette(
    project: Project, base: Path, value: str, *, label: str, at: int | None, key: str
) -> tuple[str, tuple[Recorded, ...]]:
    """Return the project-relative path and the recorded calls of the cassette `value` (below `base`)."""
    path = (base / value).resolve()
    if not path.is_relative_to(project.root.resolve()):
        message = f"'{value}' leaves the project root"
        raise FileFormatError([Problem(file=label, line=at, path=key, message=message)])
    rel = project.relative(path)
    text = decode(read_bytes(path, rel, MAX_CASSETTE_BYTES), rel)
    calls: list[Recorded] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            item = load_json(raw, rel, line=number)
        except FileFormatError as exc:
            problems.extend(exc.problems)
            continue
        found = validate_data(item, _CASSETTE_LINE, file=rel)
        problems.extend(Problem(file=rel, line=number, path=p.path, message=p.message) for p in found)
        if not found:
            calls.append(
                Recorded(
                    tool=item["tool"],
                    arguments=item["arguments"],
                    result=item["result"],
                    error=item.get("error"),
                    key=content_hash(item["arguments"]),
                )
            )
    if problems:
        raise FileFormatError(problems[:50])
    return rel, tuple(calls)


def _target(entry: Mapping[str, Any], label: str, line: Line) -> Target:
    kinds = [k for k in ("python", "http", "exec") if k in entry]
    if len(kinds) != 1:
        message = "give exactly one of `python`, `http` and `exec`"
        raise FileFormatError([Problem(file=label, line=line(("target",)), path="target", message=message)])
    env = tuple(entry.get("env") or ())
    if kinds[0] == "python":
        return Target(kind="python", python=entry["python"], env=env)
    if kinds[0] == "http":
        http = entry["http"]
        return Target(kind="http", url=http["url"], body=http.get("body"), output=http.get("output"), env=env)
    return Target(kind="exec", cmd=tuple(entry["exec"]["cmd"]), env=env)
