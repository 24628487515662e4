"""Security, class 5: a secret in a model answer never reaches a file promptops writes, or its output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from promptops.evals.cache import open_cache
from promptops.evals.calls import Reply
from promptops.secrets import scrub_data
from support.evalproject import write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI

SHAPED = ["sk-proj-" + "A1b2C3d4" * 4, "ghp_" + "x9Y8z7W6" * 5, "AKIA" + "ABCDEFGHIJKLMNOP"]
UNSHAPED = "Zq9-no-known-shape-4711"  # only its variable name (…_SECRET) says it is secret


@pytest.fixture
def leaky(openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    monkeypatch.setenv("PAYMENTS_SECRET", UNSHAPED)
    monkeypatch.setenv("DEPLOY_TOKEN", "tok-" + "7" * 20)

    def answer(messages: list[dict[str, Any]]) -> str:
        return (
            "Here you go: "
            + " and ".join(SHAPED)
            + f" plus {UNSHAPED} and tok-{'7' * 20}; "
            + "padding " * 60
            + SHAPED[0]
        )

    openai_server.answers = answer
    return openai_server


def _everything_written(root: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()]


def _assert_clean(texts: list[tuple[object, bytes]]) -> None:
    for where, raw in texts:
        for secret in [*SHAPED, UNSHAPED, "tok-" + "7" * 20, UNSHAPED[:10], SHAPED[0][:14]]:
            assert secret.encode() not in raw, f"{secret[:6]}… in {where}"


@pytest.mark.parametrize("extra", [[], ["--no-cache"], ["--repeats", "2"]])
def test_eval_files_and_output_hold_no_secret(
    cli: CLI, project_dir: Path, leaky: FakeOpenAI, extra: list[str]
) -> None:
    write_project(project_dir, count=2)
    result = cli(
        "eval",
        "order-id",
        "--out",
        "out/results.json",
        "--report-md",
        "out/report.md",
        "--junit",
        "out/junit.xml",
        *extra,
    )
    assert result.code in {0, 1}, result.err
    files = _everything_written(project_dir)
    assert {p.relative_to(project_dir).as_posix() for p, _ in files} >= {
        "out/results.json",
        "out/report.md",
        "out/junit.xml",
        ".promptops/runs/latest.json",
    }
    assert any("cache" in p.parts for p, _ in files)
    _assert_clean([*files, ("stdout", result.out.encode()), ("stderr", result.err.encode())])
    assert b"[REDACTED]" in (project_dir / "out/results.json").read_bytes()


def test_baseline_update_writes_no_secret(cli: CLI, project_dir: Path, leaky: FakeOpenAI) -> None:
    write_project(project_dir, count=2)
    result = cli("baseline", "update", "order-id")
    assert result.code == 0, result.err
    _assert_clean([*_everything_written(project_dir), ("stderr", result.err.encode())])


def test_the_cache_redacts_even_a_reply_it_is_handed_directly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYMENTS_SECRET", UNSHAPED)
    cache = open_cache(tmp_path)
    cache.put("k", "m", Reply(text=f"a {SHAPED[1]} b {UNSHAPED}"))
    cache.close()
    _assert_clean(_everything_written(tmp_path))
    assert open_cache(tmp_path).get("k") == Reply(text="a [REDACTED] b [REDACTED]")


def test_redact_data_walks_keys_and_values() -> None:
    data = {"a": [SHAPED[0], {"k": (1, UNSHAPED)}], SHAPED[2]: None}
    assert scrub_data(data, [UNSHAPED]) == {
        "a": ["[REDACTED]", {"k": [1, "[REDACTED]"]}],
        "[REDACTED]": None,
    }


def test_request_identity_is_unchanged_so_the_cache_still_hits(
    cli: CLI, project_dir: Path, leaky: FakeOpenAI
) -> None:
    write_project(project_dir, count=2)
    assert cli("eval", "order-id").code in {0, 1}
    calls = leaky.count
    assert cli("eval", "order-id").code in {0, 1}
    assert leaky.count == calls  # the second run is served from the (redacted) cache
