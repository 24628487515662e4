"""The provider seam: what a model call is (`CallRequest`), what it returns (`Reply`), how it fails
(`ProviderError`), how it is retried (`RetryPolicy`, `complete`) and priced (`call_cost`).

Both provider paths (evals.providers for litellm, evals.openai_http for the OpenAI-compatible fast path)
build on these types; neither imports the other's module for them.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal, Protocol

from promptops.config import Price, RunDefaults
from promptops.errors import UnavailableError
from promptops.evals.toolcalls import ToolCall, read_tool_calls
from promptops.secrets import clip, redact, scrub_data

__all__ = [
    "FATAL",
    "RETRYABLE",
    "CallRequest",
    "ChatMessage",
    "ErrorKind",
    "Provider",
    "ProviderError",
    "Reply",
    "RetryPolicy",
    "ToolCall",
    "call_cost",
    "close",
    "complete",
    "configured_cost",
    "parse_retry_after",
    "read_tool_calls",
    "reset_text",
    "status_kind",
]

ErrorKind = Literal[
    "auth",
    "bad_request",
    "not_found",
    "rate_limit",
    "timeout",
    "unreachable",
    "connection",
    "server",
    "malformed",
    "unknown",
]


RETRYABLE: frozenset[str] = frozenset(
    {"rate_limit", "timeout", "unreachable", "connection", "server", "malformed"}
)


FATAL: frozenset[str] = frozenset({"auth", "unreachable", "not_found"})  # every other call would fail too


DETAIL_LIMIT = 300  # characters of a provider's own words (its error body) an error message quotes


UNREACHABLE_RETRIES = 2  # a refused connection rarely heals within a backoff window


ChatMessage = tuple[str, str] | Mapping[str, Any]
"""A message as sent: `(role, text)`, or a full OpenAI-shaped message (multi-part `content`, an
assistant's `tool_calls`, a `tool` message with its `tool_call_id`)."""


@dataclass(frozen=True, kw_only=True)
class CallRequest:
    """One chat completion to make: the resolved model, the rendered messages, the prompt's params,
    and the tools, tool choice and response format in the OpenAI shape litellm takes."""

    model: str
    messages: tuple[ChatMessage, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    tools: tuple[Mapping[str, Any], ...] = ()  # [{"type": "function", "function": {name, ...}}]
    tool_choice: str | Mapping[str, Any] | None = None  # auto | none | required | {"type": "function", ...}
    response_format: Mapping[str, Any] | None = None  # {"type": "json_schema", "json_schema": {...}}

    def message_dicts(self) -> list[dict[str, Any]]:
        return [{"role": m[0], "content": m[1]} if isinstance(m, tuple) else dict(m) for m in self.messages]

    def extras(self) -> dict[str, Any]:
        """Return the body keys beyond model, messages and params: tools, tool choice, response format."""
        out: dict[str, Any] = {}
        if self.tools:
            out["tools"] = [dict(t) for t in self.tools]
        if self.tool_choice is not None:
            out["tool_choice"] = (
                self.tool_choice if isinstance(self.tool_choice, str) else dict(self.tool_choice)
            )
        if self.response_format is not None:
            out["response_format"] = dict(self.response_format)
        return out

    def identity(self) -> dict[str, Any]:
        """Return what identifies the answer: model, messages, params, and the tools, tool choice and
        response format when set (the cache key's base; a request without them keeps its old key)."""
        return {
            "model": self.model,
            "messages": self.message_dicts(),
            "params": dict(self.params),
            **self.extras(),
        }


@dataclass(frozen=True, kw_only=True)
class Reply:
    """A model's answer with its usage; cost is None when the price is unknown. `text` may be empty
    when the model answered with tool calls; `finish_reason` is the provider's (stop, length,
    tool_calls, content_filter), None when it sent none."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    latency_ms: float | None = None
    # streamed calls only (`eval --latency-profile`): when the first chunk and the first content token came
    first_chunk_ms: float | None = None
    ttft_ms: float | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the reply as plain data (the cache's row)."""
        return {
            "text": self.text,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "latency_ms": self.latency_ms,
            "tool_calls": [c.as_dict() for c in self.tool_calls],
            "finish_reason": self.finish_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reply:
        """Return the reply `to_dict` wrote (rows written before tool calls existed read as text)."""
        return cls(
            text=data["text"],
            input_tokens=data.get("input_tokens"),
            output_tokens=data.get("output_tokens"),
            cost_usd=data.get("cost_usd"),
            latency_ms=data.get("latency_ms"),
            tool_calls=tuple(ToolCall.from_dict(c) for c in data.get("tool_calls") or ()),
            finish_reason=data.get("finish_reason"),
        )

    def message(self) -> dict[str, Any]:
        """Return the answer as the assistant message to send back in a conversation (OpenAI shape)."""
        out: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            out["tool_calls"] = [c.openai() for c in self.tool_calls]
        return out

    def redacted(self) -> Reply:
        """Return the reply with secrets redacted in its text and tool-call arguments."""
        text = redact(self.text)
        calls = tuple(_scrubbed(c) for c in self.tool_calls)
        if text == self.text and calls == self.tool_calls:
            return self
        return replace(self, text=text, tool_calls=calls)


def _scrubbed(call: ToolCall) -> ToolCall:
    clean = scrub_data(call.arguments)
    return call if clean == call.arguments else replace(call, arguments=clean)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    retries: int = RunDefaults.retries
    timeout_s: float = RunDefaults.timeout_s
    backoff_s: float = RunDefaults.backoff_s
    backoff_max_s: float = RunDefaults.backoff_max_s

    @classmethod
    def from_defaults(cls, defaults: RunDefaults) -> RetryPolicy:
        """Return the policy promptops.yaml's `defaults` set."""
        return cls(
            retries=defaults.retries,
            timeout_s=defaults.timeout_s,
            backoff_s=defaults.backoff_s,
            backoff_max_s=defaults.backoff_max_s,
        )

    def delay(self, retry: int, retry_after: float | None, jitter: float) -> float:
        """Return the wait before retry number `retry` (0-based), honouring Retry-After up to the cap."""
        step = min(self.backoff_max_s, self.backoff_s * 2.0**retry)
        wait = step / 2 + step / 2 * jitter  # equal jitter: never less than half the step
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(wait, self.backoff_max_s)


class ProviderError(UnavailableError):
    """A failed model call; names the model and the status, never a key."""

    def __init__(
        self,
        model: str,
        kind: ErrorKind,
        detail: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        status_text = f" (HTTP {status})" if status else ""
        # redacted before it is cut: a body cut mid-key would leave the key's first characters
        text = clip(detail, DETAIL_LIMIT)
        super().__init__(f"{model}: {_KIND_TEXT[kind]}{status_text}: {text}", hint=_HINTS.get(kind))
        self.model = model
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    @property
    def fatal(self) -> bool:
        """Return True when every other call to this provider would fail the same way."""
        return self.kind in FATAL


def reset_text(sent: int) -> str:
    """Return the words for a connection the server reset after this provider had sent `sent` requests."""
    return f"connection reset by the server after {sent} request{'' if sent == 1 else 's'}"


_KIND_TEXT: dict[str, str] = {
    "auth": "authentication failed",
    "bad_request": "the provider rejected the request",
    "not_found": "model or endpoint not found",
    "rate_limit": "rate limited",
    "timeout": "timed out",
    "unreachable": "provider unreachable",
    "connection": "connection dropped",
    "server": "provider error",
    "malformed": "malformed response",
    "unknown": "call failed",
}


_HINTS: dict[str, str] = {
    "auth": "check the provider's API key variable (e.g. OPENAI_API_KEY); keys never go in prompt files",
    "unreachable": "check the network and the provider's base URL variable (e.g. OPENAI_BASE_URL)",
    "not_found": "check the model string in the prompt file (litellm form: provider/model-snapshot)",
}


class Provider(Protocol):
    async def complete(self, request: CallRequest, timeout_s: float) -> Reply:
        """Return one answer or raise ProviderError; no retries (the caller retries)."""
        ...


class StreamingProvider(Protocol):
    async def stream(self, request: CallRequest, timeout_s: float) -> Reply:
        """Return one answer read as a stream (with `first_chunk_ms`, `ttft_ms`) or raise ProviderError."""
        ...


@dataclass(frozen=True)
class Streamed:
    """`provider` with every call streamed: `complete` reads the answer through the provider's `stream`,
    so the retry policy (`complete` below) applies to streamed calls unchanged."""

    provider: Provider

    async def complete(self, request: CallRequest, timeout_s: float) -> Reply:
        stream = getattr(self.provider, "stream", None)
        if stream is None:
            raise ProviderError(request.model, "bad_request", "this provider cannot stream answers")
        reply: Reply = await stream(request, timeout_s)
        return reply


def broken_stream(model: str, chunks: int, received: str) -> ProviderError:
    """Return the error of a stream that broke mid-way, quoting what arrived (both paths say it alike)."""
    shown = received if len(received) <= 200 else received[:200] + "…"
    return ProviderError(model, "connection", f"the stream broke after {chunks} chunks; received {shown!r}")


async def close(provider: Provider) -> None:
    """Release what `provider` holds open (a connection pool), if it has an `aclose`."""
    aclose = getattr(provider, "aclose", None)
    if aclose is not None:
        await aclose()


async def complete(
    provider: Provider,
    request: CallRequest,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    jitter: Callable[[], float] = random.random,
) -> Reply:
    """Return the provider's answer, retrying transient failures with backoff and jitter.

    The answer's text and tool-call arguments are redacted (promptops.secrets) here, before anything
    stores, scores or prints them: a prompt can make a model repeat a key, and results, baselines and the
    cache are files CI keeps.
    """
    retry = 0
    while True:
        try:
            reply = await provider.complete(request, policy.timeout_s)
            return reply.redacted()
        except ProviderError as exc:
            limit = min(policy.retries, UNREACHABLE_RETRIES) if exc.kind == "unreachable" else policy.retries
            if not exc.retryable or retry >= limit:
                raise
            await sleep(policy.delay(retry, exc.retry_after, jitter()))
            retry += 1


def call_cost(
    prices: Mapping[str, Price],
    model: str,
    input_tokens: int | None,
    output_tokens: int | None,
    listed: Callable[[str, int, int], float | None],
) -> float | None:
    """Return the USD cost of a call: `prices` (preferred), else the price map behind `listed`;
    None when a token count or the price is unknown. Both provider paths price calls with this."""
    if input_tokens is None or output_tokens is None:
        return None
    configured = configured_cost(prices, model, input_tokens, output_tokens)
    if configured is not None:
        return configured
    return listed(model, input_tokens, output_tokens)


def configured_cost(
    prices: Mapping[str, Price], model: str, input_tokens: int, output_tokens: int
) -> float | None:
    """Return the USD cost under promptops.yaml's `prices` (by model, or by name without its prefix)."""
    price = prices.get(model) or prices.get(model.split("/", 1)[-1])
    if price is None:
        return None
    return (input_tokens * price.input + output_tokens * price.output) / 1_000_000


def status_kind(status: int | None) -> ErrorKind:
    """Return the kind of failure an HTTP error status means."""
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 408:
        return "timeout"
    if status == 429:
        return "rate_limit"
    if status is not None and status >= 500:
        return "server"
    if status is not None and 400 <= status < 500:
        return "bad_request"
    return "unknown"


def parse_retry_after(value: str) -> float | None:
    """Return the seconds a Retry-After header asks for (delta seconds or an HTTP date)."""
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
