"""Scoring: the Scorer protocol and registry, the built-in scorers, and a case's weighted score."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from promptops.evals.calls import ProviderError
from promptops.evals.cases import Case, ScorerConfig
from promptops.evals.records import ScoreValue
from promptops.evals.scoring import (
    budget,
    custom,
    judge,
    promptfoo,
    structured,
    text,
    toolcalls,
    tools,
    workflow,
)
from promptops.evals.scoring.base import (
    COMMON_KEYS,
    SCORERS,
    Judge,
    Outcome,
    Scorer,
    ScorerError,
    Subject,
    options_schema,
    register,
)
from promptops.prompts.render import render_text

__all__ = [
    "COMMON_KEYS",
    "SCORERS",
    "Judge",
    "Outcome",
    "Scored",
    "Scorer",
    "ScorerError",
    "Subject",
    "budget",
    "custom",
    "evaluate",
    "judge",
    "options_schema",
    "promptfoo",
    "register",
    "resolve",
    "scorers_for",
    "structured",
    "text",
    "toolcalls",
    "tools",
    "workflow",
]

_WHOLE = re.compile(r"^\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}$")
_MISSING = object()


def case_context(case: Case) -> dict[str, Any]:
    """Return what scorer fields are templated against."""
    return {"id": case.id, "expected": case.expected, "vars": dict(case.vars), "tags": list(case.tags)}


def _lookup(context: Mapping[str, Any], dotted: str) -> Any:
    value: Any = context
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _template(value: Any, context: Mapping[str, Any], where: str) -> Any:
    if isinstance(value, str):
        if "{" not in value:
            return value
        whole = _WHOLE.match(value)
        if whole is not None:  # `{{ expected }}` keeps its type: a number stays a number
            found = _lookup(context, whole.group(1))
            if found is not _MISSING:
                return found
        return render_text(value, context, where)
    if isinstance(value, Mapping):
        return {k: _template(v, context, where) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_template(v, context, where) for v in value]
    return value


# scorers that fall back to the case's `expected` when their own options set none
_DEFAULT_EXPECTED = frozenset({"equals", "similarity", "numeric"})
_READS_EXPECTED = re.compile(r"\{[{%][^}]*\bexpected\b")


def reads_expected(config: ScorerConfig) -> bool:
    """Return whether a scorer needs the case's `expected` (its default, or a template naming it)."""
    if config.type in _DEFAULT_EXPECTED and "expected" not in config.options:
        return True
    return _READS_EXPECTED.search(json.dumps(dict(config.options), default=str)) is not None


def scorers_for(suite: Sequence[ScorerConfig], case: Case) -> tuple[ScorerConfig, ...]:
    """Return a case's scorers: the suite's, then its own `assert:` entries.

    A case that carries assertions instead of an `expected` answer (a production failure whose right
    answer nobody wrote) skips the suite's scorers that would compare with that missing answer.
    """
    if not case.asserts:
        return tuple(suite)
    kept = suite if case.expected is not None else [s for s in suite if not reads_expected(s)]
    return (*kept, *case.asserts)


def resolve(config: ScorerConfig, case: Case, where: str) -> dict[str, Any]:
    """Return the scorer's options templated against `case`; raise TemplateError."""
    context = case_context(case)
    absent = case.expected is None and not case.has_expected
    out = {}
    for key, value in config.options.items():
        whole = _WHOLE.match(value) if isinstance(value, str) else None
        if absent and whole is not None and whole.group(1) == "expected":
            continue  # the case gives no `expected`: missing, not an explicit null to compare with
        out[key] = _template(value, context, where)
    return out


@dataclass(frozen=True, kw_only=True)
class Scored:
    scores: tuple[ScoreValue, ...]
    score: float | None  # weighted mean; None when a scorer could not decide
    passed: bool | None  # every required scorer passed; None when a scorer could not decide
    error: str | None


async def evaluate_case(
    configs: Sequence[ScorerConfig], options: Sequence[Mapping[str, Any]], subject: Subject
) -> Scored:
    """Return `evaluate`'s result; when a judge model fails, no scores and the error `judge: ...` (the
    attempt is an error, not a failure: it counts toward max_error_rate)."""
    try:
        return await evaluate(configs, options, subject)
    except ProviderError as exc:
        return Scored(scores=(), score=None, passed=None, error=f"judge: {exc.message}")


async def evaluate(
    configs: Sequence[ScorerConfig], options: Sequence[Mapping[str, Any]], subject: Subject
) -> Scored:
    """Return every scorer's value for `subject`, the weighted mean and the pass decision."""
    values: list[ScoreValue] = []
    error: str | None = None
    for config, opts in zip(configs, options, strict=True):
        scorer = SCORERS[config.type]
        threshold = scorer.threshold if config.threshold is None else config.threshold
        try:
            outcome = await scorer.score(opts, subject)
            if not math.isfinite(outcome.value):
                raise ScorerError(f"returned {outcome.value}, not a number in [0, 1]")
        except (ScorerError, RecursionError) as exc:
            # RecursionError: an output nested thousands of levels deep is this case's problem, not a bug
            if isinstance(exc, RecursionError):
                exc = ScorerError("the output is nested too deeply to read")
            error = error or f"scorer {config.name}: {exc}"
            values.append(
                ScoreValue(
                    name=config.name,
                    type=config.type,
                    value=None,
                    passed=False,
                    weight=config.weight,
                    required=config.required,
                    error=str(exc),
                )
            )
            continue
        value = min(1.0, max(0.0, outcome.value))
        passed = value >= threshold - 1e-9
        values.append(
            ScoreValue(
                name=config.name,
                type=config.type,
                value=value,
                passed=passed,
                weight=config.weight,
                required=config.required,
                error=None,
                detail=outcome.detail,
            )
        )
    if error is not None:
        return Scored(scores=tuple(values), score=None, passed=None, error=error)
    total = sum(v.weight for v in values)
    if total > 0:
        score = sum((v.value or 0.0) * v.weight for v in values) / total
    else:
        score = sum(v.value or 0.0 for v in values) / len(values)
    passed = all(v.passed for v in values if v.required)
    return Scored(scores=tuple(values), score=score, passed=passed, error=None)
