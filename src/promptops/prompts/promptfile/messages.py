"""The messages of a prompt file: text, multi-part content, few-shot tool calls and results, history
placeholders; their shape rules, and the checks that tie them to the prompt's tools."""

from __future__ import annotations

from typing import Any

from promptops.errors import Problem
from promptops.formats import Document, key_path, validate_data
from promptops.spec import FewShotCall, Message, Part


def check_messages(doc: Document, tools: dict[str, dict[str, Any]]) -> list[Problem]:
    """Return the shape problems of `messages`, and few-shot calls that do not fit `tools` (by name)."""
    problems: list[Problem] = []
    answered: set[str] = set()
    called: dict[str, tuple[int, int]] = {}
    for i, m in enumerate(doc.data["messages"]):
        at: tuple[str | int, ...] = ("messages", i)
        if "history" in m:
            if len(m) > 1:
                problems.append(_problem(doc, at, "a history placeholder takes no other keys"))
            continue
        role = m.get("role")
        if role is None:
            problems.append(_problem(doc, at, "missing required key 'role'"))
            continue
        if "content" not in m and not (role == "assistant" and "tool_calls" in m):
            problems.append(_problem(doc, at, "missing required key 'content'"))
        if isinstance(m.get("content"), list) and role != "tool":
            problems += _parts(doc, at, m["content"], role)
        if "tool_calls" in m and role != "assistant":
            problems.append(_problem(doc, (*at, "tool_calls"), "only assistant messages make tool calls"))
        if role == "tool":
            if "tool_call_id" not in m:
                problems.append(
                    _problem(doc, at, "missing required key 'tool_call_id' (the call it answers)")
                )
            elif m["tool_call_id"] not in called:
                problems.append(
                    _problem(
                        doc,
                        (*at, "tool_call_id"),
                        f"'{m['tool_call_id']}' answers no earlier assistant tool call",
                    )
                )
            else:
                answered.add(m["tool_call_id"])
            if not isinstance(m.get("content", ""), str):
                problems.append(_problem(doc, (*at, "content"), "a tool result is text"))
        elif "tool_call_id" in m:
            problems.append(_problem(doc, (*at, "tool_call_id"), "only tool messages answer a tool call"))
        for j, call in enumerate(m.get("tool_calls") or ()):
            problems += _call(doc, (*at, "tool_calls", j), call, tools)
            called.setdefault(call["id"], (i, j))
    for call_id, (i, j) in called.items():
        if call_id not in answered:
            problems.append(
                _problem(
                    doc,
                    ("messages", i, "tool_calls", j, "id"),
                    f"call '{call_id}' has no tool message answering it",
                )
            )
    return problems


def _parts(doc: Document, at: tuple[str | int, ...], parts: list[Any], role: str) -> list[Problem]:
    if role != "user":
        return [_problem(doc, (*at, "content"), "only user messages have content parts; write text")]
    problems = []
    for k, part in enumerate(parts):
        where = (*at, "content", k)
        if part["type"] == "text" and "text" not in part:
            problems.append(_problem(doc, where, "a text part needs `text`"))
        elif part["type"] == "image" and ("url" in part) == ("path" in part):
            problems.append(_problem(doc, where, "an image part needs one of `url` or `path`"))
        elif part["type"] == "text" and {"url", "path", "detail"} & set(part):
            problems.append(_problem(doc, where, "a text part takes only `text`"))
    return problems


def _call(
    doc: Document, at: tuple[str | int, ...], call: dict[str, Any], tools: dict[str, dict[str, Any]]
) -> list[Problem]:
    if call["name"] not in tools:
        known = ", ".join(sorted(tools)) or "none"
        return [
            _problem(doc, (*at, "name"), f"'{call['name']}' is not a tool of this prompt (tools: {known})")
        ]
    arguments = call.get("arguments") or {}
    if _templated(arguments):
        return []  # checked once rendered (render validates nothing of tools; the eval scorers do)
    found = validate_data(arguments, tools[call["name"]]["parameters"], file=doc.file)
    where = (*at, "arguments")
    return [
        Problem(
            file=doc.file,
            line=doc.line(where),
            path=key_path(where),
            message=f"do not fit tool '{call['name']}': " + (f"{p.path}: " if p.path else "") + p.message,
        )
        for p in found
    ]


def _templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(_templated(v) for v in value.values())
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    return False


def to_messages(doc: Document, line_of: Any) -> tuple[Message, ...]:
    """Return the Message of each entry of a checked `messages` list (`line_of(path)`: template lines)."""
    out = []
    for i, m in enumerate(doc.data["messages"]):
        at = ("messages", i)
        if "history" in m:
            out.append(Message(role="history", content="", line=doc.line(at), history=m["history"]))
            continue
        content = m.get("content", "")
        parts: tuple[Part, ...] = ()
        if isinstance(content, list):
            parts = tuple(
                Part(
                    type=p["type"],
                    text=p.get("text"),
                    url=p.get("url"),
                    path=p.get("path"),
                    detail=p.get("detail"),
                    line=line_of((*at, "content", k, "text" if p["type"] == "text" else "url")),
                )
                for k, p in enumerate(content)
            )
            content = ""
        calls = tuple(
            FewShotCall(
                id=c["id"],
                name=c["name"],
                arguments=c.get("arguments") or {},
                line=doc.line((*at, "tool_calls", j)),
            )
            for j, c in enumerate(m.get("tool_calls") or ())
        )
        out.append(
            Message(
                role=m["role"],
                content=content,
                line=line_of((*at, "content")),
                parts=parts,
                tool_calls=calls,
                tool_call_id=m.get("tool_call_id"),
            )
        )
    return tuple(out)


def _problem(doc: Document, at: tuple[str | int, ...], message: str) -> Problem:
    return Problem(file=doc.file, line=doc.line(at), path=key_path(at), message=message)
