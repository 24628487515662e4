"""A connection the server resets after the request was sent: said as it happened, on both model paths."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from promptops.evals.calls import CallRequest, Provider, ProviderError, Reply, RetryPolicy, close, complete
from promptops.evals.openai_http import OpenAIHTTPProvider
from promptops.evals.providers import LiteLLMProvider
from support.openai_server import FakeOpenAI

FAST = RetryPolicy(retries=2, timeout_s=2.0, backoff_s=0.01, backoff_max_s=0.05)
Make = Callable[[], Provider]


@pytest.fixture(params=["litellm", "http"])
def make(request: pytest.FixtureRequest) -> Make:
    def build() -> Provider:
        litellm = LiteLLMProvider()
        return litellm if request.param == "litellm" else OpenAIHTTPProvider(litellm)

    return build


def ask(text: str) -> CallRequest:
    return CallRequest(model="openai/gpt-4o-mini-2024-07-18", messages=(("user", text),))


def run(provider: Provider, request: CallRequest, policy: RetryPolicy) -> Reply:
    async def call() -> Reply:
        try:
            return await complete(provider, request, policy)
        finally:
            await close(provider)

    return asyncio.run(call())


def test_a_reset_after_the_request_was_sent_names_the_reset_and_the_requests(
    make: Make, openai_server: FakeOpenAI
) -> None:
    openai_server.fail("reset")
    with pytest.raises(ProviderError) as info:
        run(make(), ask("x"), FAST)
    assert info.value.kind == "connection" and not info.value.fatal
    assert info.value.message == (
        "openai/gpt-4o-mini-2024-07-18: connection dropped: connection reset by the server after 3 requests"
    )
    assert openai_server.count == 3  # retried like any dropped connection
