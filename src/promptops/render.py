"""Sandboxed Jinja2 rendering of prompt messages and variable discovery."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from promptops.errors import FileFormatError, Problem, TemplateError
from promptops.formats import validate_data
from promptops.model import PromptSpec


@dataclass(frozen=True)
class RenderedMessage:
    role: str
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@cache
def environment() -> ImmutableSandboxedEnvironment:
    """Return the one sandbox: undefined variables are errors, no autoescape."""
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    return env


def syntax_problem(source: str, file: str, line: int | None, path: str) -> Problem | None:
    """Return the Jinja syntax problem of `source`, located in the file, or None."""
    try:
        environment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        at = None if line is None else line + max((exc.lineno or 1) - 1, 0)
        return Problem(file, at, path, f"template syntax error: {exc.message}")
    return None


def variables(source: str) -> set[str]:
    """Return the variables a template reads (empty when it does not parse)."""
    try:
        return set(meta.find_undeclared_variables(environment().parse(source)))
    except jinja2.TemplateSyntaxError:
        return set()


def render_text(source: str, values: Mapping[str, Any], where: str = "template") -> str:
    """Return `source` rendered with `values`; raise TemplateError on any failure."""
    env = environment()
    try:
        return env.from_string(source).render(**values)
    except SecurityError as exc:
        raise TemplateError(
            f"{where}: refused unsafe template code: {exc}", hint="templates may not reach Python internals"
        ) from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            f"{where}: {exc.message}", hint="pass it with --var NAME=VALUE or declare it in `inputs`"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{where}:{exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{where}: template error: {exc.message or exc}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateError(f"{where}: template error: {exc}") from None


def check_inputs(spec: PromptSpec, values: Mapping[str, Any]) -> None:
    """Raise FileFormatError naming each variable that does not satisfy the prompt's `inputs`."""
    if spec.inputs is None:
        return
    problems = validate_data(dict(values), spec.inputs, file=spec.name)
    if problems:
        raise FileFormatError(
            [Problem("", None, "", f"variable {_var(p)}: {p.message}") for p in problems],
            hint=f"see `inputs` in {spec.source}",
        )


def _var(problem: Problem) -> str:
    if problem.message.startswith("missing required key "):
        return problem.message.removeprefix("missing required key ")
    return f"'{problem.path}'" if problem.path else "values"


def render(spec: PromptSpec, values: Mapping[str, Any]) -> list[RenderedMessage]:
    """Return the prompt's messages rendered with `values`, after checking them against `inputs`."""
    check_inputs(spec, values)
    out = []
    for i, message in enumerate(spec.messages):
        where = f"{spec.source}:{message.line}" if message.line else f"{spec.source} messages[{i}]"
        out.append(RenderedMessage(message.role, render_text(message.content, values, where)))
    return out
