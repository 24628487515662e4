"""traces import / stats and feedback import on records in the record format: bad lines, idempotence,
attribution by content hash, redaction, feedback joins, the stats figures and their formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from promptops.formats import schema
from promptops.observe.traces.record import from_data, to_data
from promptops.observe.traces.store import Query, Stored, TraceStore
from support import releases
from support.fixtures import CLI, GitRepo

HASH_1 = releases.prompt_hash("1.0.0")
HASH_2 = releases.prompt_hash("1.1.0")


@pytest.fixture
def project(git_repo: GitRepo) -> GitRepo:
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(git_repo, version)
    return git_repo


def record(n: int, version: str = "1.0.0", **fields: Any) -> dict[str, Any]:
    arm = "canary" if version == "1.1.0" else "control"
    out: dict[str, Any] = {
        "id": f"call-{version}-{n}",
        "response_id": f"chatcmpl-{version}-{n}",
        "ts_start": f"2026-12-01T10:{n // 60:02d}:{n % 60:02d}.000Z",
        "source": "promptops",
        "prompt": {
            "name": "order-id",
            "version": version,
            "hash": HASH_1 if version == "1.0.0" else HASH_2,
            "environment": "production",
            "arm": arm,
        },
        "model": {
            "requested": "openai/gpt-4o-mini-2024-07-18",
            "served": "gpt-4o-mini-2024-07-18",
            "provider": "openai",
        },
        "usage": {"input": 100, "output": 10},
        "cost_usd": 0.0001,
        "cost_source": "computed",
        "latency_ms": 100.0 + n,
        "status": "ok",
    }
    out.update(fields)
    return out


def write_lines(path: Path, items: list[Any]) -> Path:
    path.write_text(
        "".join((i if isinstance(i, str) else json.dumps(i)) + "\n" for i in items), encoding="utf-8"
    )
    return path


def stats_json(cli: CLI, *args: str) -> dict[str, Any]:
    result = cli("traces", "stats", *args, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_bad_lines_are_named_and_every_good_line_is_kept(project: GitRepo, cli: CLI) -> None:
    bad = dict(record(3))
    del bad["id"]
    file = write_lines(
        project.root / "t.jsonl", [record(1), "{not json", bad, record(4, status="maybe"), "", record(5)]
    )
    result = cli("traces", "import", "t.jsonl")
    assert result.code == 2
    assert result.err.splitlines() == [
        "imported 2 new records (2 read, 0 already in the store)",
        "attributed to a released prompt version: 2 of 2",
        "error: t.jsonl:2: not JSON (Expecting property name enclosed in double quotes at column 2)",
        "error: t.jsonl:3: id: required",
        "error: t.jsonl:4: status: 'maybe' is not one of ok, error",
        "hint: the other lines were imported; fix these and import the file again (nothing is added twice)",
    ]
    assert "Traceback" not in result.err
    assert stats_json(cli)["groups"][0]["calls"] == 2
    again = cli("traces", "import", str(file))
    assert again.code == 2 and again.err.startswith("imported 0 new records (2 read, 2 already in the store)")
    assert stats_json(cli)["groups"][0]["calls"] == 2


def test_a_record_with_another_content_hash_is_not_attributed(project: GitRepo, cli: CLI) -> None:
    edited = record(2, prompt={"name": "order-id", "version": "1.0.0", "hash": "sha256:" + "0" * 64})
    unknown = record(3, prompt={"name": "order-id", "version": "9.9.9"})
    nameless = record(4, prompt={})
    unhashed = record(5, prompt={"name": "order-id", "version": "1.1.0"})
    write_lines(project.root / "t.jsonl", [record(1), edited, unknown, nameless, unhashed])
    result = cli("traces", "import", "t.jsonl")
    assert result.code == 0, result.err
    assert result.err.splitlines() == [
        "imported 5 new records (5 read, 0 already in the store)",
        "attributed to a released prompt version: 2 of 5",
        "unattributed: 1 (content hash differs from order-id@1.0.0's)",
        "unattributed: 1 (no prompt name)",
        "unattributed: 1 (unknown version 9.9.9 of prompt 'order-id' (known versions: 1.0.0, 1.1.0))",
        "note: 1 records carry no content hash; attributed by version alone",
    ]
    data = stats_json(cli, "order-id")
    assert [(g["group"], g["calls"]) for g in data["groups"]] == [("1.0.0", 1), ("1.1.0", 1)]
    assert {u["reason"] for u in data["unattributed"]} == {
        "content hash differs from order-id@1.0.0's",
        "unknown version 9.9.9 of prompt 'order-id' (known versions: 1.0.0, 1.1.0)",
    }


def test_secrets_are_redacted_before_they_are_stored(
    project: GitRepo, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "hunter2-very-secret")
    leaky = record(
        1,
        output="key sk-abcdefghijklmnopqrstuvwx and hunter2-very-secret",
        variables={"message": "my token is hunter2-very-secret"},
    )
    write_lines(project.root / "t.jsonl", [leaky])
    assert cli("traces", "import", "t.jsonl").code == 0
    stored = "".join(p.read_text() for p in (project.root / ".promptops/traces/segments").glob("*.jsonl"))
    assert "hunter2" not in stored and "sk-abc" not in stored
    assert (project.root / ".promptops/traces/.gitignore").read_text().endswith("*\n")  # never into git
    with TraceStore.open(project.root / ".promptops/traces") as store:
        [back] = list(store.records(Query()))
    assert back.output == "key [REDACTED] and [REDACTED]"
    assert back.variables == {"message": "my token is [REDACTED]"}


def test_feedback_joins_by_record_id_or_response_id(project: GitRepo, cli: CLI) -> None:
    write_lines(project.root / "t.jsonl", [record(n) for n in range(1, 5)])
    assert cli("traces", "import", "t.jsonl").code == 0
    ratings = [
        {"record_id": "call-1.0.0-1", "thumb": "up"},
        {"response_id": "chatcmpl-1.0.0-2", "thumb": "down", "user": "u-7"},
        {"response_id": "chatcmpl-nope", "thumb": "up"},
        {"record_id": "call-1.0.0-3", "thumb": "sideways"},
        {"record_id": "call-1.0.0-3", "score": 0.5, "label": "x"},
    ]
    write_lines(project.root / "f.jsonl", ratings)
    result = cli("feedback", "import", "f.jsonl")
    assert result.code == 2
    assert result.err.splitlines() == [
        "attached 2 new ratings (3 read)",
        "error: f.jsonl:3: no stored trace record has response id 'chatcmpl-nope'",
        "error: f.jsonl:4: thumb: 'sideways' is not up or down",
        "error: f.jsonl:5: give exactly one of thumb, score or label",
        "hint: the other lines were imported",
    ]
    assert cli("feedback", "import", "f.jsonl").err.startswith("attached 0 new ratings")
    [group] = stats_json(cli)["groups"]
    assert group["feedback"]["calls"] == 2 and group["feedback"]["rate"] == 0.5
    assert group["feedback"]["score"] == 0.5 and group["feedback"]["interval"] == [0.094531, 0.905469]
    with TraceStore.open(project.root / ".promptops/traces") as store:
        scored = {r.id: r.scores for r in store.records(Query())}
    assert [s.label for s in scored["call-1.0.0-2"]] == ["down"]
    assert scored["call-1.0.0-2"][0].evaluator.startswith("user:")  # type: ignore[union-attr]


def test_stats_per_version_arm_model_and_day(project: GitRepo, cli: CLI) -> None:
    control = [record(n) for n in range(100)]
    canary = [record(n, "1.1.0", latency_ms=200.0 + n, cost_usd=0.0002) for n in range(20)]
    canary[0].update(
        status="error", error_type="RateLimitError", latency_ms=None, cost_usd=None, cost_source="unknown"
    )
    write_lines(project.root / "t.jsonl", control + canary)
    assert cli("traces", "import", "t.jsonl").code == 0
    data = stats_json(cli, "order-id")
    one, two = data["groups"]
    assert (one["group"], one["calls"], one["errors"]) == ("1.0.0", 100, 0)
    assert one["error_rate"] == {"value": 0.0, "interval": [0.0, 0.036993]}
    assert one["latency_ms"]["p50"] == {"value": 149.5, "interval": [140.0, 160.0]}
    assert one["latency_ms"]["p99"]["interval"] is None  # too few calls for the rank interval
    assert one["cost_usd"] == {"per_call": 0.0001, "total": 0.01, "calls_priced": 100}
    assert (two["calls"], two["errors"], two["cost_usd"]["calls_priced"]) == (20, 1, 19)
    assert [g["group"] for g in stats_json(cli, "--by", "arm")["groups"]] == ["canary", "control"]
    assert [g["group"] for g in stats_json(cli, "--by", "model")["groups"]] == ["gpt-4o-mini-2024-07-18"]
    assert [g["group"] for g in stats_json(cli, "--by", "day")["groups"]] == ["2026-12-01"]
    # the newest record starts at 10:01:39; the minute before it holds control calls 40..99 only
    recent = stats_json(cli, "--since", "1m")
    assert recent["window"] == {"start": "2026-12-01T10:00:39.001Z", "end": "2026-12-01T10:01:39.000Z"}
    assert [g["calls"] for g in recent["groups"]] == [60]
    markdown = cli("traces", "stats", "order-id", "--format", "markdown")
    assert markdown.code == 0
    assert markdown.out == (
        "| prompt | version | calls | error rate | p50 ms | p95 ms | p99 ms | tokens in/out | cost/call "
        "| total cost | feedback | score |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        "| order-id | 1.0.0 | 100 | 0.0% [0.0, 3.7] | 150 | 194 | 198 | 100/10 | $0.000100 | $0.0100 | - | - |\n"
        "| order-id | 1.1.0 | 20 | 5.0% [0.9, 23.6] | 210 | 218 | 219 | 100/10 | $0.000200 | $0.00380* | - | - |\n"
        "\n"
        "window: all records to 2026-12-01T10:01:39.000Z (intervals: 95%; error rate and thumbs: Wilson; "
        "percentiles: order statistics)\n"
        "* some calls have no known cost; the total counts the priced ones\n"
    )
    text = cli("traces", "stats", "--env", "production")
    assert text.code == 0 and "order-id  1.1.0    20" in text.out


def test_usage_errors(project: GitRepo, cli: CLI) -> None:
    write_lines(project.root / "t.jsonl", [record(1)])
    cases = {
        (
            "traces",
            "import",
            "t.jsonl",
            "--format",
            "csv",
        ): "error: --format 'csv': expected auto, promptops, otlp or litellm",
        ("traces", "import", "missing.jsonl"): "error: missing.jsonl: no such file",
        (
            "traces",
            "stats",
            "--since",
            "yesterday",
        ): "error: --since 'yesterday': expected a duration such as 30m, 24h, 7d or 2w",
        ("traces", "stats", "--by", "user"): "error: --by 'user': expected version, arm, model, day or tool",
        ("traces", "stats", "--format", "html"): "error: --format 'html': expected text, markdown or json",
        (
            "traces",
            "import",
            "t.jsonl",
            "--format",
            "otlp",
        ): "error: t.jsonl:1: expected an OTLP JSON object with resourceSpans",
    }
    for args, message in cases.items():
        result = cli(*args)
        assert (result.code, message in result.err.splitlines(), "Traceback" in result.err) == (
            2,
            True,
            False,
        ), args


def test_records_round_trip_and_match_the_schema() -> None:
    data = record(
        1,
        variables={"message": "x"},
        input_messages=[{"role": "user", "content": "x"}],
        output="y",
        scores=[{"name": "judge_ok", "value": 1.0, "source": "judge"}],
    )
    parsed = from_data(data)
    out = to_data(parsed)
    jsonschema.validate(out, schema("trace"))
    assert from_data(out) == parsed


def test_a_segment_tail_the_index_never_committed_is_cut(tmp_path: Path) -> None:
    with TraceStore.open(tmp_path) as store:
        item = from_data(record(1))
        assert store.add([Stored(record=item, line=json.dumps(to_data(item)), attributed=True)]) == 1
    segment = tmp_path / "segments" / "000001.jsonl"
    committed = segment.read_bytes()
    with segment.open("ab") as handle:
        handle.write(b'{"id": "half a line')  # a crash after writing, before the index committed
    with TraceStore.open(tmp_path) as store:
        second = from_data(record(2))
        assert store.add([Stored(record=second, line=json.dumps(to_data(second)), attributed=True)]) == 1
        assert [r.id for r in store.records(Query())] == ["call-1.0.0-1", "call-1.0.0-2"]
    assert segment.read_bytes().startswith(committed) and b"half a line" not in segment.read_bytes()
