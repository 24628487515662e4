"""The `python` scorer: a `module:function` of the project, imported from the project root."""

from __future__ import annotations

import importlib
import inspect
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from promptops.evals.scoring.base import Outcome, ScorerError, Subject, register
from promptops.spec import PromptSpec


def load_function(reference: str, root: Path) -> Callable[..., Any]:
    """Return the function `module:function`, importing the module with the project root on sys.path."""
    module_name, _, function_name = reference.partition(":")
    added = str(root) not in sys.path
    if added:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    finally:
        if added:
            sys.path.remove(str(root))
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"module '{module_name}' has no function '{function_name}'")
    return function  # type: ignore[no-any-return]


def _outcome(result: Any) -> Outcome:
    detail = None
    if isinstance(result, Mapping):
        detail = None if result.get("detail") is None else str(result.get("detail"))
        result = result.get("score", result.get("pass"))
    elif isinstance(result, tuple) and len(result) == 2:
        result, detail = result[0], None if result[1] is None else str(result[1])
    if isinstance(result, bool):
        return Outcome(value=1.0 if result else 0.0, detail=detail)
    if isinstance(result, int | float) and math.isfinite(result) and 0 <= result <= 1:
        return Outcome(value=float(result), detail=detail)
    raise ScorerError(
        f"returned {result!r}; expected true/false, a number in [0, 1] or {{'score': ..., 'detail': ...}}"
    )


class Python:
    """Calls `function(output, case)`; `case` holds id, vars, expected, tags; `options` is passed on."""

    schema: Mapping[str, Any] = {
        "required": ["function"],
        "properties": {
            "function": {"type": "string", "pattern": r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$"},
            "options": {"type": "object"},
        },
    }
    threshold: float = 1.0

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        try:
            load_function(options["function"], root)
        except Exception as exc:  # an import runs user code: any failure is the user's to fix
            return [("function", f"cannot import {options['function']}: {type(exc).__name__}: {exc}")]
        return []

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        function = load_function(options["function"], subject.root)
        case = {
            "id": subject.case.id,
            "vars": dict(subject.case.vars),
            "expected": subject.case.expected,
            "tags": list(subject.case.tags),
            "options": dict(options.get("options") or {}),
        }
        try:
            result = function(subject.output, case)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            raise ScorerError(f"{options['function']} raised {type(exc).__name__}: {exc}") from None
        return _outcome(result)


register("python", Python())
