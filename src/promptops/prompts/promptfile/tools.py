"""The `tools` of a prompt file: inline definitions and `use: NAME` entries resolved from the shared
tool files (tools/NAME.yaml), with every problem located in the file that has it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.formats import Document, check_schema, decode, key_path, parse_yaml, validate
from promptops.spec import Tool

ToolData = tuple[dict[str, Any], str | None]  # a resolved definition, the shared file it came from


@dataclass(frozen=True, kw_only=True)
class ToolSource:
    """Where `use:` tools are read from: the working tree or one git commit (the prompt's own side)."""

    read: Callable[[str], bytes | None]  # a path relative to the project root -> its bytes, None if absent
    directory: str = "tools"
    label: str = ""  # prefix of file labels in messages ("REF:" for a git ref)

    def path(self, name: str) -> str:
        return f"{self.directory}/{name}.yaml"


def resolve(doc: Document, source: ToolSource | None) -> tuple[list[ToolData], list[Problem]]:
    """Return the file's tool definitions in order (`use:` entries read from `source`), and problems."""
    entries = doc.data.get("tools") or []
    out: list[ToolData] = []
    problems: list[Problem] = []
    for i, entry in enumerate(entries):
        at = ("tools", i)
        if "use" in entry:
            extra = sorted(k for k in entry if k != "use")
            if extra:
                problems.append(_problem(doc, (*at, extra[0]), "a `use:` tool takes no other keys"))
                continue
            found, trouble = _shared(doc, (*at, "use"), entry["use"], source)
            problems += trouble
            if found is not None:
                out.append((found, entry["use"]))
            continue
        missing = [k for k in ("name", "parameters") if k not in entry]
        if missing:
            problems.append(_problem(doc, at, f"missing required key '{missing[0]}' (or `use: NAME`)"))
            continue
        problems += _parameters(entry["parameters"], doc, (*at, "parameters"))
        out.append((dict(entry), None))
    seen: dict[str, int] = {}
    for i, (data, _) in enumerate(out):
        if data["name"] in seen:
            problems.append(
                _problem(
                    doc, ("tools", i), f"tool '{data['name']}' is defined twice (tools[{seen[data['name']]}])"
                )
            )
        seen.setdefault(data["name"], i)
    return out, problems


def to_tools(resolved: list[ToolData]) -> tuple[Tool, ...]:
    return tuple(
        Tool(
            name=data["name"],
            parameters=data["parameters"],
            description=data.get("description"),
            strict=data.get("strict"),
            use=use,
        )
        for data, use in resolved
    )


def _shared(
    doc: Document, at: tuple[str | int, ...], name: str, source: ToolSource | None
) -> tuple[dict[str, Any] | None, list[Problem]]:
    if source is None:
        return None, [_problem(doc, at, f"shared tool '{name}' cannot be resolved here (no tools directory)")]
    path = source.path(name)
    raw = source.read(path)
    if raw is None:
        return None, [_problem(doc, at, f"no shared tool file {path}")]
    label = source.label + path
    try:
        tool_doc = parse_yaml(decode(raw, label), label)
    except FileFormatError as exc:
        return None, list(exc.problems)
    if not isinstance(tool_doc.data, dict):
        return None, [Problem(file=label, line=1, path="", message="a tool file must be a mapping of keys")]
    problems = validate(tool_doc, "tool")
    if problems:
        return None, problems
    data = dict(tool_doc.data)
    if data.setdefault("name", name) != name:
        line = tool_doc.line(("name",))
        return None, [
            Problem(file=label, line=line, path="name", message=f"must be '{name}', the file's name")
        ]
    problems = _parameters(data["parameters"], tool_doc, ("parameters",))
    return (None if problems else data), problems


def _parameters(rules: Any, doc: Document, at: tuple[str | int, ...]) -> list[Problem]:
    problems = check_schema(rules, doc, at)
    if not problems and rules.get("type") != "object":
        problems.append(
            _problem(doc, at, "must be a JSON Schema with `type: object` (tool arguments are an object)")
        )
    return problems


def _problem(doc: Document, at: tuple[str | int, ...], message: str) -> Problem:
    return Problem(file=doc.file, line=doc.line(at), path=key_path(at), message=message)
