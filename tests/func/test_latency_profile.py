"""Time to first token: streamed calls on both model paths, `eval --latency-profile`, the TTFT gate key."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from promptops.evals.calls import CallRequest, Provider, ProviderError, RetryPolicy, Streamed, close, complete
from promptops.evals.openai_http import OpenAIHTTPProvider
from promptops.evals.providers import LiteLLMProvider
from support.evalproject import FAST_CONFIG, order_id_answer, results, write_project
from support.openai_server import FakeOpenAI

MODEL = "openai/gpt-4o-mini-2024-07-18"
FAST = RetryPolicy(retries=2, timeout_s=5.0, backoff_s=0.01, backoff_max_s=0.05)
REQUEST = CallRequest(model=MODEL, messages=(("user", "Where is ORD-12345?"),))


@pytest.fixture(params=["http", "litellm"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run on the OpenAI-compatible fast path and again with PROMPTOPS_PROVIDER=litellm."""
    if request.param == "litellm":
        monkeypatch.setenv("PROMPTOPS_PROVIDER", "litellm")
    return str(request.param)


@pytest.fixture
def provider(path: str) -> Provider:
    litellm = LiteLLMProvider()
    return litellm if path == "litellm" else OpenAIHTTPProvider(litellm)


def streamed(provider: Provider, *requests: CallRequest) -> list[object]:
    """Return each request's streamed reply (or its ProviderError), on one event loop and one pool."""

    async def calls() -> list[object]:
        out: list[object] = []
        try:
            for request in requests:
                try:
                    out.append(await complete(Streamed(provider), request, FAST))
                except ProviderError as exc:
                    out.append(exc)
        finally:
            await close(provider)
        return out

    return asyncio.run(calls())


def test_a_streamed_answer_is_timed_at_its_first_chunk_and_first_token(
    provider: Provider, openai_server: FakeOpenAI
) -> None:
    openai_server.default = "ORD-12345 is on its way"
    openai_server.first_token_delay = 0.3
    openai_server.chunk_delay = 0.02
    _warm, reply = streamed(provider, REQUEST, REQUEST)
    assert not isinstance(reply, ProviderError)
    assert reply.text == "ORD-12345 is on its way"  # type: ignore[attr-defined]
    first, ttft, total = reply.first_chunk_ms, reply.ttft_ms, reply.latency_ms  # type: ignore[attr-defined]
    assert first < 200 <= 300 <= ttft < total
    assert (reply.input_tokens, reply.output_tokens) == (3, 5)  # type: ignore[attr-defined]
    assert reply.cost_usd is not None  # type: ignore[attr-defined]
    bodies = [r.body for r in openai_server.requests]
    assert all(b["stream"] is True and b["stream_options"] == {"include_usage": True} for b in bodies)


def test_a_stream_breaking_mid_way_is_an_error_with_what_arrived(
    provider: Provider, openai_server: FakeOpenAI
) -> None:
    openai_server.default = "ORD-12345 is on its way"
    openai_server.fail("stream_break")
    (error,) = streamed(provider, REQUEST)
    assert isinstance(error, ProviderError)
    assert error.kind == "connection"
    assert error.message == (
        f"{MODEL}: connection dropped: the stream broke after 2 chunks; received 'ORD-12345'"
    )
    assert openai_server.count == 3  # retried like any dropped connection (FAST: 2 retries)


def test_a_broken_stream_that_heals_on_retry_is_answered(
    provider: Provider, openai_server: FakeOpenAI
) -> None:
    openai_server.default = "ORD-12345 is on its way"
    openai_server.fail("stream_break", times=1)
    openai_server.fail("429", requests={2})
    (reply,) = streamed(provider, REQUEST)
    assert not isinstance(reply, ProviderError)
    assert reply.text == "ORD-12345 is on its way"  # type: ignore[attr-defined]
    assert openai_server.count == 3


def test_a_refused_streamed_call_keeps_the_status_error(
    provider: Provider, openai_server: FakeOpenAI
) -> None:
    openai_server.fail("401")
    (error,) = streamed(provider, REQUEST)
    assert isinstance(error, ProviderError)
    assert (error.kind, error.status) == ("auth", 401)
    assert openai_server.count == 1


# --- eval --latency-profile ---------------------------------------------------------------------


@pytest.fixture
def server(openai_server: FakeOpenAI, path: str) -> FakeOpenAI:
    openai_server.answers = order_id_answer
    openai_server.first_token_delay = 0.05
    return openai_server


