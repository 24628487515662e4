"""`feedback import` lines: each bad line names its key; a file that cannot be read is one located error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from promptops.errors import FileFormatError
from promptops.observe.traces import feedback
from promptops.observe.traces.record import RecordError, Score
from promptops.observe.traces.store import TraceStore


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a feedback line must be a JSON object"),
        ({"thumb": "up"}, "record_id or response_id: required"),
        ({"record_id": "", "response_id": 3, "thumb": "up"}, "record_id or response_id: required"),
        ({"record_id": "r"}, "give exactly one of thumb, score or label"),
        ({"record_id": "r", "thumb": "sideways"}, "thumb: 'sideways' is not up or down"),
        ({"record_id": "r", "score": True}, "score: expected a number"),
        ({"record_id": "r", "score": "0.5"}, "score: expected a number"),
        ({"record_id": "r", "thumb": "up", "name": ""}, "name: expected text"),
        ({"record_id": "r", "thumb": "up", "name": 7}, "name: expected text"),
    ],
)
def test_bad_lines_name_the_key(data: Any, message: str) -> None:
    with pytest.raises(RecordError) as caught:
        feedback.score(data)
    assert str(caught.value) == message


def test_score_and_label_lines() -> None:
    assert feedback.score(
        {"response_id": "resp-1", "score": 3, "name": "stars", "at": "2026-12-01T00:00:00Z"}
    ) == (
        None,
        "resp-1",
        Score("stars", 3.0, "user", None, "2026-12-01T00:00:00Z", None),
    )
    record_id, response_id, found = feedback.score({"record_id": "r", "label": 5, "user": "u-1", "at": 9})
    assert (record_id, response_id, found.value, found.label, found.at) == ("r", None, None, "5", None)
    assert (
        found.evaluator is not None and found.evaluator.startswith("user:") and "u-1" not in found.evaluator
    )
    assert len(found.evaluator) == len("user:") + 16


def test_missing_file_and_unreadable_file(tmp_path: Path) -> None:
    with TraceStore.open(tmp_path / "traces") as store:
        with pytest.raises(FileFormatError) as missing:
            feedback.import_file(store, tmp_path / "nope.jsonl", "nope.jsonl")
        with pytest.raises(FileFormatError) as folder:
            feedback.import_file(store, tmp_path, "ratings")
    assert missing.value.lines() == ["nope.jsonl: no such file"]
    assert folder.value.lines() == ["ratings: cannot read: Is a directory"]


def test_lines_that_are_not_json_are_named_and_blank_lines_skipped(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text(
        '\n{"record_id": "gone", "thumb": "up"}\nnot json\n   \n{"response_id": "r-9", "score": 1}\n'
    )
    with TraceStore.open(tmp_path / "traces") as store:
        summary = feedback.import_file(store, path, "f.jsonl")
    assert (summary.read, summary.added) == (2, 0)
    assert [str(p) for p in summary.problems] == [
        "f.jsonl:2: no stored trace record has id 'gone'",
        "f.jsonl:3: not JSON",
        "f.jsonl:5: no stored trace record has response id 'r-9'",
    ]
