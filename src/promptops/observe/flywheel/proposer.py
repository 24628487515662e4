"""The flywheel: production records become proposed cases (`cases propose`), reviewed ones golden (`accept`).

A proposed case never takes its `expected` from the production output: the record was picked because
that output was bad, so copying it would make the bad answer the expected one. A reviewer writes it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from promptops.errors import PromptOpsError
from promptops.evals.cases import Suite
from promptops.formats import normalize
from promptops.observe.flywheel.placeholders import Placeholders
from promptops.observe.traces.calls import Call
from promptops.spec import PromptSpec

NEAR = 0.9  # normalised-text similarity above which two records are one case
DEFAULT_WORST = 20
MAX_FEEDBACK = 200  # thumbs-down records proposed at most, newest first
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, kw_only=True)
class Selection:
    worst: int | None = None
    by: str | None = None  # score name for --worst
    feedback_down: bool = False
    failed: bool = False  # failed and timed-out workflow runs (DESIGN §9.4)
    since: timedelta | None = None


@dataclass(frozen=True, kw_only=True)
class Refusal:
    call: Call
    reason: str


@dataclass(frozen=True, kw_only=True)
class Proposal:
    suite: Suite
    cases: tuple[dict[str, Any], ...]  # the proposed-cases file entries
    refused: tuple[Refusal, ...]
    duplicates: tuple[tuple[Call, str], ...]  # a record and the case it repeats
    replaced: Mapping[str, int]  # placeholders per kind
    cassettes: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)  # case id -> lines


def pick(calls: Sequence[Call], prompt: str, selection: Selection) -> list[Call]:
    """Return the records of `prompt` the selection names: worst-scored first, then thumbs-down ones."""
    mine = [c for c in calls if c.prompt == prompt and c.purpose == "prod"]
    if selection.since is not None and mine:
        # counted back from the newest record, as `canary analyze --since` does
        start = max(c.at for c in mine) - selection.since
        mine = [c for c in mine if c.at >= start]
    out: list[Call] = []
    by = selection.by
    if by is not None:
        scored = [c for c in mine if c.score(by) is not None]
        scored.sort(key=lambda c: (c.score(by) or 0.0, c.at, c.id))
        out += scored[: selection.worst or DEFAULT_WORST]
    if selection.feedback_down:
        down = [c for c in mine if c.feedback is not None and c.feedback < 0.5 and c not in out]
        out += down[-MAX_FEEDBACK:]  # the newest: a reviewer reads them, and near-duplicates cost n² to find
    if selection.failed:
        from promptops.observe.flywheel.cassettes import failed_runs

        out += [c for c in failed_runs(mine, prompt) if c not in out][-MAX_FEEDBACK:]
    return out


def propose(
    suite: Suite,
    spec: PromptSpec,
    calls: Sequence[Call],
    secrets: Sequence[str] | None = None,
    runs: Mapping[str, Sequence[Call]] | None = None,
) -> Proposal:
    """Return the proposed cases rebuilt from `calls`: deduplicated, redacted, with provenance; a call that
    starts a run of `runs` with tool calls gets the run's replay cassette."""
    golden = {_key(case.vars): case.id for case in suite.cases}
    known_ids = {case.id for case in suite.cases}
    refused: list[Refusal] = []
    duplicates: list[tuple[Call, str]] = []
    kept: list[tuple[Call, dict[str, Any], str]] = []
    for call in calls:
        try:
            variables = rebuild(spec, call)
        except _Unbuildable as exc:
            refused.append(Refusal(call=call, reason=exc.reason))
            continue
        key = _key(variables)
        if key in golden:
            duplicates.append((call, golden[key]))
            continue
        twin = next((other for other, _, seen in kept if _near(seen, key)), None)
        if twin is not None:
            duplicates.append((call, case_name(twin)))
            continue
        kept.append((call, variables, key))
    table = Placeholders() if secrets is None else Placeholders(secrets=secrets)
    cases = []
    cassettes: dict[str, list[dict[str, Any]]] = {}
    for call, variables, _ in kept:
        case_id = case_name(call)
        if case_id in known_ids:
            duplicates.append((call, case_id))
            continue
        safe = table.value(dict(variables))
        try:
            _check(spec, safe)
        except _Unbuildable as exc:
            refused.append(Refusal(call=call, reason=f"after redaction: {exc.reason}"))
            continue
        entry = _entry(case_id, call, safe, table)
        run = (runs or {}).get(call.run.id) if call.run is not None else None
        if run:
            from promptops.observe.flywheel.cassettes import cassette

            if run[-1].output is not None:  # what the run answered in the end, not its first step
                entry["observed_output"] = table.text(run[-1].output)
            lines = cassette(run, table)
            if lines:
                entry["cassette"] = f"cassettes/{case_id}.jsonl"
                cassettes[case_id] = lines
        cases.append(entry)
    return Proposal(
        suite=suite,
        cases=tuple(cases),
        refused=tuple(refused),
        duplicates=tuple(duplicates),
        replaced=table.replaced,
        cassettes=cassettes,
    )


