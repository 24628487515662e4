"""Sandboxed Jinja2 rendering of prompt messages and variable discovery."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes, sandbox
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from promptops.errors import FileFormatError, InputError, Problem, TemplateError
from promptops.formats import validate_data
from promptops.prompts.messages import RenderedMessage, data_url, history_messages, plain_data
from promptops.prompts.sandbox import Sandbox, budget
from promptops.spec import Message, PromptSpec


@cache
def environment() -> ImmutableSandboxedEnvironment:
    """Return the one sandbox: undefined variables are errors, no autoescape."""
    return Sandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


@functools.lru_cache(maxsize=512)
def _template(source: str) -> jinja2.Template:
    # Compiling costs about a millisecond; applications render the same few templates on every request.
    return environment().from_string(source)


def syntax_problem(source: str, file: str, line: int | None, path: str) -> Problem | None:
    """Return the Jinja syntax problem of `source`, located in the file, or None."""
    try:
        environment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        at = None if line is None else line + max((exc.lineno or 1) - 1, 0)
        return Problem(file=file, line=at, path=path, message=f"template syntax error: {exc.message}")
    except RecursionError:
        return Problem(
            file=file,
            line=line,
            path=path,
            message="template syntax error: expressions are nested too deeply",
        )
    return None


# what the sandbox refuses at render time, found before it: private and dunder names and the
# attributes that reach frames, code and globals
_UNSAFE_NAMES = frozenset(
    {"mro", "format_map"}
    | sandbox.UNSAFE_FUNCTION_ATTRIBUTES
    | sandbox.UNSAFE_METHOD_ATTRIBUTES
    | sandbox.UNSAFE_GENERATOR_ATTRIBUTES
    | sandbox.UNSAFE_COROUTINE_ATTRIBUTES
    | sandbox.UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
)


def unsafe_problem(source: str, file: str, line: int | None, path: str) -> Problem | None:
    """Return where `source` reaches for Python internals (which render refuses), or None."""
    try:
        tree = environment().parse(source)
    except (jinja2.TemplateSyntaxError, RecursionError):
        return None  # reported as a syntax problem
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name: object = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
            name = node.args[0].value if isinstance(node.args[0], nodes.Const) else None
        if isinstance(name, str) and (name.startswith("_") or name in _UNSAFE_NAMES):
            at = None if line is None else line + max((node.lineno or 1) - 1, 0)
            return Problem(
                file=file,
                line=at,
                path=path,
                message=f"unsafe template code: '{name}' reaches Python internals",
            )
    return None


@functools.lru_cache(maxsize=512)
def variables(source: str) -> frozenset[str]:
    """Return the variables a template reads (empty when it does not parse); cached per source."""
    try:
        return frozenset(meta.find_undeclared_variables(environment().parse(source)))
    except (jinja2.TemplateSyntaxError, RecursionError):
        return frozenset()


def template_variables(spec: PromptSpec) -> set[str]:
    """Return the variables any of the prompt's messages reads."""
    found = {v for m in spec.messages for _, text, _ in m.templates() for v in variables(text)}
    return found | {m.history for m in spec.messages if m.history is not None}


