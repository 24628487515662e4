"""Prompt files: text -> PromptSpec, with every problem located."""

from __future__ import annotations

from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.formats import Document, check_schema, decode, parse_yaml, validate
from promptops.spec import Message, PromptSpec


def read_prompt(raw: bytes, file: str) -> PromptSpec:
    """Return the PromptSpec in `raw`, or raise FileFormatError listing every problem."""
    doc = parse_yaml(decode(raw, file), file)
    problems = check(doc)
    if problems:
        raise FileFormatError(problems)
    return to_spec(doc)


def check(doc: Document) -> list[Problem]:
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
    return problems


def to_spec(doc: Document) -> PromptSpec:
    """Return the PromptSpec of an already validated document."""
    data: dict[str, Any] = doc.data
    messages = tuple(
        Message(role=m["role"], content=m["content"], line=template_line(doc, ("messages", i, "content")))
        for i, m in enumerate(data["messages"])
    )
    lines = {".".join(str(p) for p in path): line for path, line in doc.lines.items()}
    return PromptSpec(
        name=data["name"],
        version=data["version"],
        model=data["model"],
        messages=messages,
        description=data.get("description"),
        owner=data.get("owner"),
        params=dict(data.get("params") or {}),
        fallbacks=tuple(data.get("fallbacks") or ()),
        inputs=data.get("inputs"),
        output=dict(data.get("output") or {"format": "text"}),
        examples=tuple(data.get("examples") or ()),
        tags=tuple(data.get("tags") or ()),
        source=doc.file,
        lines=lines,
    )


def template_line(doc: Document, path: tuple[str | int, ...]) -> int | None:
    """Return the file line where the template text at `path` starts."""
    return doc.value_lines.get(path) or doc.line(path)
