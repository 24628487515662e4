"""Both model paths against the local server: answers, usage, cost, error mapping, retries.

Every test taking `make` runs twice: through litellm and through the OpenAI-compatible fast path
(evals/openai_http.py), which must give the same answers, errors and retries.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping

import pytest

from promptops.config import Price, ProjectConfig
from promptops.evals.calls import (
    CallRequest,
    Provider,
    ProviderError,
    RetryPolicy,
    close,
    complete,
    parse_retry_after,
)
from promptops.evals.openai_http import OpenAIHTTPProvider, serves
from promptops.evals.providers import LiteLLMProvider, provider_for
from promptops.secrets import redact
from support.openai_server import FakeOpenAI

MODEL = "openai/gpt-4o-mini-2024-07-18"
FAST = RetryPolicy(retries=3, timeout_s=2.0, backoff_s=0.01, backoff_max_s=0.05)


def ask(text: str, model: str = MODEL, **params: object) -> CallRequest:
    return CallRequest(model=model, messages=(("system", "Reply briefly."), ("user", text)), params=params)


Make = Callable[..., Provider]


@pytest.fixture(params=["litellm", "http"])
def make(request: pytest.FixtureRequest) -> Make:
    """Build the provider of one path (with optional configured prices)."""

    def build(prices: Mapping[str, Price] | None = None) -> Provider:
        litellm = LiteLLMProvider(prices=prices or {})
        return litellm if request.param == "litellm" else OpenAIHTTPProvider(litellm, prices)

    return build


def run(provider: Provider, request: CallRequest, policy: RetryPolicy = FAST):
    async def call():
        try:
            return await complete(provider, request, policy)
        finally:
            await close(provider)

    return asyncio.run(call())


def test_answer_usage_and_litellm_price(make: Make, openai_server: FakeOpenAI) -> None:
    openai_server.answers = {"ORD-1": "ORD-00001"}
    reply = run(make(), ask("Where is ORD-1?", temperature=0, max_tokens=16))
    assert reply.text == "ORD-00001"
    assert reply.input_tokens == 5 and reply.output_tokens == 1
    # gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output (litellm's bundled price map)
    assert reply.cost_usd == pytest.approx(5 * 0.15e-6 + 1 * 0.6e-6)
    assert reply.latency_ms is not None and reply.latency_ms > 0
    body = openai_server.requests[0].body
    assert body["model"] == "gpt-4o-mini-2024-07-18"
    assert body["temperature"] == 0 and body["max_tokens"] == 16
    assert openai_server.requests[0].headers["authorization"] == "Bearer test-key"


def test_unknown_price_is_none_and_configured_prices_win(make: Make, openai_server: FakeOpenAI) -> None:
    assert run(make(), ask("x", model="openai/acme-9")).cost_usd is None
    priced = make(prices={"openai/acme-9": Price(input=1.0, output=2.0)})
    assert run(priced, ask("a b", model="openai/acme-9")).cost_usd == pytest.approx((4 * 1 + 1 * 2) / 1e6)


@pytest.mark.parametrize("kind", ["429", "500", "503", "drop", "malformed", "empty_choices"])
def test_transient_faults_are_retried(make: Make, openai_server: FakeOpenAI, kind: str) -> None:
    openai_server.fail(kind, times=2)
    reply = run(make(), ask("x"))
    assert reply.text == "OK"
    assert openai_server.count == 3
    assert [r.fault for r in openai_server.requests] == [kind, kind, None]


def test_timeout_is_retried(make: Make, openai_server: FakeOpenAI) -> None:
    openai_server.fail("slow", times=1, delay=1.5)
    policy = RetryPolicy(retries=2, timeout_s=0.5, backoff_s=0.01, backoff_max_s=0.05)
    assert run(make(), ask("x"), policy).text == "OK"
    assert openai_server.count == 2


@pytest.mark.parametrize(
    ("kind", "error_kind", "message"),
    [
        (
            "429",
            "rate_limit",
            "openai/gpt-4o-mini-2024-07-18: rate limited (HTTP 429): Rate limit reached for requests",
        ),
        (
            "500",
            "server",
            "openai/gpt-4o-mini-2024-07-18: provider error (HTTP 500): The server had an error",
        ),
        (
            "503",
            "server",
            "openai/gpt-4o-mini-2024-07-18: provider error (HTTP 503): The server had an error",
        ),
        ("drop", "connection", "openai/gpt-4o-mini-2024-07-18: connection dropped: Connection error."),
        (
            "empty_choices",
            "malformed",
            "openai/gpt-4o-mini-2024-07-18: malformed response: the response has no choices",
        ),
    ],
)
def test_retries_give_up_with_a_clear_error(
    make: Make, openai_server: FakeOpenAI, kind: str, error_kind: str, message: str
) -> None:
    openai_server.fail(kind)
    with pytest.raises(ProviderError) as info:
        run(make(), ask("x"))
    assert info.value.kind == error_kind
    assert info.value.message == message
    assert openai_server.count == 4  # the first call and three retries


def test_malformed_body(make: Make, openai_server: FakeOpenAI) -> None:
    openai_server.fail("malformed")
    with pytest.raises(ProviderError) as info:
        run(make(), ask("x"), RetryPolicy(retries=0))
    assert info.value.kind == "malformed"
    assert info.value.message == (
        "openai/gpt-4o-mini-2024-07-18: malformed response: Unterminated string starting at: line 1 column 36 (char 35)"
    )


@pytest.mark.parametrize(("kind", "error_kind"), [("400", "bad_request"), ("401", "auth"), ("403", "auth")])
def test_auth_and_bad_request_are_never_retried(
    make: Make, openai_server: FakeOpenAI, kind: str, error_kind: str
) -> None:
    openai_server.fail(kind)
    with pytest.raises(ProviderError) as info:
        run(make(), ask("x"))
    assert info.value.kind == error_kind
    assert f"(HTTP {kind})" in info.value.message
    assert openai_server.count == 1


def test_auth_error_never_prints_the_key(
    make: Make, openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-abcdef1234567890")
    openai_server.answers = {}
    openai_server.fail("401")
    with pytest.raises(ProviderError) as info:
        run(make(), ask("x"))
    assert "abcdef1234567890" not in info.value.message
    assert info.value.hint is not None and "OPENAI_API_KEY" in info.value.hint
    assert (
        redact("Incorrect API key provided: sk-live-abcdef1234567890.")
        == "Incorrect API key provided: [REDACTED]."
    )
    assert redact("header Bearer xyz123") == "header [REDACTED]"


def test_retry_after_is_honoured(make: Make, openai_server: FakeOpenAI) -> None:
    openai_server.fail("429", times=1, retry_after="1")
    start = time.perf_counter()
    run(make(), ask("x"), RetryPolicy(retries=2, timeout_s=2, backoff_s=0.01, backoff_max_s=5))
    assert time.perf_counter() - start >= 1.0
    assert openai_server.count == 2


def test_unreachable_server_fails_fast(make: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    start = time.perf_counter()
    with pytest.raises(ProviderError) as info:
        run(make(), ask("x"), RetryPolicy(retries=4, backoff_s=0.05, backoff_max_s=0.2))
    assert time.perf_counter() - start < 5
    assert info.value.kind == "unreachable" and info.value.fatal
    assert info.value.message == "openai/gpt-4o-mini-2024-07-18: provider unreachable: Connection error."


def test_backoff_grows_with_jitter_and_caps() -> None:
    policy = RetryPolicy(backoff_s=1.0, backoff_max_s=5.0)
    assert [policy.delay(n, None, 0.0) for n in range(4)] == [0.5, 1.0, 2.0, 2.5]
    assert [policy.delay(n, None, 1.0) for n in range(4)] == [1.0, 2.0, 4.0, 5.0]
    assert policy.delay(0, 3.0, 0.0) == 3.0
    assert policy.delay(0, 60.0, 0.0) == 5.0


def test_parse_retry_after() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_registry_picks_by_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(provider_for(MODEL, ProjectConfig()), OpenAIHTTPProvider)
    assert isinstance(provider_for("gpt-4o", ProjectConfig()), LiteLLMProvider)
    assert isinstance(provider_for("anthropic/claude-3-5-haiku-20241022", ProjectConfig()), LiteLLMProvider)
    monkeypatch.setenv("PROMPTOPS_PROVIDER", "litellm")
    assert isinstance(provider_for(MODEL, ProjectConfig()), LiteLLMProvider)


def test_a_timeout_that_never_ends_names_the_limit(make: Make, openai_server: FakeOpenAI) -> None:
    openai_server.fail("slow", delay=1.0)
    with pytest.raises(ProviderError) as info:
        run(make(), ask("x"), RetryPolicy(retries=1, timeout_s=0.3, backoff_s=0.01))
    assert info.value.message == "openai/gpt-4o-mini-2024-07-18: timed out: no answer within 0.3 s"
    assert openai_server.count == 2


def test_missing_key_is_an_auth_error_before_any_request(
    make: Make, openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ProviderError) as info:
        run(make(), ask("x"))
    assert info.value.kind == "auth" and info.value.fatal
    assert info.value.message.startswith(
        "openai/gpt-4o-mini-2024-07-18: authentication failed: Missing credentials."
    )
    assert openai_server.count == 0


def test_an_http_date_retry_after_is_read(make: Make, openai_server: FakeOpenAI) -> None:
    openai_server.fail("503", retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    with pytest.raises(ProviderError) as info:
        run(make(), ask("x"), RetryPolicy(retries=0))
    assert info.value.kind == "server" and info.value.retry_after == 0.0


# --- the fast path only ----------------------------------------------------------------------------


def test_the_fast_path_sends_what_litellm_sends(
    openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORGANIZATION", "org-1")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-1")
    request = ask("x", temperature=0, max_tokens=5, stop=["\n"], seed=3)
    run(LiteLLMProvider(), request)
    run(OpenAIHTTPProvider(LiteLLMProvider()), request)
    (slow, fast) = openai_server.requests
    assert fast.body == slow.body
    assert fast.headers["user-agent"].startswith("promptops/")
    assert slow.headers["user-agent"].startswith("AsyncOpenAI/")
    for name in ("authorization", "openai-organization", "openai-project", "content-type"):
        assert fast.headers[name] == slow.headers[name], name


@pytest.mark.parametrize(
    ("model", "params", "fast"),
    [
        (MODEL, {"temperature": 0, "max_tokens": 5, "seed": 1, "stop": "x", "top_p": 1}, True),
        ("openai/llama-3.1-8b-instruct", {}, True),  # any name on an OpenAI-compatible server
        (MODEL, {"logprobs": True}, False),  # a param litellm maps: litellm serves it
        ("openai/o3-mini-2025-01-31", {"max_tokens": 5}, False),  # litellm renames max_tokens
        ("openai/gpt-5-mini-2025-08-07", {}, False),
        ("gpt-4o-mini-2024-07-18", {}, False),
    ],
)
def test_which_requests_the_fast_path_serves(model: str, params: dict, fast: bool) -> None:
    assert serves(ask("x", model=model, **params)) is fast


def test_requests_it_does_not_serve_go_to_litellm(openai_server: FakeOpenAI) -> None:
    reply = run(OpenAIHTTPProvider(LiteLLMProvider()), ask("x", logprobs=False))
    assert reply.text == "OK"
    assert openai_server.requests[0].headers["user-agent"].startswith("AsyncOpenAI/")


def test_the_fast_path_never_imports_litellm(openai_server: FakeOpenAI) -> None:
    code = (
        "import asyncio, sys\n"
        "from promptops.config import ProjectConfig\n"
        "from promptops.evals.calls import CallRequest, RetryPolicy, close, complete\n"
        "from promptops.evals.providers import provider_for\n"
        "async def main():\n"
        f"    provider = provider_for({MODEL!r}, ProjectConfig())\n"
        f"    reply = await complete(provider, CallRequest(model={MODEL!r}, messages=(('user', 'hi'),)), RetryPolicy())\n"
        "    await close(provider)\n"
        "    print(reply.text, reply.cost_usd is not None, 'litellm' in sys.modules, 'openai' in sys.modules)\n"
        "asyncio.run(main())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["OK", "True", "False", "False"]
    assert proc.stderr == ""  # no unclosed-session warnings


def test_the_fast_path_honours_proxy_variables(
    openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    # the local server answers absolute-URI requests too, so it can stand in for a forward proxy
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{openai_server.port}")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://models.example.invalid/v1")
    assert run(OpenAIHTTPProvider(LiteLLMProvider()), ask("x")).text == "OK"
    assert openai_server.count == 1
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    assert run(OpenAIHTTPProvider(LiteLLMProvider()), ask("x")).text == "OK"
    assert openai_server.count == 2
