"""Scorers of a whole workflow case run: trajectory, steps, tool_errors."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from promptops.evals.scoring.alignment import Alignment, Order, align
from promptops.evals.scoring.base import Outcome, ScorerError, Subject, Unchecked, register, same_json
from promptops.evals.trajectory import Step, Trajectory
from promptops.spec import PromptSpec

_PATH: Mapping[str, Any] = {
    "type": ["array", "string"],  # a string: a template naming the case's path (`{{ expected.tools }}`)
    "items": {
        "anyOf": [
            {"type": "string", "minLength": 1},
            {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {"name": {"type": "string", "minLength": 1}, "args": {"type": "object"}},
            },
        ]
    },
}
_MISSING_MARK = "—"


@dataclass(frozen=True, kw_only=True)
class Expected:
    name: str
    args: Mapping[str, Any] | None = None  # None: any arguments


def trajectory_of(subject: Subject) -> Trajectory:
    if subject.trajectory is None:
        raise ScorerError("this scorer needs a workflow suite (`loop:`/`tools:` or `target:`)")
    return subject.trajectory


def _is_path(items: Any) -> bool:
    return isinstance(items, list) and all(
        isinstance(i, str) or (isinstance(i, Mapping) and isinstance(i.get("name"), str)) for i in items
    )


def _path(items: Sequence[Any]) -> list[Expected]:
    return [
        Expected(name=i) if isinstance(i, str) else Expected(name=i["name"], args=i.get("args"))
        for i in items
    ]


def _args_match(expected: Expected, step: Step, mode: str) -> bool:
    if mode == "ignore" or expected.args is None:
        return True
    actual = step.arguments
    if not isinstance(actual, Mapping):
        return False
    if mode == "exact":
        return same_json(dict(expected.args), dict(actual))
    return all(k in actual and same_json(v, actual[k]) for k, v in expected.args.items())


def _cell(name: str, args: Any, show_args: bool) -> str:
    if not show_args or args is None:
        return name
    text = args if isinstance(args, str) else json.dumps(args, sort_keys=True, ensure_ascii=False)
    return f"{name} {text}"


def aligned_diff(
    path: Sequence[Expected], steps: Sequence[Step], alignment: Alignment, *, args_mode: str
) -> str:
    """Return expected and actual tools side by side, the first mismatch marked with `>`."""
    show = args_mode != "ignore"
    matched = dict(alignment.pairs)
    rows: list[tuple[str, str, bool]] = []
    if sorted(matched.values()) == [j for _, j in alignment.pairs]:  # increasing: walk both in order
        j = 0
        for i, e in enumerate(path):
            if i in matched:
                for k in range(j, matched[i]):
                    rows.append((_MISSING_MARK, _cell(steps[k].name, steps[k].arguments, show), False))
                a = steps[matched[i]]
                rows.append((_cell(e.name, e.args, show), _cell(a.name, a.arguments, show), True))
                j = matched[i] + 1
            else:
                rows.append((_cell(e.name, e.args, show), _MISSING_MARK, False))
        rows.extend((_MISSING_MARK, _cell(s.name, s.arguments, show), False) for s in steps[j:])
    else:  # any order: expected in its order with its partner, then the unmatched actual steps
        for i, e in enumerate(path):
            a_text = (
                _cell(steps[matched[i]].name, steps[matched[i]].arguments, show) if i in matched else None
            )
            rows.append((_cell(e.name, e.args, show), a_text or _MISSING_MARK, a_text is not None))
        used = set(matched.values())
        rows.extend(
            (_MISSING_MARK, _cell(s.name, s.arguments, show), False)
            for k, s in enumerate(steps)
            if k not in used
        )
    width = max([len("expected"), *(len(r[0]) for r in rows)])
    lines = [f"  {'expected'.ljust(width)}  actual"]
    marked = False
    for left, right, ok in rows:
        mark = " "
        if not ok and not marked:
            mark, marked = ">", True
        lines.append(f"{mark} {left.ljust(width)}  {right}")
    return "\n".join(lines)


class TrajectoryScorer:
    """The tools a case run called against an expected path (or the best of several accepted paths)."""

    schema: Mapping[str, Any] = {
        "properties": {
            "expected": _PATH,
            "accepted": {"type": ["array", "string"], "minItems": 1, "items": _PATH},
            "order": {"enum": ["exact", "in_order", "any_order"]},
            "extra": {"enum": ["allow", "forbid"]},
            "args": {"enum": ["ignore", "subset", "exact"]},
        }
    }
    threshold: float = 1.0

    def check(self, options: Mapping[str, Any], spec: PromptSpec, root: Path) -> list[tuple[str, str]]:
        if ("expected" in options) == ("accepted" in options):
            return [("expected", "give exactly one of `expected` and `accepted`")]
        for key in ("expected", "accepted"):
            value = options.get(key)
            if isinstance(value, str) and "{{" not in value:
                return [(key, "expected a list of tool names, or a template such as {{ expected.tools }}")]
        return []

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        trajectory = trajectory_of(subject)
        paths = [options["expected"]] if "expected" in options else options["accepted"]
        if not isinstance(paths, list) or not all(_is_path(p) for p in paths):
            raise ScorerError("the path is not a list of tool names or {name, args} items")
        order = cast(Order, options.get("order", "in_order"))
        extra_allowed = options.get("extra", "allow") == "allow"
        args_mode = options.get("args", "ignore")
        steps = trajectory.tools()
        best: tuple[float, list[Expected], Alignment] | None = None
        for items in paths:
            path = _path(items)
            alignment = align(
                path,
                steps,
                lambda e, s: e.name == s.name and _args_match(e, s, args_mode),
                order=order,
                extra_allowed=extra_allowed,
            )
            share = alignment.share(extra_allowed=extra_allowed)
            if best is None or share > best[0]:
                best = (share, path, alignment)
        assert best is not None  # `expected` or `accepted` holds at least one path
        share, path, alignment = best
        if share >= 1.0:
            return Outcome(value=1.0)
        head = f"{alignment.matched} of {max(alignment.expected, alignment.actual)} tool steps aligned"
        if len(paths) > 1:
            head += f" (best of {len(paths)} accepted paths)"
        return Outcome(
            value=share, detail=head + "\n" + aligned_diff(path, steps, alignment, args_mode=args_mode)
        )


class StepsScorer(Unchecked):
    """A case run made at most `max_llm_calls` model calls and `max_tool_calls` tool calls."""

    schema: Mapping[str, Any] = {
        "properties": {
            "max_llm_calls": {"type": "integer", "minimum": 0},
            "max_tool_calls": {"type": "integer", "minimum": 0},
        }
    }
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        totals = trajectory_of(subject).totals
        over = []
        if "max_llm_calls" in options and totals.llm_calls > options["max_llm_calls"]:
            over.append(f"{totals.llm_calls} model calls > {options['max_llm_calls']}")
        if "max_tool_calls" in options and totals.tool_calls > options["max_tool_calls"]:
            over.append(f"{totals.tool_calls} tool calls > {options['max_tool_calls']}")
        return Outcome(value=0.0 if over else 1.0, detail="; ".join(over) or None)


class ToolErrorsScorer(Unchecked):
    """A case run's tool calls failed at most `max_count` times (default 0)."""

    schema: Mapping[str, Any] = {"properties": {"max_count": {"type": "integer", "minimum": 0}}}
    threshold: float = 1.0

    async def score(self, options: Mapping[str, Any], subject: Subject) -> Outcome:
        trajectory = trajectory_of(subject)
        limit = options.get("max_count", 0)
        failed = [s for s in trajectory.tools() if s.error is not None]
        if len(failed) <= limit:
            return Outcome(value=1.0)
        names = ", ".join(f"{s.name} ({s.error})" for s in failed[:5])
        return Outcome(value=0.0, detail=f"{len(failed)} tool errors > {limit}: {names}")


register("trajectory", TrajectoryScorer())
register("steps", StepsScorer())
register("tool_errors", ToolErrorsScorer())
