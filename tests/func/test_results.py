"""Results files: deterministic JSON, a round trip, schema errors with exact messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptops.errors import FileFormatError
from promptops.evals.records import (
    Attempt,
    CacheStats,
    CaseResult,
    Provenance,
    RunResult,
    ScoreValue,
    Summary,
)
from promptops.evals.results import dump_results, load_results, parse_results, write_results
from promptops.formats import schema, validate_data
from support.paths import TESTS

GOLDEN = TESTS / "golden" / "results"


def sample_run(suite: str = "order-id") -> RunResult:
    eq = ScoreValue(name="equals", type="equals", value=1.0, passed=True, weight=1.0, required=True)
    miss = ScoreValue(
        name="equals",
        type="equals",
        value=0.0,
        passed=False,
        weight=1.0,
        required=True,
        detail="expected 'ORD-2', got 'ORD-3'",
    )
    prov = Provenance(
        prompt="order-id",
        prompt_version="1.1.0",
        content_hash="sha256:abc",
        model="openai/gpt-4o-mini-2024-07-18",
        dataset_hash="sha256:def",
        scorers_hash="sha256:123",
        repeats=1,
        git_sha="0123456789abcdef",
        promptops_version="0.1.0",
    )
    cases = (
        # deliberately out of id order: the file orders cases by id
        CaseResult(
            id="c2",
            attempts=(
                Attempt(
                    repeat=0,
                    output="ORD-3",
                    scores=(miss,),
                    score=0.0,
                    passed=False,
                    error=None,
                    input_tokens=10,
                    output_tokens=2,
                    cost_usd=0.0000027,
                    latency_ms=51.123456789,
                ),
            ),
            tags=("hard",),
            line=2,
            hash="sha256:c2",
            score=0.0,
            pass_rate=0.0,
            passed=False,
        ),
        CaseResult(
            id="c1",
            attempts=(
                Attempt(
                    repeat=0,
                    output="ORD-1",
                    scores=(eq,),
                    score=1.0,
                    passed=True,
                    error=None,
                    input_tokens=10,
                    output_tokens=2,
                    cost_usd=0.0000027,
                    latency_ms=48.5,
                    cached=True,
                ),
            ),
            critical=True,
            line=1,
            hash="sha256:c1",
            score=1.0,
            pass_rate=1.0,
            passed=True,
        ),
        CaseResult(
            id="c3",
            attempts=(
                Attempt(
                    repeat=0,
                    output=None,
                    scores=(),
                    score=None,
                    passed=None,
                    error="openai/x: provider error (HTTP 500): boom",
                ),
            ),
            line=3,
            hash="sha256:c3",
            error="openai/x: provider error (HTTP 500): boom",
        ),
    )
    summary = Summary(
        cases=3,
        evaluated=2,
        errors=1,
        pass_rate=0.5,
        mean_score=0.5,
        input_tokens=20,
        output_tokens=4,
        cost_usd=0.0000054,
        latency_p50_ms=49.8,
        latency_p95_ms=51.0,
    )
    return RunResult(
        suite=suite,
        provenance=prov,
        cases=cases,
        summary=summary,
        cache=CacheStats(hits=1, misses=2),
        shard="1/2",
    )


def test_results_file_matches_golden_byte_for_byte() -> None:
    text = dump_results([sample_run()])
    assert text == (GOLDEN / "basic.json").read_text(encoding="utf-8")


def test_results_validate_against_the_published_schema() -> None:
    data = json.loads(dump_results([sample_run(), sample_run("other")]))
    assert validate_data(data, schema("results")) == []
    assert list(data["suites"]) == ["order-id", "other"]
    assert [c["id"] for c in data["suites"]["order-id"]["cases"]] == ["c1", "c2", "c3"]


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out" / "results.json"
    write_results(path, [sample_run("b"), sample_run("a")])
    runs = load_results(path)
    assert [r.suite for r in runs] == ["a", "b"]
    original = sample_run("a")
    assert runs[0].provenance == original.provenance
    assert runs[0].cache == original.cache and runs[0].shard == "1/2"
    assert {c.id: c for c in runs[0].cases}["c3"] == {c.id: c for c in original.cases}["c3"]
    assert dump_results(runs) == dump_results([sample_run("a"), sample_run("b")])


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError) as info:
        parse_results('{\n  "schema_version": 1,\n  oops\n}', "results.json")
    assert str(info.value.problems[0]) == (
        "results.json:3: invalid JSON: Expecting property name enclosed in double quotes (column 3)"
    )


def test_schema_problems_are_listed() -> None:
    data = json.loads(dump_results([sample_run()]))
    data["suites"]["order-id"]["summary"]["pass_rate"] = 2
    del data["git_sha"]
    with pytest.raises(FileFormatError) as info:
        parse_results(json.dumps(data), "r.json")
    assert [str(p) for p in info.value.problems] == [
        "r.json: missing required key 'git_sha'",
        "r.json: suites.order-id.summary.pass_rate: 2 is greater than the maximum of 1",
    ]


def test_future_schema_version_is_refused() -> None:
    with pytest.raises(FileFormatError) as info:
        parse_results('{"schema_version": 2}', "r.json")
    assert info.value.lines() == [
        "r.json: schema_version: unsupported results schema_version 2 (this promptops reads 1)"
    ]


def test_non_utf8_results_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(b'{\n  "schema_version": 1,\n  "x": "\xff"\n}\n')
    with pytest.raises(FileFormatError) as info:
        load_results(path, "results.json")
    assert info.value.lines() == ["results.json:3: not valid UTF-8 (byte 0xff)"]
