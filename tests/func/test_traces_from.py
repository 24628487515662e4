"""`traces stats --from SOURCE`: a window read where it lives (JSONL, Parquet, hive day partitions, OTLP,
litellm payloads) gives the figures `traces import` + `traces stats` give; pruning; the missing extra."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

import promptops
from promptops.observe.traces import source
from support import releases
from support.canary_traffic import WORSE_QUALITY, hours_of, trace_lines
from support.fixtures import CLI, GitRepo


@pytest.fixture
def project(git_repo: GitRepo) -> GitRepo:
    releases.start_project(git_repo)
    for version in ("1.0.0", "1.1.0"):
        releases.release(git_repo, version)
    return git_repo


def record(n: int, version: str = "1.0.0", day: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"call-{version}-{day}-{n}",
        "ts_start": f"2026-12-{day:02d}T10:{n // 60:02d}:{n % 60:02d}.000Z",
        "source": "promptops",
        "prompt": {
            "name": "order-id",
            "version": version,
            "hash": releases.prompt_hash(version),
            "environment": "production",
            "arm": "canary" if version == "1.1.0" else "control",
        },
        "model": {"requested": "openai/gpt-4o-mini-2024-07-18", "served": "gpt-4o-mini-2024-07-18"},
        "usage": {"input": 100 + n, "output": 10},
        "cost_usd": 0.0001,
        "cost_source": "computed",
        "latency_ms": 100.0 + n,
        "status": "error" if n % 17 == 3 else "ok",
        **fields,
    }


def window() -> list[dict[str, Any]]:
    out = [record(n, day=day) for day in (1, 2, 3) for n in range(30)]
    out += [record(n, "1.1.0", day=3, ttft_ms=50.0 + n) for n in range(20)]
    odd = {"name": "order-id", "version": "1.1.0", "hash": "sha256:x", "environment": "production"}
    out.append(record(1, "1.1.0", day=3, id="other-hash", prompt=odd))
    out.append(record(2, "9.9.9", day=3))
    return out


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def to_parquet(jsonl: Path, target: Path, *, partitioned: bool = False) -> None:
    """Write the records as Parquet with typed columns (ts_start a timestamp), by day when `partitioned`."""
    con = duckdb.connect()
    select = (
        "SELECT * REPLACE (CAST(ts_start AS TIMESTAMPTZ) AS ts_start), "
        "strftime(CAST(ts_start AS TIMESTAMPTZ), '%Y-%m-%d') AS day "
        f"FROM read_json('{jsonl}', format = 'newline_delimited')"
    )
    if partitioned:
        con.execute(f"COPY ({select}) TO '{target}' (FORMAT parquet, PARTITION_BY (day))")
    else:
        con.execute(f"COPY ({select}) TO '{target}' (FORMAT parquet)")
    con.close()


def stats_json(cli: CLI, *args: str) -> dict[str, Any]:
    result = cli("traces", "stats", *args, "--format", "json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


ASKS = [
    (),
    ("--by", "version", "--since", "1d"),
    ("--by", "day"),
    ("--by", "arm", "--since", "1d"),
    ("order-id", "--since", "30m"),
]


def test_a_jsonl_window_gives_the_figures_of_an_import(project: GitRepo, cli: CLI) -> None:
    path = write_jsonl(project.root / "window.jsonl", window())
    from_file = [stats_json(cli, *ask, "--from", "window.jsonl") for ask in ASKS]
    assert cli("traces", "import", str(path)).code == 0
    imported = [stats_json(cli, *ask) for ask in ASKS]
    assert from_file == imported
    first = from_file[0]
    assert [(g["group"], g["calls"]) for g in first["groups"]] == [("1.0.0", 90), ("1.1.0", 20)]
    assert first["unattributed"] == [
        {"reason": "content hash differs from order-id@1.1.0's", "records": 1},
        {"reason": "unknown version 9.9.9 of prompt 'order-id' (known versions: 1.0.0, 1.1.0)", "records": 1},
    ]
    assert first["groups"][1]["ttft_ms"]["calls"] == 20


def test_parquet_files_and_day_partitions_give_the_same_figures(project: GitRepo, cli: CLI) -> None:
    jsonl = write_jsonl(project.root / "w.jsonl", window())
    expected = [stats_json(cli, *ask, "--from", "w.jsonl") for ask in ASKS]
    to_parquet(jsonl, project.root / "w.parquet")
    to_parquet(jsonl, project.root / "lake", partitioned=True)
    assert [stats_json(cli, *ask, "--from", "w.parquet") for ask in ASKS] == expected
    assert [stats_json(cli, *ask, "--from", "lake/**/*.parquet") for ask in ASKS] == expected


def test_days_outside_the_window_are_never_opened(project: GitRepo, cli: CLI) -> None:
    jsonl = write_jsonl(project.root / "w.jsonl", window())
    to_parquet(jsonl, project.root / "lake", partitioned=True)
    (old,) = (project.root / "lake/day=2026-12-01").iterdir()
    old.write_bytes(b"not parquet at all")  # only a read of that day would notice
    recent = stats_json(cli, "--since", "1d", "--from", "lake/**/*.parquet")
    assert sum(g["calls"] for g in recent["groups"]) == 50
    result = cli("traces", "stats", "--from", "lake/**/*.parquet")
    assert result.code == 2
    assert result.err.startswith("error: --from lake/**/*.parquet: ")
    assert "Traceback" not in result.err


def otlp_line(n: int, version: str) -> dict[str, Any]:
    def attr(key: str, value: Any) -> dict[str, Any]:
        kind = "intValue" if isinstance(value, int) else "stringValue"
        return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}

    start = 1_764_583_200_000_000_000 + n * 1_000_000_000
    span = {
        "traceId": f"{n:032x}",
        "spanId": f"{n + 1:016x}",
        "name": "chat gpt-4o-mini",
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 250_000_000),
        "attributes": [
            attr("gen_ai.operation.name", "chat"),
            attr("gen_ai.request.model", "gpt-4o-mini-2024-07-18"),
            attr("gen_ai.usage.input_tokens", 120),
            attr("gen_ai.usage.output_tokens", 9),
            attr("gen_ai.prompt.name", "order-id"),
            attr("promptops.prompt.version", version),
            attr("promptops.prompt.hash", releases.prompt_hash(version)),
            attr("promptops.environment", "production"),
        ],
    }
    return {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}


def test_otlp_and_litellm_windows_go_through_the_importers_mapping(project: GitRepo, cli: CLI) -> None:
    write_jsonl(project.root / "otlp.jsonl", [otlp_line(n, "1.0.0" if n % 3 else "1.1.0") for n in range(12)])
    from_file = stats_json(cli, "--from", "otlp.jsonl")
    assert [(g["group"], g["calls"]) for g in from_file["groups"]] == [("1.0.0", 8), ("1.1.0", 4)]
    assert cli("traces", "import", "otlp.jsonl").code == 0
    assert from_file == stats_json(cli)
    payloads = [
        {
            "litellm_call_id": f"ll-{n}",
            "startTime": 1_764_583_300.0 + n,
            "endTime": 1_764_583_300.4 + n,
            "completionStartTime": 1_764_583_300.4 + n,  # not streamed: no TTFT
            "model": "gpt-4o-mini-2024-07-18",
            "status": "success",
            "request_tags": ["promptops.prompt:order-id", "promptops.version:1.0.0"],
        }
        for n in range(5)
    ]
    write_jsonl(project.root / "ll.jsonl", payloads)
    (group,) = stats_json(cli, "--from", "ll.jsonl")["groups"]
    assert (group["group"], group["calls"], group["ttft_ms"]["calls"]) == ("1.0.0", 5, 0)


def test_source_errors_are_bad_input(project: GitRepo, cli: CLI) -> None:
    write_jsonl(project.root / "w.jsonl", window())
    (project.root / "notes.txt").write_text("x", encoding="utf-8")
    cases = {
        ("--from", "nothing/*.parquet"): [
            "error: --from nothing/*.parquet: no file matches",
            "hint: give a path, a glob or an object-store URL",
        ],
        ("--from", "notes.txt"): [
            "error: --from notes.txt: expected only Parquet (.parquet) or only JSON Lines (.jsonl, .json) files"
        ],
        ("--from", "w.jsonl", "--by", "week"): ["error: --by 'week': expected version, arm, model or day"],
    }
    for args, lines in cases.items():
        result = cli("traces", "stats", *args)
        assert (result.code, result.err.splitlines()) == (2, lines), args


def test_without_the_extra_it_says_how_to_install_it(
    project: GitRepo, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_jsonl(project.root / "w.jsonl", window())
    monkeypatch.setitem(sys.modules, "duckdb", None)  # `import duckdb` raises ImportError
    source._duckdb.cache_clear()
    try:
        result = cli("traces", "stats", "--from", "w.jsonl")
    finally:
        source._duckdb.cache_clear()
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: --from needs DuckDB, which is not installed",
        'hint: install the extra: pip install "promptops-cli[duckdb] @ '
        f'git+https://github.com/promptops/promptops-cli@v{promptops.__version__}"',
    ]


# --- canary analyze --from ------------------------------------------------------------------------

CANARY_CONFIG = (
    "version: 1\n"
    "rollout:\n"
    "  min_calls_per_arm: 500\n"
    "  max_duration: 72h\n"
    "  quality: {scorer: judge_ok, max_drop: 0.05, critical: true}\n"
    "  latency: {p50: 1.10, p95: 1.20, p99: 1.30, sla_p99_ms: 4000}\n"
)
ENVS = "production:\n  order-id: {version: 1.0.0, canary: {version: 1.1.0, percent: 5}}\n"


@pytest.mark.parametrize("since", [[], ["--since", "6h"]])
def test_canary_analyze_from_a_window_gives_the_verdict_of_the_store(
    project: GitRepo, cli: CLI, since: list[str]
) -> None:
    project.commit({"promptops.yaml": CANARY_CONFIG, "environments.yaml": ENVS})
    batches = hours_of(WORSE_QUALITY, 1, 12, 300, 100)
    text = trace_lines(batches, {"control": "1.0.0", "canary": "1.1.0", "shadow": "1.1.0"})
    (project.root / "w.jsonl").write_text(text, encoding="utf-8")
    to_parquet(project.root / "w.jsonl", project.root / "lake", partitioned=True)
    args = ["canary", "analyze", "order-id", "--env", "production", *since, "--format", "json"]
    from_jsonl = cli(*args, "--from", "w.jsonl")
    from_lake = cli(*args, "--from", "lake/**/*.parquet")
    stats_from = stats_json(cli, "--by", "arm", "--from", "lake/**/*.parquet")  # no hash, model or usage
    assert cli("traces", "import", "w.jsonl").code == 0
    assert stats_json(cli, "--by", "arm") == stats_from
    stored = cli(*args)
    assert stored.code in (0, 1), stored.err
    assert json.loads(stored.out)["arms"]["canary"] == (1200 if not since else 601)
    assert (from_jsonl.code, from_jsonl.out) == (stored.code, stored.out), from_jsonl.err
    assert (from_lake.code, from_lake.out) == (stored.code, stored.out), from_lake.err