def case_name(call: Call) -> str:
    """Return the stable id of the case a record proposes: `prod-` and 10 hex digits of its id."""
    return "prod-" + hashlib.sha256(call.id.encode("utf-8")).hexdigest()[:10]


class _Unbuildable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def rebuild(spec: PromptSpec, call: Call) -> dict[str, Any]:
    """Return the template variables of a record, or raise _Unbuildable saying why they cannot be had."""
    if call.variables is None:
        raise _Unbuildable(
            "the record holds no variables (only rendered messages); log calls with the SDK so it keeps them"
        )
    if not isinstance(call.variables, Mapping):
        raise _Unbuildable("the record's variables are not a mapping")
    variables = dict(call.variables)
    messages = _check(spec, variables)
    if (
        call.messages
        and call.version == spec.version
        and [m.as_dict() for m in messages] != list(call.messages)
    ):
        raise _Unbuildable(
            f"the recorded variables do not reproduce the recorded messages of {spec.name}@{spec.version}"
        )
    return variables


def _check(spec: PromptSpec, variables: Mapping[str, Any]) -> list[Any]:
    from promptops.prompts.render import render, unknown_variables

    extra = unknown_variables(spec, variables)
    if extra:
        raise _Unbuildable(f"variables {', '.join(extra)} are not inputs of {spec.name}@{spec.version}")
    try:
        return render(spec, variables)
    except PromptOpsError as exc:
        raise _Unbuildable("; ".join(_plain(line) for line in exc.lines())) from None


def _plain(line: str) -> str:
    return line.removeprefix(": ").strip()


def _key(variables: Mapping[str, Any]) -> str:
    """Return the text two cases are compared by: values in key order, case and spacing folded."""
    text = " | ".join(f"{k}={normalize(variables[k])}" for k in sorted(variables))
    return _SPACE.sub(" ", text).strip().casefold()


def _near(a: str, b: str) -> bool:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.real_quick_ratio() >= NEAR and matcher.quick_ratio() >= NEAR and matcher.ratio() >= NEAR


def _entry(case_id: str, call: Call, variables: dict[str, Any], table: Placeholders) -> dict[str, Any]:
    provenance: dict[str, Any] = {
        "trace_id": call.trace_id,
        "record_id": call.id,
        "version": call.version,
        "environment": call.environment,
        "date": _date(call.at),
        "scores": {s.name: s.value for s in call.scores},
    }
    if call.feedback is not None:
        provenance["feedback"] = "down" if call.feedback < 0.5 else "up"
    if call.run is not None:
        provenance["workflow_run"] = call.run.id
    entry: dict[str, Any] = {
        "id": case_id,
        "reviewed": False,
        "vars": variables,
        "expected": None,
        "assert": [],
        "tags": ["production"],
        "provenance": provenance,
    }
    if call.output is not None:
        entry["observed_output"] = table.text(call.output)  # context for the reviewer, never `expected`
    return entry


def _date(at: datetime) -> str:
    return at.strftime("%Y-%m-%d")


def to_case(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return the dataset line of a reviewed entry: id, vars, expected, tags, critical and its provenance."""
    provenance = entry.get("provenance") or {}
    scores = ", ".join(f"{k} {v:g}" for k, v in sorted((provenance.get("scores") or {}).items()))
    origin = f"from production trace {provenance.get('trace_id')} ({provenance.get('version')}"
    origin += f", {scores}" if scores else ""
    origin += f", {provenance.get('date')})"
    line: dict[str, Any] = {"id": entry["id"], "vars": entry["vars"], "expected": entry["expected"]}
    if entry.get("tags"):
        line["tags"] = list(entry["tags"])
    if entry.get("critical"):
        line["critical"] = True
    if entry.get("assert"):
        line["assert"] = list(entry["assert"])
    if entry.get("cassette"):
        line["cassette"] = entry["cassette"]
    line["description"] = entry.get("description") or origin
    return line
