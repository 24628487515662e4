"""The calls of one prompt in one environment over a window, read from the trace store.

`read_records` is the one function that touches the store (observe.store: JSONL segments and their
SQLite index); the rest works on the §8.1 record objects it returns.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from promptops.observe.canary.metric import Observation
from promptops.observe.traces.record import TraceRecord, to_data
from promptops.observe.traces.store import Query, TraceStore

if TYPE_CHECKING:
    from promptops.project import Project


@dataclass(frozen=True, kw_only=True)
class Window:
    """What a canary analysis compares: who, which versions, and the attributed calls."""

    prompt: str
    env: str
    control_version: str
    canary_version: str | None  # None in shadow mode before a shadow record names its version
    percent: float | None
    start: str | None  # ISO timestamps of the first and newest record in the window
    end: str | None
    calls: tuple[Observation, ...]
    unattributed: int = 0  # records of the prompt in the environment that matched no arm
    since_canary_s: float = 0.0  # newest record minus the canary's first record


@dataclass(frozen=True, kw_only=True)
class Records:
    """The records of one prompt in one environment, as §8.1 objects with their scores."""

    records: list[dict[str, Any]]
    newest_s: float | None  # the newest record in the whole store (POSIX seconds)
    unattributed: int  # records the store did not attribute to their version (content hash, no release)
    first_s: float | None = None  # the challenger arm's first record, when one was asked for


PAIR_LEAD_MS = 600_000  # a primary call may start this long before its shadow call


def read_records(
    directory: Path,
    prompt: str | None,
    env: str | None,
    *,
    challenger: str | None = None,
    version: str | None = None,
    since_s: float | None = None,
) -> Records:
    """Return the attributed records of `prompt` in `env` from the trace store, oldest first.

    With `challenger` (an arm), only the records from that arm's first call (of `version`, when given) on,
    and shortly before for shadow pairs: the history before a canary began is never read; nor what lies
    more than `since_s` before the newest record.
    """
    with TraceStore.open(directory) as store:
        newest = store.newest_ms()
        first_ms = None
        if challenger is not None:
            oldest = store.records(Query(prompt=prompt, env=env, arm=challenger))
            with closing(cast("Generator[TraceRecord, None, None]", oldest)) as found:
                first = next((r for r in found if version is None or r.prompt.version == version), None)
            first_ms = None if first is None else first.ts_ms
        lead = PAIR_LEAD_MS if challenger == "shadow" else 0
        starts = [] if first_ms is None else [first_ms - lead]
        if since_s is not None and newest is not None:
            starts.append(newest - round(since_s * 1000) - lead)
        since = max(starts) if starts else None
        where = Query(prompt=prompt, env=env, since_ms=since)
        records = [to_data(r) for r in store.records(where)]
        unattributed = sum(count for _, count in store.unattributed(where))
    seconds = None if newest is None else newest / 1000
    return Records(
        records=records,
        newest_s=seconds,
        unattributed=unattributed,
        first_s=None if first_ms is None else first_ms / 1000,
    )


def read_source(
    project: Project,
    location: str,
    prompt: str,
    env: str,
    *,
    challenger: str | None = None,
    version: str | None = None,
    since_s: float | None = None,
    scorer: str | None = None,
) -> Records:
    """Return what `read_records` returns, read where the window lives (`--from`: observe.traces.source);
    of each record only what `select` reads (the `scorer`'s score among the scores)."""
    from promptops.observe.traces.source import Span, project_records

    span = Span(
        prompt=prompt,
        env=env,
        arm=challenger,
        version=version,
        back_ms=None if since_s is None else round(since_s * 1000),
        lead_ms=PAIR_LEAD_MS if challenger == "shadow" else 0,
        scorer=scorer,
    )
    found = project_records(project, location, span)
    return Records(
        records=found.records,
        newest_s=None if found.newest_ms is None else found.newest_ms / 1000,
        unattributed=found.unattributed,
        first_s=None if found.first_ms is None else found.first_ms / 1000,
    )


def timestamp(record: Mapping[str, Any]) -> float | None:
    """Return the POSIX time a record started (or ended), or None when it has neither."""
    for key in ("ts_start", "ts_end"):  # the store orders and windows records by their start
        value = record.get(key)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def to_call(record: Mapping[str, Any], arm: str, scorer: str | None) -> Observation:
    """Return the analysis view of one record; error records carry no quality score."""
    prompt = record.get("prompt") or {}
    ok = record.get("status", "ok") == "ok"
    score = None
    if ok and scorer is not None:
        values = [s.get("value") for s in record.get("scores") or [] if s.get("name") == scorer]
        numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        score = numbers[-1] if numbers else None
    latency, cost = record.get("latency_ms"), record.get("cost_usd")
    run, tools = record.get("workflow") or {}, record.get("tool_calls") or []
    return Observation(
        run=run.get("id"),
        tool_calls=len(tools),
        tool_errors=sum(1 for t in tools if t.get("status") == "error"),
        arm=arm,
        ok=ok,
        latency_ms=float(latency) if isinstance(latency, int | float) else None,
        cost_usd=float(cost) if isinstance(cost, int | float) else None,
        score=score,
        pair_id=prompt.get("pair_id"),
    )


def arm_of(record: Mapping[str, Any], versions: Mapping[str, str | None], shadow: bool) -> str | None:
    """Return the arm a record belongs to: its version must be the one the environment serves that arm."""
    prompt = record.get("prompt") or {}
    version, arm = prompt.get("version"), prompt.get("arm")
    if record.get("purpose") not in (None, "prod", "shadow"):
        return None  # judge and eval calls are not traffic
    if arm == "shadow" or record.get("purpose") == "shadow":
        return "shadow" if shadow else None
    for name in ("canary", "control") if arm in (None, "canary") else ("control", "canary"):
        if versions.get(name) is not None and versions[name] == version:
            return name
    return None


def select(
    records: Sequence[Mapping[str, Any]],
    prompt: str,
    env: str,
    versions: Mapping[str, str | None],
    *,
    newest: float | None,
    first: float | None = None,
    since_s: float | None,
    scorer: str | None,
    shadow: bool,
) -> tuple[list[Observation], int, str | None, str | None, float]:
    """Return the calls of the window, the unattributed count, its bounds and the canary's age in seconds.

    The window ends at the newest record in the store and starts `since_s` before it, but never before the
    canary's (or shadow's) first call (`first`, else the first in `records`): the control is compared only
    with traffic served at the same time.
    """
    stamped = [(timestamp(r), r) for r in records]
    times = [t for t, _ in stamped if t is not None]
    if not times or newest is None:
        return [], 0, None, None, 0.0
    mine = [(t, r, arm_of(r, versions, shadow)) for t, r in stamped if _of(r, prompt, env) and t is not None]
    challenger = "shadow" if shadow else "canary"
    if first is None:  # no challenger call yet: the whole history, so the message can count the rest
        first = min((t for t, _, arm in mine if arm == challenger), default=min(times))
    start = max(first, newest - since_s) if since_s is not None else first
    inside = [(t, r, arm) for t, r, arm in mine if t >= start]
    if shadow:  # a pair counts when its shadow call is in the window, even if the primary came just before
        paired = {(r.get("prompt") or {}).get("pair_id") for _, r, arm in inside if arm == "shadow"}
        inside += [
            (t, r, arm)
            for t, r, arm in mine
            if t < start and (r.get("prompt") or {}).get("pair_id") in paired
        ]
    calls = [to_call(r, arm, scorer) for _, r, arm in inside if arm is not None]
    unattributed = sum(arm is None for _, _, arm in inside)
    bounds = [t for t, _, arm in inside if arm is not None]
    return (
        calls,
        unattributed,
        _iso(min(bounds, default=None)),
        _iso(max(bounds, default=None)),
        newest - first,
    )


def _of(record: Mapping[str, Any], prompt: str, env: str) -> bool:
    found = record.get("prompt") or {}
    return bool(found.get("name") == prompt and found.get("environment") == env)


def _iso(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
