"""promptfoo tests as promptops dataset rows: var combinations, JavaScript's text for values, case ids."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from promptops.evals.scoring.promptfoo import js_string
from promptops.interop.assertions import NotCarried, scorer_entry
from promptops.interop.plan import Note, slug


def _expand(variables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return promptfoo's combinations: a var holding a list runs once per item."""
    keys = list(variables)
    choices = [variables[k] if isinstance(variables[k], list) else [variables[k]] for k in keys]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*choices)]


def _javascript_text(value: Any) -> Any:
    """Return a var as the text Nunjucks renders for it in `{{ name }}` (None when it has none)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return js_string(value)
    return None


def unique_names(entries: list[dict[str, Any]], metric: Any = None) -> list[dict[str, Any]]:
    """Return scorer entries whose `name`s (promptfoo `metric`s) are unique, as a suite needs."""
    out, seen = [], dict[str, int]()
    for entry in entries:
        name = entry.get("name") or (str(metric) if metric else None)
        if name is None:
            out.append(entry)
            continue
        seen[name] = seen.get(name, 0) + 1
        out.append({**entry, "name": name if seen[name] == 1 else f"{name}#{seen[name]}"})
    return out


def build_cases(
    tests: list[tuple[dict[str, Any], str, int | None]],
    *,
    config_file: str,
    notes: list[Note],
    file_vars: Callable[[Mapping[str, Any]], dict[str, Any]],
    default_vars: Mapping[str, Any],
    judge: str | None,
    used: set[str],
    plain: set[str],
) -> list[dict[str, Any]]:
    """Return the dataset rows of promptfoo's tests for one prompt (using `used` variables, `plain`
    ones rendered bare), appending to `notes` what is not carried."""
    cases: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, (test, file, line) in enumerate(tests, 1):
        where = file if file != config_file else None

        def note(
            what: str,
            why: str,
            where: str | None = where,
            line: int | None = line,
            file: str = file,
            *,
            carried: bool = False,
        ) -> None:
            notes.append(
                Note(file=file if where else config_file, line=line, what=what, why=why, carried=carried)
            )

        for key in sorted(
            set(test)
            - {"vars", "assert", "description", "metadata", "metric", "options", "threshold", "_unsupported"}
        ):
            note(f"test {number} {key}", "not carried: promptops has no per-test equivalent")
        for key in test.get("_unsupported", []):
            note(f"test {number} column {key}", "not carried")
        if test.get("threshold") is not None:
            note(
                f"test {number} threshold",
                "a case passes when all its scorers pass; a weighted-score threshold is not carried",
            )
        if (test.get("options") or {}).get("transform"):
            note(f"test {number} options.transform", "runs JavaScript on the output; not carried")
        asserts: list[dict[str, Any]] = []
        if test.get("metric"):
            note(f"test {number} metric", "carried as the name of its scorers", carried=True)
        for assertion in test.get("assert") or []:
            try:
                asserts.append(scorer_entry(assertion, judge=judge))
            except NotCarried as exc:
                note(f"test {number} assertion {assertion.get('type')}", str(exc))
        merged = {**default_vars, **file_vars(test.get("vars") or {})}
        for k, combo in enumerate(_expand(merged)):
            values: dict[str, Any] = {}
            refused = None
            for key in sorted(used):
                value = combo.get(key, "")  # Nunjucks renders a missing variable as empty text
                text = _javascript_text(value) if key in plain else value
                if text is None:
                    refused = (
                        f"variable {key} is {type(value).__name__}; Nunjucks renders it as JavaScript text"
                    )
                values[key] = text
            for key in sorted(set(combo) - used):
                values[key] = combo[key]
            if refused:
                note(f"test {number}", refused)
                continue
            base = slug(str(test.get("description") or ""), f"test-{number}")
            case_id = base if k == 0 else f"{base}-{k + 1}"
            while case_id in seen:
                case_id = f"{case_id}-{number}"
            seen.add(case_id)
            case: dict[str, Any] = {"id": case_id, "vars": values}
            if test.get("description"):
                case["description"] = str(test["description"])
            if asserts:
                case["assert"] = unique_names(asserts, test.get("metric"))
            cases.append(case)
    return cases
