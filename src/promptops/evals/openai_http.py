"""The fast path for OpenAI-compatible endpoints: chat completions over aiohttp, without litellm.

litellm costs seconds of import and ~10 ms of CPU per call (the openai SDK's models, its own
parameter mapping and logging); this client costs ~0.2 ms. It serves `openai/<model>` strings with
the params litellm passes through unchanged, configured by the variables litellm reads
(OPENAI_BASE_URL or OPENAI_API_BASE, OPENAI_API_KEY, OPENAI_ORGANIZATION or OPENAI_ORG_ID,
OPENAI_PROJECT_ID; a proxy from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY unless NO_PROXY says not).
Everything else, and every call when PROMPTOPS_PROVIDER=litellm, goes to litellm. Answers, errors,
retries, costs and cache keys are the same on both paths (tests/test_providers.py runs the same
assertions against each).
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from functools import cache
from typing import Any

from promptops.config import Price
from promptops.evals.calls import (
    CallRequest,
    Provider,
    ProviderError,
    Reply,
    call_cost,
    parse_retry_after,
    read_tool_calls,
    reset_text,
    status_kind,
)
from promptops.evals.stream import Stream, server_sent
from promptops.prompts import catalog
from promptops.version import __version__

PREFIX = "openai/"
FORCE_VARIABLE = "PROMPTOPS_PROVIDER"  # `litellm`: every call goes through litellm
DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Sent as they are by litellm for OpenAI chat models; any other param goes through litellm's mapping.
_SAMPLING = ("temperature", "top_p", "max_tokens", "seed", "stop", "presence_penalty", "frequency_penalty")
PASSTHROUGH = frozenset((*_SAMPLING, "response_format", "logit_bias", "user"))
# Reasoning models: litellm renames max_tokens and drops unsupported params for them.
_LITELLM_MAPPED = re.compile(r"^(?:o\d|gpt-5|codex)", re.IGNORECASE)
_CONNECTION_ERROR = "Connection error."  # the words of the litellm path, so both report alike
MISSING_KEY = "Missing credentials. Set the OPENAI_API_KEY environment variable."


def forced_litellm() -> bool:
    """Return whether PROMPTOPS_PROVIDER=litellm sends every call through litellm."""
    return os.environ.get(FORCE_VARIABLE, "").strip().lower() == "litellm"


def serves(request: CallRequest) -> bool:
    """Return whether this client makes `request` exactly as litellm would."""
    if not request.model.startswith(PREFIX):
        return False
    name = request.model[len(PREFIX) :]
    return bool(name) and not _LITELLM_MAPPED.match(name) and PASSTHROUGH.issuperset(request.params)


@cache
def _aiohttp() -> Any:
    import aiohttp

    return aiohttp


@cache
def _ssl_context() -> Any:
    import ssl

    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context()
    try:
        import certifi  # the CA bundle litellm and the openai SDK verify against
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class OpenAIHTTPProvider:
    """Calls `/chat/completions` of an OpenAI-compatible endpoint; other requests go to `fallback`."""

    def __init__(self, fallback: Provider, prices: Mapping[str, Price] | None = None) -> None:
        self.fallback = fallback
        self.prices: Mapping[str, Price] = prices or {}
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timeouts: dict[float, Any] = {}
        self._proxy: str | None = None
        self._sent = 0  # requests sent, for the words of a reset

    async def complete(self, request: CallRequest, timeout_s: float) -> Reply:
        if not serves(request):
            return await self.fallback.complete(request, timeout_s)
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ProviderError(request.model, "auth", MISSING_KEY)  # as the openai SDK refuses: no request
        base = self._base()
        body = {
            "messages": request.message_dicts(),
            "model": request.model[len(PREFIX) :],
            **request.params,
            **request.extras(),
        }
        aiohttp = _aiohttp()
        session = self._client()
        start = time.perf_counter()
        self._sent += 1
        try:
            async with session.post(
                base.rstrip("/") + "/chat/completions",
                data=json.dumps(body).encode("utf-8"),
                headers=_headers(key),
                timeout=self._timeout(timeout_s),
                proxy=self._proxy,
            ) as response:
                status, headers, raw = response.status, response.headers, await response.read()
        except (asyncio.TimeoutError, TimeoutError):
            raise ProviderError(request.model, "timeout", f"no answer within {timeout_s:g} s") from None
        except aiohttp.InvalidURL:
            raise ProviderError(request.model, "unreachable", f"invalid base URL {base}") from None
        except aiohttp.ClientConnectorError:
            raise ProviderError(request.model, "unreachable", _CONNECTION_ERROR) from None
        except (aiohttp.ClientError, OSError) as exc:
            # connected, then reset or closed before any answer: a dropped connection, retried like any
            # transient fault; a reset says so (the server was reached: it is not "unreachable")
            raise ProviderError(request.model, "connection", self._dropped(exc)) from None
        latency_ms = (time.perf_counter() - start) * 1000
        if status >= 400:
            raise _status_error(request.model, status, raw, headers, timeout_s)
        return self._reply(request.model, raw, latency_ms)

    def _reply(self, model: str, raw: bytes, latency_ms: float) -> Reply:
        try:
            data = json.loads(raw)
        except ValueError as exc:  # the words json gives, as on the litellm path
            raise ProviderError(model, "malformed", str(exc)) from None
        choices = data.get("choices") if isinstance(data, dict) else None
        if not choices and isinstance(data, dict) and data.get("error"):
            # some gateways answer a failure with HTTP 200 and an `{"error": ...}` body: a server error
            error = data["error"]
            detail = error.get("message") if isinstance(error, dict) else error
            raise ProviderError(model, "server", str(detail or "error body"))
        if not choices or not isinstance(choices, list):
            raise ProviderError(model, "malformed", "the response has no choices")
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        text = message.get("content") if isinstance(message, dict) else None
        if text is not None and not isinstance(text, str):
            raise ProviderError(model, "malformed", "the response content is not text")
        usage = data.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        input_tokens = _count(usage.get("prompt_tokens"))
        output_tokens = _count(usage.get("completion_tokens"))
        finish = choices[0].get("finish_reason") if isinstance(choices[0], dict) else None
        return Reply(
            text=text or "",
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=self.cost(model, input_tokens, output_tokens),
            latency_ms=latency_ms,
            tool_calls=read_tool_calls(message.get("tool_calls") if isinstance(message, dict) else None),
            finish_reason=finish if isinstance(finish, str) else None,
        )

    def cost(self, model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """Return the USD cost from `prices` (preferred) or litellm's price map; None when unknown."""
        return call_cost(self.prices, model, input_tokens, output_tokens, _listed_cost)

    async def stream(self, request: CallRequest, timeout_s: float) -> Reply:
        """Return the answer read as server-sent events, timed at its first chunk and first content token."""
        if not serves(request):
            return await self.fallback.stream(request, timeout_s)  # type: ignore[attr-defined,no-any-return]
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ProviderError(request.model, "auth", MISSING_KEY)
        base = self._base()
        body = {
            "messages": request.message_dicts(),
            "model": request.model[len(PREFIX) :],
            **request.params,
            **request.extras(),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        aiohttp = _aiohttp()
        session = self._client()
        events = Stream(request.model)
        self._sent += 1
        try:
            async with session.post(
                base.rstrip("/") + "/chat/completions",
                data=json.dumps(body).encode("utf-8"),
                headers={**_headers(key), "Accept": "text/event-stream"},
                timeout=self._timeout(timeout_s),
                proxy=self._proxy,
            ) as response:
                if response.status >= 400:
                    raw = await response.read()
                    raise _status_error(request.model, response.status, raw, response.headers, timeout_s)
                async for line in response.content:
                    server_sent(events, line)
        except (asyncio.TimeoutError, TimeoutError):
            raise ProviderError(request.model, "timeout", f"no answer within {timeout_s:g} s") from None
        except aiohttp.InvalidURL:
            raise ProviderError(request.model, "unreachable", f"invalid base URL {base}") from None
        except aiohttp.ClientConnectorError:
            raise ProviderError(request.model, "unreachable", _CONNECTION_ERROR) from None
        except (aiohttp.ClientError, OSError) as exc:
            if events.chunks:
                raise events.broken() from None
            raise ProviderError(request.model, "connection", self._dropped(exc)) from None
        if not events.done:
            raise events.broken()
        return events.reply(self.cost(request.model, events.input_tokens, events.output_tokens))

    def _dropped(self, exc: BaseException) -> str:
        """Return the words for a connection dropped before any answer: a reset says so, with the count."""
        reset = isinstance(exc, ConnectionResetError) or getattr(exc, "errno", None) == errno.ECONNRESET
        return reset_text(self._sent) if reset else _CONNECTION_ERROR

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            aiohttp = _aiohttp()
            # the runner bounds concurrency; a CA bundle is loaded only for https (it costs ~40 ms)
            tls = _ssl_context() if self._base().startswith("https:") else True
            connector = aiohttp.TCPConnector(limit=0, ssl=tls)
            # trust_env would look up ~/.netrc and the proxy variables in a thread on every request
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
            self._loop = loop
            self._proxy = _proxy_for(self._base())
        return self._session

    def _base(self) -> str:
        return os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or DEFAULT_BASE_URL

    def _timeout(self, seconds: float) -> Any:
        if seconds not in self._timeouts:
            self._timeouts[seconds] = _aiohttp().ClientTimeout(total=seconds)
        return self._timeouts[seconds]

    async def aclose(self) -> None:
        """Close the connection pool (call before the event loop ends)."""
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None
        aclose = getattr(self.fallback, "aclose", None)
        if aclose is not None:
            await aclose()


def _headers(key: str) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": f"promptops/{__version__}",
    }
    organization = os.environ.get("OPENAI_ORGANIZATION") or os.environ.get("OPENAI_ORG_ID")
    if organization:
        headers["OpenAI-Organization"] = organization
    project = os.environ.get("OPENAI_PROJECT_ID")
    if project:
        headers["OpenAI-Project"] = project
    return headers


