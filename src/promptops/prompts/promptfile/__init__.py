"""Prompt files: text -> PromptSpec, with every problem located."""

from __future__ import annotations

from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.formats import Document, check_schema, decode, key_path, parse_yaml, validate, validate_data
from promptops.prompts.promptfile.messages import check_messages, to_messages
from promptops.prompts.promptfile.tools import ToolSource, resolve, to_tools
from promptops.spec import PromptSpec

__all__ = ["ToolSource", "check", "read_prompt", "template_line", "to_spec"]


def read_prompt(raw: bytes, file: str, tools: ToolSource | None = None) -> PromptSpec:
    """Return the PromptSpec in `raw`, or raise FileFormatError listing every problem.

    `tools` is where `use: NAME` tools are read (the prompt's own side: working tree or commit).
    """
    doc = parse_yaml(decode(raw, file), file)
    problems = check(doc, tools)
    if problems:
        raise FileFormatError(problems)
    return to_spec(doc, tools)


def check(doc: Document, tools: ToolSource | None = None) -> list[Problem]:
    """Return every schema problem of a prompt document."""
    if doc.data is None:
        return [
            Problem(
                file=doc.file,
                line=1,
                path="",
                message="file is empty; a prompt needs name, version, model and messages",
            )
        ]
    if not isinstance(doc.data, dict):
        got = "a list" if isinstance(doc.data, list) else "a single value"
        return [
            Problem(
                file=doc.file,
                line=doc.line(()),
                path="",
                message=f"a prompt file must be a mapping of keys, got {got}",
            )
        ]
    problems = validate(doc, "prompt")
    if not problems:
        if "inputs" in doc.data:
            problems += check_schema(doc.data["inputs"], doc, ("inputs",))
        if "schema" in (doc.data.get("output") or {}):
            problems += check_schema(doc.data["output"]["schema"], doc, ("output", "schema"))
        problems += _check_tools(doc, tools)
        problems += _check_config(doc)
        output = doc.data.get("output") or {}
        if output.get("strict") and (output.get("format") != "json" or "schema" not in output):
            problems.append(_problem(doc, ("output", "strict"), "needs `format: json` and a `schema`"))
    return problems


def _check_tools(doc: Document, source: ToolSource | None) -> list[Problem]:
    data = doc.data
    if not {"tools", "tool_choice"} & set(data) and not any("tool_calls" in m for m in data["messages"]):
        return check_messages(doc, {})
    resolved, problems = resolve(doc, source)
    tools = {t["name"]: t for t, _ in resolved}
    choice = data.get("tool_choice")
    if isinstance(choice, dict) and choice["name"] not in tools:
        known = ", ".join(sorted(tools)) or "none"
        problems.append(
            _problem(
                doc,
                ("tool_choice", "name"),
                f"'{choice['name']}' is not a tool of this prompt (tools: {known})",
            )
        )
    elif choice == "required" and not data.get("tools"):
        problems.append(_problem(doc, ("tool_choice",), "'required' needs `tools`"))
    if not problems:
        problems += check_messages(doc, tools)
    return problems


def _check_config(doc: Document) -> list[Problem]:
    data = doc.data
    problems: list[Problem] = []
    if "config_schema" in data:
        problems += check_schema(data["config_schema"], doc, ("config_schema",))
        if not problems and "config" in data:
            problems += validate_data(data["config"], data["config_schema"], file=doc.file)
            problems = [
                Problem(
                    file=doc.file,
                    line=doc.line(("config", *_split(p.path))),
                    path="config" + (f".{p.path}" if p.path and not p.path.startswith("[") else p.path),
                    message=p.message,
                )
                for p in problems
            ]
    return problems


def _split(path: str) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for piece in path.replace("[", ".[").split("."):
        if piece.startswith("[") and piece.endswith("]") and piece[1:-1].isdigit():
            out.append(int(piece[1:-1]))
        elif piece:
            out.append(piece)
    return tuple(out)


def to_spec(doc: Document, tools: ToolSource | None = None) -> PromptSpec:
    """Return the PromptSpec of an already validated document."""
    data: dict[str, Any] = doc.data
    lines = {".".join(str(p) for p in path): line for path, line in doc.lines.items()}
    resolved = resolve(doc, tools)[0] if "tools" in data else []
    choice = data.get("tool_choice")
    return PromptSpec(
        name=data["name"],
        version=data["version"],
        model=data["model"],
        messages=to_messages(doc, lambda path: template_line(doc, path)),
        description=data.get("description"),
        owner=data.get("owner"),
        params=dict(data.get("params") or {}),
        fallbacks=tuple(data.get("fallbacks") or ()),
        inputs=data.get("inputs"),
        output=dict(data.get("output") or {"format": "text"}),
        examples=tuple(data.get("examples") or ()),
        tags=tuple(data.get("tags") or ()),
        tools=to_tools(resolved),
        tool_choice=dict(choice) if isinstance(choice, dict) else choice,
        config=data.get("config"),
        config_schema=data.get("config_schema"),
        source=doc.file,
        lines=lines,
    )


def template_line(doc: Document, path: tuple[str | int, ...]) -> int | None:
    """Return the file line where the template text at `path` starts."""
    return doc.value_lines.get(path) or doc.line(path)


def _problem(doc: Document, at: tuple[str | int, ...], message: str) -> Problem:
    return Problem(file=doc.file, line=doc.line(at), path=key_path(at), message=message)
