"""`feedback import`: user ratings (thumbs, scores, labels) joined to stored records by id or response id.

One JSON object a line: `record_id` or `response_id`; one of `thumb` ("up"/"down"), `score` (a number) or
`label` (text); optional `name` (default "feedback"), `at` (ISO time) and `user` (stored hashed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptops.errors import FileFormatError, Problem
from promptops.observe.traces.record import RecordError, Score
from promptops.observe.traces.store import TraceStore

THUMBS = {"up": 1.0, "down": 0.0}


@dataclass
class FeedbackSummary:
    read: int = 0
    added: int = 0
    problems: list[Problem] = field(default_factory=list)


def score(data: Any) -> tuple[str | None, str | None, Score]:
    """Return (record id, response id, Score) of one decoded feedback line; RecordError naming the key."""
    if not isinstance(data, dict):
        raise RecordError("a feedback line must be a JSON object")
    record_id, response_id = data.get("record_id"), data.get("response_id")
    if not any(isinstance(v, str) and v for v in (record_id, response_id)):
        raise RecordError("record_id or response_id: required")
    given = [k for k in ("thumb", "score", "label") if data.get(k) is not None]
    if len(given) != 1:
        raise RecordError("give exactly one of thumb, score or label")
    value: float | None = None
    label = None
    if given[0] == "thumb":
        if data["thumb"] not in THUMBS:
            raise RecordError(f"thumb: '{data['thumb']}' is not up or down")
        value, label = THUMBS[data["thumb"]], data["thumb"]
    elif given[0] == "score":
        if isinstance(data["score"], bool) or not isinstance(data["score"], int | float):
            raise RecordError("score: expected a number")
        value = float(data["score"])
    else:
        label = str(data["label"])
    name = data.get("name", "feedback")
    if not isinstance(name, str) or not name:
        raise RecordError("name: expected text")
    user = data.get("user")
    evaluator = "user:" + hashlib.sha256(str(user).encode()).hexdigest()[:16] if user is not None else None
    at = data.get("at") if isinstance(data.get("at"), str) else None
    return record_id or None, response_id or None, Score(name, value, "user", evaluator, at, label)


def import_file(store: TraceStore, path: Path, label: str) -> FeedbackSummary:
    """Attach every good line's rating to its record; name each line that is bad or matches no record."""
    summary = FeedbackSummary()
    scored: list[tuple[str, Score]] = []
    try:
        handle = path.open("rb")
    except OSError as exc:
        what = "no such file" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc.strerror}"
        raise FileFormatError([Problem(file=label, line=None, path="", message=what)]) from None
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                record_id, response_id, found = score(json.loads(raw))
            except (ValueError, RecordError) as exc:
                what = str(exc) if isinstance(exc, RecordError) else "not JSON"
                summary.problems.append(Problem(file=label, line=number, path="", message=what))
                continue
            summary.read += 1
            target = store.find(record_id=record_id) if record_id else store.find(response_id=response_id)
            if target is None:
                which = f"id '{record_id}'" if record_id else f"response id '{response_id}'"
                summary.problems.append(
                    Problem(file=label, line=number, path="", message=f"no stored trace record has {which}")
                )
                continue
            scored.append((target, found))
    summary.added = store.add_scores(scored)
    return summary
