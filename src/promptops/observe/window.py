"""The calls of one prompt in one environment over a window, read from the trace store's JSONL segments.

`read_records` is the one function that touches the store (DESIGN §8.2: `.promptops/traces/*.jsonl`); it
reads the §8.1 records directly and merges the scores of records seen more than once (scored copies).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.observe.metric import Call

TRACES_DIR = "traces"  # below the project's .promptops/


@dataclass(frozen=True)
class Window:
    """What a canary analysis compares: who, which versions, and the attributed calls."""

    prompt: str
    env: str
    control_version: str
    canary_version: str | None  # None in shadow mode before a shadow record names its version
    percent: float | None
    start: str | None  # ISO timestamps of the first and newest record in the window
    end: str | None
    calls: tuple[Call, ...]
    unattributed: int = 0  # records of the prompt in the environment that matched no arm
    since_canary_s: float = 0.0  # newest record minus the canary's first record


def read_records(store: Path) -> list[dict[str, Any]]:
    """Return every trace record in the store's JSONL segments, one per id, scores merged, in file order."""
    by_id: dict[str, dict[str, Any]] = {}
    for segment in sorted(store.glob("*.jsonl")) if store.is_dir() else []:
        for line_no, record in _lines(segment):
            key = str(record.get("id", f"{segment.name}:{line_no}"))
            if key not in by_id:
                by_id[key] = record
                continue
            known = by_id[key]  # a scored copy (or the record after its scores): fill in, add scores
            seen = list(known.get("scores") or [])
            seen += [s for s in record.get("scores") or [] if s not in seen]
            for name, value in record.items():
                known.setdefault(name, value)
            known["scores"] = seen
    return list(by_id.values())


def _lines(segment: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with segment.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FileFormatError([Problem(str(segment), line_no, "", f"not JSON: {exc.msg}")]) from None
            if not isinstance(record, dict):
                raise FileFormatError(
                    [Problem(str(segment), line_no, "", "a trace record must be an object")]
                )
            yield line_no, record


def timestamp(record: Mapping[str, Any]) -> float | None:
    """Return the POSIX time a record ended (or started), or None when it has neither."""
    for key in ("ts_end", "ts_start"):
        value = record.get(key)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def to_call(record: Mapping[str, Any], arm: str, scorer: str | None) -> Call:
    """Return the analysis view of one record; error records carry no quality score."""
    prompt = record.get("prompt") or {}
    ok = record.get("status", "ok") == "ok"
    score = None
    if ok and scorer is not None:
        values = [s.get("value") for s in record.get("scores") or [] if s.get("name") == scorer]
        numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        score = numbers[-1] if numbers else None
    latency, cost = record.get("latency_ms"), record.get("cost_usd")
    return Call(
        arm,
        ok,
        float(latency) if isinstance(latency, int | float) else None,
        float(cost) if isinstance(cost, int | float) else None,
        score,
        prompt.get("pair_id"),
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
    since_s: float | None,
    scorer: str | None,
    shadow: bool,
) -> tuple[list[Call], int, str | None, str | None, float]:
    """Return the calls of the window, the unattributed count, its bounds and the canary's age in seconds.

    The window ends at the newest record in the store and starts `since_s` before it, but never before the
    canary's (or shadow's) first call: the control is compared only with traffic served at the same time.
    """
    stamped = [(timestamp(r), r) for r in records]
    times = [t for t, _ in stamped if t is not None]
    if not times:
        return [], 0, None, None, 0.0
    newest = max(times)
    mine = [(t, r, arm_of(r, versions, shadow)) for t, r in stamped if _of(r, prompt, env) and t is not None]
    challenger = "shadow" if shadow else "canary"
    # no challenger call yet: the whole history, so the message can count what was not attributed
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