def test_latency_profile_streams_every_call_uncached_and_records_the_timings(
    cli, project_dir: Path, server: FakeOpenAI
) -> None:
    write_project(project_dir, count=4)
    assert cli("eval", "order-id").code == 0  # fills the cache
    server.reset()
    server.first_token_delay = 0.3  # well apart from the first chunk, even on a loaded machine
    result = cli("eval", "order-id", "--latency-profile")
    assert result.code == 0, result.err
    # two unrecorded warm-up calls open the connections; then every case, none from the cache
    assert server.count == 2 + 4
    assert all(r.body.get("stream") is True for r in server.requests)
    lines = result.out.splitlines()
    profile = lines.index(next(line for line in lines if line.startswith("latency profile")))
    assert lines[profile].split("  ")[0] == "latency profile"
    assert [c for c in lines[profile].split("  ") if c] == [
        "latency profile",
        "model",
        "first chunk p50",
        "ttft p50",
        "ttft p95",
        "output tok/s",
    ]
    row = lines[profile + 1]
    assert row.split()[:2] == ["order-id", "openai/gpt-4o-mini-2024-07-18"]
    first_chunk, ttft_p50, ttft_p95 = (int(ms) for ms in re.findall(r"(\d+) ms", row))
    assert first_chunk < 200 < 300 <= ttft_p50 <= ttft_p95
    data = results(project_dir)["suites"]["order-id"]
    attempts = [a for c in data["cases"] for a in c["attempts"]]
    assert all(a["cached"] is False and a["ttft_ms"] >= 300 > 200 > a["first_chunk_ms"] for a in attempts)
    assert data["cache"] == {"hits": 0, "misses": 4}
    summary = data["summary"]
    assert summary["ttft_p95_ms"] >= summary["ttft_p50_ms"] >= 300
    assert summary["output_tokens_per_s"] > 0
    assert summary["pass_rate"] == 1.0


def test_a_plain_eval_writes_no_streaming_fields(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=2)
    result = cli("eval", "order-id")
    assert result.code == 0, result.err
    assert "latency profile" not in result.out
    data = results(project_dir)["suites"]["order-id"]
    assert "ttft_p50_ms" not in data["summary"]
    assert all("ttft_ms" not in a for c in data["cases"] for a in c["attempts"])
    assert all(r.body.get("stream") is None for r in server.requests)


def test_a_suite_with_latency_stream_true_is_always_profiled(
    cli, project_dir: Path, server: FakeOpenAI
) -> None:
    write_project(project_dir, count=2)
    suite = project_dir / "evals/order-id.yaml"
    suite.write_text(suite.read_text(encoding="utf-8") + "latency: {stream: true}\n", encoding="utf-8")
    result = cli("eval", "order-id")
    assert result.code == 0, result.err
    assert all(r.body.get("stream") is True for r in server.requests)
    assert results(project_dir)["suites"]["order-id"]["summary"]["ttft_p50_ms"] >= 50


def test_an_unknown_latency_key_is_bad_input(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=2)
    suite = project_dir / "evals/order-id.yaml"
    suite.write_text(suite.read_text(encoding="utf-8") + "latency: {streaming: true}\n", encoding="utf-8")
    result = cli("eval", "order-id")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert result.err.startswith("error: evals/order-id.yaml:")
    assert "streaming" in result.err
    assert server.count == 0


def test_a_broken_stream_in_a_profile_is_a_case_error_with_what_arrived(
    cli, project_dir: Path, server: FakeOpenAI
) -> None:
    write_project(project_dir, count=3)
    server.fail("stream_break", match="ORD-10002")
    result = cli("eval", "order-id", "--latency-profile")
    assert result.code == 3  # errors beyond max_error_rate (0): could not evaluate
    data = results(project_dir)["suites"]["order-id"]
    errors = {c["id"]: c["error"] for c in data["cases"] if c["error"]}
    assert errors == {
        "c002": f"{MODEL}: connection dropped: the stream broke after 2 chunks; received 'ORD-10002'"
    }


def test_the_ttft_gate_key_fails_a_slower_first_token_with_its_interval(
    cli, project_dir: Path, server: FakeOpenAI
) -> None:
    config = FAST_CONFIG + "gate: {max_ttft_p95_increase: 0.5}\n"
    write_project(project_dir, count=8, config=config)
    server.first_token_delay = 0.2  # a load spike of tens of ms stays well inside 50%
    assert cli("eval", "order-id", "--latency-profile").code == 0
    assert cli("baseline", "update", "order-id", "--from", ".promptops/runs/latest.json").code == 0
    baseline = json.loads((project_dir / "evals/baselines/order-id.json").read_text(encoding="utf-8"))
    assert all(c["ttft_ms"] >= 200 for c in baseline["cases"])
    server.first_token_delay = 0.8
    result = cli("eval", "order-id", "--latency-profile", "--report-md", "report.md")
    assert result.code == 1, result.err
    report = (project_dir / "report.md").read_text(encoding="utf-8")
    assert "| time to first token p95 |" in report
    assert "| time to first token p50 |" in report
    headline = report.splitlines()[3]
    assert headline.startswith("time to first token p95 rose +")
    assert "; 95% paired-bootstrap interval of the change \\[+" in headline
    assert headline.endswith("ms, more than max\\_ttft\\_p95\\_increase 50%")
    server.first_token_delay = 0.2
    assert cli("eval", "order-id", "--latency-profile").code == 0