def _proxy_for(url: str) -> str | None:
    """Return the proxy the environment names for `url` (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)."""
    proxies = urllib.request.getproxies_environment()
    parts = urllib.parse.urlsplit(url)
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # stdlib, untyped
    if not parts.hostname or bypass(parts.hostname, proxies):
        return None
    return proxies.get(parts.scheme) or proxies.get("all") or None


def listed_cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """Return the USD cost at litellm's listed price (its price map read as data), None when unlisted."""
    return _listed_cost(model, input_tokens, output_tokens)


def _listed_cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
    per_token = catalog.token_prices(model)  # litellm's price map, read without importing litellm
    if per_token is None:
        return None
    return input_tokens * per_token[0] + output_tokens * per_token[1]


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _status_error(model: str, status: int, raw: bytes, headers: Any, timeout_s: float) -> ProviderError:
    kind = status_kind(status)
    if kind == "timeout":
        return ProviderError(model, "timeout", f"no answer within {timeout_s:g} s")
    retry_after = headers.get("retry-after")
    return ProviderError(
        model,
        kind,
        _error_text(raw) or f"HTTP {status}",
        status,
        parse_retry_after(retry_after) if retry_after else None,
    )


def _error_text(raw: bytes) -> str:
    """Return the error message of an error body (OpenAI's `{"error": {"message": ...}}`, else its text)."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text.split("\n", 1)[0]
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    if isinstance(message, str) and message.strip():
        return message.strip().split("\n", 1)[0]
    return text.split("\n", 1)[0]


def factory(fallback: Provider, prices: Mapping[str, Price]) -> Provider:
    """Return the provider for `openai/...` models: this client, or litellm when forced."""
    if forced_litellm():
        return fallback
    return OpenAIHTTPProvider(fallback, prices)
