"""Batch evals against a local Files + Batches server: submit, status, collect, --wait, expired and partly
failed batches (the rest online), the batch price, providers without a Batch API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.batch_server import FakeBatches, started
from support.evalproject import results, write_project


@pytest.fixture
def batch_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBatches]:
    yield from started(monkeypatch)


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("promptops.review.batching.POLL_S", 0.0)


def recorded(root: Path) -> list[dict]:
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((root / ".promptops/batches").glob("*.json"))
    ]


def test_submit_status_and_collect_finish_the_run_as_eval_does(
    cli, project_dir: Path, batch_server: FakeBatches
) -> None:
    write_project(project_dir, count=4)
    submitted = cli("eval", "order-id", "--batch")
    assert submitted.code == 0, submitted.err
    assert submitted.err.splitlines() == [
        "submitted batch batch_1: 4 calls of openai/gpt-4o-mini-2024-07-18 for order-id "
        "(batch price: 50% of the listed price)",
        "collect the answers with `promptops batch collect` when the batches are done",
    ]
    assert not (project_dir / ".promptops/runs/latest.json").exists()
    (record,) = recorded(project_dir)
    assert (record["id"], record["requests"], record["collected"]) == ("batch_1", 4, False)
    status = cli("batch", "status")
    assert status.out == "batch_1  validating  4 calls  openai/gpt-4o-mini-2024-07-18  order-id\n"
    early = cli("batch", "collect")
    assert (early.code, early.err) == (0, "batch batch_1 is in_progress: not collected yet\n")
    done = cli("batch", "collect")
    assert done.code == 0, done.err
    assert done.err.splitlines()[0] == "batch batch_1 completed: 4 of 4 answers cached at the batch price"
    assert batch_server.chat_calls == 0
    data = results(project_dir)["suites"]["order-id"]
    assert data["summary"]["pass_rate"] == 1.0
    assert data["cache"] == {"hits": 4, "misses": 0}
    assert recorded(project_dir)[0]["collected"] is True
    assert cli("batch", "collect").err == "no batches waiting to be collected\n"


def test_wait_finishes_at_half_the_online_price(cli, project_dir: Path, batch_server: FakeBatches) -> None:
    write_project(project_dir, count=3)
    waited = cli("eval", "order-id", "--batch", "--wait")
    assert waited.code == 0, waited.err
    assert "batch batch_1 completed: 3 of 3 answers cached at the batch price" in waited.err.splitlines()
    batch_cost = results(project_dir)["suites"]["order-id"]["summary"]["cost_usd"]
    assert cli("eval", "order-id", "--no-cache").code == 0
    online_cost = results(project_dir)["suites"]["order-id"]["summary"]["cost_usd"]
    assert batch_cost == pytest.approx(online_cost / 2)


def test_an_expired_batch_runs_only_its_missing_calls_online(
    cli, project_dir: Path, batch_server: FakeBatches
) -> None:
    batch_server.end, batch_server.answer_first = "expired", 2
    write_project(project_dir, count=4)
    result = cli("eval", "order-id", "--batch", "--wait")
    assert result.code == 0, result.err
    assert (
        "batch batch_1 expired: 2 of 4 answers cached at the batch price; the other 2 calls run online now"
        in result.err.splitlines()
    )
    assert batch_server.chat_calls == 2
    assert results(project_dir)["suites"]["order-id"]["summary"]["pass_rate"] == 1.0


def test_a_partly_failed_batch_runs_the_failed_calls_online(
    cli, project_dir: Path, batch_server: FakeBatches
) -> None:
    batch_server.fail = ("ORD-10002",)
    write_project(project_dir, count=3)
    result = cli("eval", "order-id", "--batch", "--wait")
    assert result.code == 0, result.err
    assert batch_server.chat_calls == 1
    assert results(project_dir)["suites"]["order-id"]["cache"] == {"hits": 2, "misses": 1}


def test_cached_calls_are_not_sent_and_a_collect_can_be_repeated(
    cli, project_dir: Path, batch_server: FakeBatches
) -> None:
    write_project(project_dir, count=3)
    assert cli("eval", "order-id", "--batch", "--wait").code == 0
    again = cli("eval", "order-id", "--batch")
    assert again.err.startswith("every call is cached: nothing to send as a batch")
    assert again.code == 0
    # a collect interrupted before it marked the batch collected is simply run again
    path = project_dir / ".promptops/batches/batch_1.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"collected": true', '"collected": false'))
    resumed = cli("batch", "collect", "batch_1")
    assert resumed.code == 0, resumed.err
    assert batch_server.chat_calls == 0


def test_models_without_a_batch_api_are_bad_input(cli, project_dir: Path, batch_server: FakeBatches) -> None:
    write_project(project_dir, count=2)
    result = cli("eval", "order-id", "--batch", "--model", "anthropic/claude-3-5-haiku-20241022")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: --batch: anthropic/claude-3-5-haiku-20241022 is not served by the OpenAI-compatible Batch "
        "API (provider 'anthropic'); batch evals need an openai/... model on the fast path",
        "hint: run this suite without --batch",
    ]
    assert cli("eval", "order-id", "--wait").err == "error: --wait goes with --batch\n"


def test_collect_one_batch_waiting_for_it(cli, project_dir: Path, batch_server: FakeBatches) -> None:
    write_project(project_dir, count=2)
    assert cli("eval", "order-id", "--batch").code == 0
    unknown = cli("batch", "collect", "batch_9")
    assert (unknown.code, unknown.err.splitlines()) == (
        2,
        ["error: no batch 'batch_9' waiting to be collected", "hint: see `promptops batch status`"],
    )
    waited = cli("batch", "collect", "batch_1", "--wait")
    assert waited.code == 0, waited.err
    assert waited.err.splitlines()[:3] == [
        "batch batch_1: validating",
        "batch batch_1: in_progress",
        "batch batch_1 completed: 2 of 2 answers cached at the batch price",
    ]
    assert results(project_dir)["suites"]["order-id"]["cache"] == {"hits": 2, "misses": 0}


def test_compare_batch_sends_one_batch_per_candidate_model(
    cli, project_dir: Path, batch_server: FakeBatches
) -> None:
    write_project(project_dir, count=3)
    models = ["--model", "openai/gpt-4o-mini-2024-07-18", "--model", "openai/gpt-4.1-mini-2025-04-14"]
    result = cli("compare", "order-id", *models, "--batch")
    assert result.code == 0, result.err
    submitted = [line for line in result.err.splitlines() if line.startswith("submitted batch")]
    assert [line.split(":")[0] for line in submitted] == [
        "submitted batch batch_1",
        "submitted batch batch_2",
    ]
    assert "3 calls of openai/gpt-4.1-mini-2025-04-14" in submitted[1]
    assert batch_server.chat_calls == 0
    assert "gpt-4.1-mini-2025-04-14" in result.out
