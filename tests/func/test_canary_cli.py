"""`promptops canary analyze` on trace records in the store: verdicts, formats, exit codes, --apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.canary_traffic import EQUAL, WORSE_QUALITY, Truth, fill_store, hours_of, trace_lines
from support.fixtures import CLI
from support.golden import check_golden
from support.tmpdir import TmpDir

CONFIG = (
    "version: 1\n"
    "rollout:\n"
    "  min_calls_per_arm: 500\n"
    "  max_duration: 72h\n"
    "  quality: {scorer: judge_ok, max_drop: 0.05, critical: true}\n"
    "  latency: {p50: 1.10, p95: 1.20, p99: 1.30, sla_p99_ms: 4000}\n"
)
ENVS = "production:\n  order-id: {version: 1.3.0, canary: {version: 1.4.0, percent: 5}}\n"
VERSIONS = {"control": "1.3.0", "canary": "1.4.0", "shadow": "1.4.0"}


def project(root: Path, truth: Truth, hours: int, seed: int = 2, canary_per_hour: int = 100) -> None:
    TmpDir(root).gen({"promptops.yaml": CONFIG, "environments.yaml": ENVS})
    batches = hours_of(truth, seed, hours, 300, canary_per_hour)
    fill_store(root, trace_lines(batches, VERSIONS))


def test_a_worse_canary_is_rolled_back_and_apply_sets_it_back(project_dir: Path, cli: CLI) -> None:
    project(project_dir, WORSE_QUALITY, 17, seed=1)
    result = cli("canary", "analyze", "order-id", "--env", "production", "--format", "json", "--apply")
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert report["verdict"] == "ROLLBACK" and report["exit_code"] == 1 and report["needed"] is None
    assert report["arms"]["canary"] == 1700 and report["arms"]["control"] > 5090
    quality = report["metrics"][0]
    assert (quality["name"], quality["classification"], quality["critical"]) == (
        "quality (judge_ok)",
        "worse",
        True,
    )
    assert set(quality) >= {"name", "control", "canary", "interval", "classification", "critical"}
    envs = (project_dir / "environments.yaml").read_text(encoding="utf-8")
    assert envs.endswith("production:\n  order-id: 1.3.0\n")
    evidence = project_dir / "evidence" / "canary" / "production" / "order-id.md"
    assert evidence.read_text(encoding="utf-8").startswith(
        "<!-- promptops-canary -->\n## ❌ Canary ROLLBACK: order-id in production\n"
    )
    assert json.loads(evidence.with_suffix(".json").read_text(encoding="utf-8"))["verdict"] == "ROLLBACK"
    assert "git add environments.yaml evidence/canary/production/order-id.md " in result.err
    assert "git commit -m 'canary: roll back order-id 1.4.0 in production (ROLLBACK)'" in result.err


def test_an_equal_canary_early_on_continues_with_the_calls_needed(project_dir: Path, cli: CLI) -> None:
    project(project_dir, EQUAL, 3)
    result = cli("canary", "analyze", "order-id", "--env", "production", "--apply")
    assert result.code == 0, result.err
    first = result.out.splitlines()[0]
    assert first.startswith("CONTINUE: 300 of 500 calls in the smaller arm; not yet shown non-inferior: ")
    assert "more calls per arm needed" in first
    assert "CONTINUE: nothing to apply yet" in result.err
    assert "canary: {version: 1.4.0" in (project_dir / "environments.yaml").read_text(encoding="utf-8")


def test_an_equal_canary_is_promoted_by_apply(project_dir: Path, cli: CLI) -> None:
    project(project_dir, EQUAL, 60, seed=1)
    result = cli("canary", "analyze", "order-id", "--env", "production", "--format", "markdown", "--apply")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == "## ✅ Canary PROMOTE: order-id in production"
    assert (project_dir / "environments.yaml").read_text(encoding="utf-8").endswith("order-id: 1.4.0\n")


def test_since_counts_back_from_the_newest_record(project_dir: Path, cli: CLI) -> None:
    project(project_dir, EQUAL, 10)
    result = cli("canary", "analyze", "order-id", "--env", "production", "--since", "2h", "--format", "json")
    arms = json.loads(result.out)["arms"]
    assert 598 <= arms["control"] <= 603 and 199 <= arms["canary"] <= 201


def test_no_attributed_records_exit_3(project_dir: Path, cli: CLI) -> None:
    project(project_dir, EQUAL, 2)
    project_dir.gen(
        {
            "environments.yaml": "production:\n  order-id: {version: 1.3.0, canary: {version: 1.5.0, percent: 5}}\n"
        }
    )
    result = cli("canary", "analyze", "order-id", "--env", "production")
    assert result.code == 3 and result.out == ""
    assert result.err.splitlines()[0] == (
        "error: not enough attributed records for order-id in production: control 600, canary 0 "
        "(unattributed: 200)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "soon"], "error: --since 'soon': expected a duration such as 90m, 24h or 7d"),
        (["--format", "html"], "error: --format 'html': expected text, markdown or json"),
        (["--env", "staging"], "error: environments.yaml: unknown environment 'staging' (known: production)"),
    ],
)
def test_bad_input_exits_2(project_dir: Path, cli: CLI, args: list[str], message: str) -> None:
    project(project_dir, EQUAL, 1)
    result = cli("canary", "analyze", "order-id", "--env", "production", *args)
    assert result.code == 2 and result.err.splitlines()[0] == message
    assert "Traceback" not in result.err


def test_a_plain_assignment_has_no_canary_to_analyze(project_dir: Path, cli: CLI) -> None:
    project(project_dir, EQUAL, 1)
    project_dir.gen({"environments.yaml": "production:\n  order-id: 1.3.0\n"})
    result = cli("canary", "analyze", "order-id", "--env", "production")
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "error: production serves order-id@1.3.0 with no canary; there is nothing to analyze"
    )


def test_shadow_compares_paired_calls(project_dir: Path, cli: CLI) -> None:
    import random
    from dataclasses import replace

    from support.canary_traffic import calls

    project(project_dir, EQUAL, 1)
    project_dir.gen({"environments.yaml": "production:\n  order-id: 1.3.0\n"})
    rng = random.Random(5)
    batches = []
    for hour in range(20):
        primary = calls(rng, "control", EQUAL, 100, 1.0)
        shadow = calls(rng, "shadow", WORSE_QUALITY, 100, 1.0)
        ids = [f"pair-{hour}-{i}" for i in range(100)]
        batches.append([replace(c, pair_id=i) for c, i in zip(primary + shadow, ids + ids, strict=True)])
    fill_store(project_dir, trace_lines(batches, VERSIONS, prefix="s"))
    result = cli("canary", "analyze", "order-id", "--env", "production", "--shadow", "--format", "json")
    report = json.loads(result.out)
    assert report["shadow"] is True and report["versions"] == {"control": "1.3.0", "canary": "1.4.0"}
    assert report["arms"] == {"control": 2000, "canary": 2000}
    assert (
        report["metrics"][0]["method"]
        == "paired one-sided normal mixture on the score difference (always valid)"
    )
    assert report["verdict"] in ("ROLLBACK", "CONTINUE")
    applied = cli("canary", "analyze", "order-id", "--env", "production", "--shadow", "--apply")
    assert applied.code == 2 and "--apply needs a canary" in applied.err


@pytest.mark.parametrize("kind", ["markdown", "json", "text"])
def test_the_rollback_report_matches_its_golden_file(project_dir: Path, cli: CLI, kind: str) -> None:
    project(project_dir, WORSE_QUALITY, 17, seed=1)
    result = cli("canary", "analyze", "order-id", "--env", "production", "--format", kind)
    assert result.code == 1
    check_golden(f"canary/rollback.{ {'markdown': 'md', 'json': 'json', 'text': 'txt'}[kind] }", result.out)


def test_control_history_before_the_canary_is_not_compared(project_dir: Path, cli: CLI) -> None:
    import random

    from support.canary_traffic import calls

    project(project_dir, EQUAL, 10)
    before = json.loads(cli("canary", "analyze", "order-id", "--env", "production", "--format", "json").out)
    old = trace_lines([calls(random.Random(9), "control", EQUAL, 500, 0.5)], VERSIONS, prefix="old")
    fill_store(project_dir, old.replace("2026-12-01T", "2026-11-30T"))  # a day of control traffic before
    after = json.loads(cli("canary", "analyze", "order-id", "--env", "production", "--format", "json").out)
    assert after["arms"] == before["arms"] and after["window"] == before["window"]