def render_text(
    source: str,
    values: Mapping[str, Any],
    where: str = "template",
    *,
    file: str = "",
    line: int | None = None,
) -> str:
    """Return `source` rendered with `values`; raise TemplateError on any failure.

    With `file` and `line` (where the template text starts), syntax errors name the file line.
    """
    try:
        with budget() as allowance:
            parts: list[str] = []
            for part in _template(source).generate(**values):  # streamed, so the output cap holds early
                allowance.emit(len(part))
                parts.append(part)
            return "".join(parts)
    except SecurityError as exc:
        raise TemplateError(
            f"{where}: refused unsafe template code: {exc}", hint="templates may not reach Python internals"
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            f"{where}: {exc.message}", hint="pass it with --var NAME=VALUE or declare it in `inputs`"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        at = f"{file}:{line + max(exc.lineno - 1, 0)}" if file and line else f"{where}:{exc.lineno}"
        raise TemplateError(f"{at}: template syntax error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{where}: template error: {exc.message or exc}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise TemplateError(f"{where}: template error: {exc}") from None
    except RecursionError:
        raise TemplateError(f"{where}: template is nested or recurses too deeply") from None
    except MemoryError:
        raise TemplateError(
            f"{where}: refused unsafe template code: the template ran out of memory"
        ) from None


def check_inputs(spec: PromptSpec, values: Mapping[str, Any]) -> None:
    """Raise FileFormatError naming each variable that does not satisfy the prompt's `inputs`."""
    if spec.inputs is None:
        return
    problems = validate_data(dict(values), spec.inputs, file=spec.name)
    if problems:
        raise FileFormatError(
            [Problem(file="", line=None, path="", message=_describe(p, spec.name)) for p in problems],
            hint=f"see `inputs` in {spec.source or spec.name}",
        )


def _describe(problem: Problem, name: str) -> str:
    if problem.message.startswith("missing required key "):
        variable = problem.message.removeprefix("missing required key ")
        where = f" in '{problem.path}'" if problem.path else ""
        return f"variable {variable}{where} is required by {name}"
    if problem.path:
        return f"variable '{problem.path}' of {name}: {problem.message}"
    return f"variables of {name}: {problem.message}"


def declared(spec: PromptSpec) -> list[str] | None:
    """Return the variables `inputs` declares, or None when the prompt has no `inputs`."""
    if spec.inputs is None:
        return None
    names = list(spec.inputs.get("properties") or {})
    return names + [n for n in spec.inputs.get("required") or [] if n not in names]


def unknown_variables(spec: PromptSpec, values: Mapping[str, Any]) -> list[str]:
    """Return the names in `values` that the prompt neither declares nor reads, sorted."""
    known = declared(spec)
    if known is None or (spec.inputs or {}).get("additionalProperties", False) is not False:
        known = [*(known or []), *template_variables(spec)]
    return sorted(set(values) - set(known))


def coerce(spec: PromptSpec, raw: Mapping[str, str]) -> dict[str, Any]:
    """Return command-line values, parsing JSON where `inputs` wants a non-string type."""
    properties = (spec.inputs or {}).get("properties") or {}
    out: dict[str, Any] = {}
    for key, text in raw.items():
        wanted = properties.get(key, {}).get("type", "string") if isinstance(properties, dict) else "string"
        kinds = wanted if isinstance(wanted, list) else [wanted]
        out[key] = text
        if "string" not in kinds:
            # unparsable text stays text; validation then names the variable and the type it wants
            with contextlib.suppress(ValueError, RecursionError):
                out[key] = json.loads(text)
    return out


def render(spec: PromptSpec, values: Mapping[str, Any], root: Path | None = None) -> list[RenderedMessage]:
    """Return the prompt's messages rendered with `values`, after checking them against `inputs`.

    A `{history: VAR}` placeholder becomes the messages in VAR; an image `path:` (below `root`, the
    project) becomes a data URL.
    """
    check_inputs(spec, values)
    out: list[RenderedMessage] = []
    with budget():  # one allowance for the whole prompt, however many messages it has
        for i, message in enumerate(spec.messages):
            where = f"{spec.source}:{message.line}" if message.line else f"{spec.source} messages[{i}]"
            if message.history is not None:
                out.extend(history_messages(spec, message.history, values))
            elif message.plain:
                text = render_text(message.content, values, where, file=spec.source, line=message.line)
                out.append(RenderedMessage(role=message.role, content=text))
            else:
                out.append(_rich(message, values, where, spec.source, root))
    return out


def _rich(
    message: Message, values: Mapping[str, Any], where: str, file: str, root: Path | None
) -> RenderedMessage:
    """Return a multi-part message, a few-shot tool call or a tool result, rendered."""

    def text(source: str, line: int | None) -> str:
        return render_text(source, values, where, file=file, line=line)

    parts: list[dict[str, Any]] = []
    for part in message.parts:
        if part.type == "text":
            parts.append({"type": "text", "text": text(part.text or "", part.line)})
            continue
        url = text(part.url, part.line) if part.url is not None else data_url(part.path or "", root, where)
        image: dict[str, Any] = {"url": url}
        if part.detail is not None:
            image["detail"] = part.detail
        parts.append({"type": "image_url", "image_url": image})
    calls = [
        {
            "id": call.id,
            "type": "function",
            "function": {
                "name": call.name,
                "arguments": json.dumps(
                    _render_data(plain_data(call.arguments), text, call.line), sort_keys=True
                ),
            },
        }
        for call in message.tool_calls
    ]
    content = text(message.content, message.line) if message.content else ""
    if parts:
        content = "\n".join(p["text"] for p in parts if p["type"] == "text")
    return RenderedMessage(
        role=message.role,
        content=content,
        parts=tuple(parts),
        tool_calls=tuple(calls),
        tool_call_id=message.tool_call_id,
    )


def _render_data(value: Any, text: Any, line: int | None) -> Any:
    if isinstance(value, str):
        return text(value, line)
    if isinstance(value, dict):
        return {k: _render_data(v, text, line) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_data(v, text, line) for v in value]
    return value


def render_checked(
    spec: PromptSpec, values: Mapping[str, Any], label: str | None = None, root: Path | None = None
) -> list[RenderedMessage]:
    """Return the rendered messages; InputError naming the first variable the prompt does not know."""
    unknown = unknown_variables(spec, values)
    if unknown:
        expected = ", ".join(declared(spec) or sorted(template_variables(spec))) or "none"
        raise InputError(
            f"unknown variable '{unknown[0]}' for {label or spec.name} (expected: {expected})",
            hint=f"see `inputs` in {spec.source}",
        )
    return render(spec, values, root)
