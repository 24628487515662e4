"""Model providers: a registry by model prefix and the litellm adapter (the seam itself is evals.calls).

This is the only module that imports litellm, and only when a call needs it: `import promptops`,
lint, render, diff, fully cached eval runs and runs served by the OpenAI-compatible fast path
(evals/openai_http.py, registered for `openai/...`) never pay for its import.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from promptops.config import Price, ProjectConfig
from promptops.errors import PromptOpsError
from promptops.evals import local
from promptops.evals.calls import (
    CallRequest,
    ErrorKind,
    Provider,
    ProviderError,
    Reply,
    call_cost,
    parse_retry_after,
    read_tool_calls,
    reset_text,
    status_kind,
)
from promptops.evals.stream import Stream

DEFAULT_PROVIDER = ""  # registry key of the provider for model strings without a registered prefix


ProviderFactory = Callable[[ProjectConfig], Provider]
PROVIDERS: dict[str, ProviderFactory] = {}


def register(prefix: str, factory: ProviderFactory) -> None:
    """Serve model strings starting with `prefix/` by `factory` ("" registers the default)."""
    PROVIDERS[prefix] = factory


def provider_for(model: str, config: ProjectConfig) -> Provider:
    """Return the provider that serves `model` (by its prefix, else the default: litellm)."""
    prefix = model.split("/", 1)[0] if "/" in model else ""
    factory = PROVIDERS.get(prefix) or PROVIDERS[DEFAULT_PROVIDER]
    return factory(config)


# --- litellm -------------------------------------------------------------------------------------


@cache
def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.set_verbose = False  # type: ignore[attr-defined]
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    # litellm imports ~500 modules on its first call; doing it here keeps that out of measured latency
    for module in _WARM_UP:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    _register_local(litellm)
    return litellm


@cache
def _mcp_bridge() -> bool:
    """Return whether litellm routes tool requests through its MCP bridge (1.10x: `completion` imports
    the optional `mcp` package for any request with tools unless `_skip_mcp_handler` is set).
    promptops sends plain function tools only, never MCP server tools, so it skips the bridge."""
    import importlib.util

    try:
        return importlib.util.find_spec("litellm.responses.mcp.chat_completions_handler") is not None
    except ImportError:
        return False


_WARM_UP = ("openai.resources", "openai.resources.chat", "litellm._service_logger", "litellm.proxy._types")


_RESERVED = {"model", "messages", "timeout", "num_retries", "max_retries", "fallbacks", "stream", "api_key"}


@dataclass(frozen=True, kw_only=True)
class LiteLLMProvider:
    """Calls any litellm model string through `litellm.acompletion`; configured by litellm's env vars."""

    prices: Mapping[str, Price] = field(default_factory=dict)
    # numbers the requests sent, for the words of a reset
    _numbers: Iterator[int] = field(
        default_factory=lambda: itertools.count(1), init=False, repr=False, compare=False
    )

    async def complete(self, request: CallRequest, timeout_s: float) -> Reply:
        if request.model.startswith(local.PREFIX):
            local.check(request.model)  # a missing extra or model file: bad input (exit 2), not a failed call
        litellm = _litellm()
        # the prompt's tools, tool choice and response format win over a same-named param
        params = {**{k: v for k, v in request.params.items() if k not in _RESERVED}, **request.extras()}
        if request.tools and _mcp_bridge():
            params["_skip_mcp_handler"] = True
        start = time.perf_counter()
        number = next(self._numbers)
        try:
            call = litellm.acompletion(
                model=request.model,
                messages=request.message_dicts(),
                timeout=timeout_s,
                num_retries=0,
                max_retries=0,
                **params,
            )
            # the outer guard covers a client that ignores its own timeout
            response = await asyncio.wait_for(call, timeout_s + 5)
        except asyncio.TimeoutError:
            raise ProviderError(request.model, "timeout", f"no answer within {timeout_s:g} s") from None
        except Exception as exc:
            error = map_error(request.model, exc, sent=number)
            if error.kind == "timeout":  # litellm's text repeats itself; say it once
                error = ProviderError(request.model, "timeout", f"no answer within {timeout_s:g} s")
            raise error from None
        latency_ms = (time.perf_counter() - start) * 1000
        choices = getattr(response, "choices", None) or []
        if not choices:
            raise ProviderError(request.model, "malformed", "the response has no choices")
        message = getattr(choices[0], "message", None)
        text = getattr(message, "content", None)
        if text is not None and not isinstance(text, str):
            raise ProviderError(request.model, "malformed", "the response content is not text")
        input_tokens, output_tokens = _usage(getattr(response, "usage", None))
        finish = getattr(choices[0], "finish_reason", None)
        return Reply(
            text=text or "",
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=self.cost(request.model, input_tokens, output_tokens),
            latency_ms=latency_ms,
            tool_calls=read_tool_calls(getattr(message, "tool_calls", None)),
            finish_reason=finish if isinstance(finish, str) else None,
        )

    def cost(self, model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """Return the USD cost from `prices` (preferred) or litellm's price map; None when unknown."""
        return call_cost(self.prices, model, input_tokens, output_tokens, _litellm_cost)

    async def stream(self, request: CallRequest, timeout_s: float) -> Reply:
        """Return the answer read chunk by chunk, timed at its first chunk and first content token."""
        if request.model.startswith(local.PREFIX):
            raise ProviderError(request.model, "bad_request", "local models do not stream answers")
        read = _read_stream(_litellm(), request, timeout_s)
        stream = await asyncio.wait_for(read, timeout_s + 5)  # as `complete`: a client ignoring its timeout
        return stream.reply(self.cost(request.model, stream.input_tokens, stream.output_tokens))


async def _read_stream(litellm: Any, request: CallRequest, timeout_s: float) -> Stream:
    params = {**{k: v for k, v in request.params.items() if k not in _RESERVED}, **request.extras()}
    stream = Stream(request.model)
    try:
        response = await litellm.acompletion(
            model=request.model,
            messages=request.message_dicts(),
            timeout=timeout_s,
            num_retries=0,
            max_retries=0,
            stream=True,
            stream_options={"include_usage": True},
            **params,
        )
        async for chunk in response:
            choices = getattr(chunk, "choices", None) or []
            deltas = [getattr(c, "delta", None) for c in choices]
            stream.chunk([getattr(d, "content", None) for d in deltas], getattr(chunk, "usage", None))
    except asyncio.TimeoutError:
        raise ProviderError(request.model, "timeout", f"no answer within {timeout_s:g} s") from None
    except Exception as exc:
        error = map_error(request.model, exc)
        if stream.chunks and error.kind in ("connection", "server", "unknown", "malformed"):
            raise stream.broken() from None  # it broke mid-way: say what arrived
        raise error from None
    if stream.input_tokens is not None and stream.input_tokens <= 0:  # litellm's zeros: not reported
        stream.input_tokens = stream.output_tokens = None
    return stream


def _litellm_cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
    if model.startswith(local.PREFIX):
        return 0.0  # runs in this process: no per-token price
    try:
        prompt_cost, completion_cost = _litellm().cost_per_token(
            model=model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )
    except Exception:  # litellm raises for models it has no price for
        return None
    return float(prompt_cost) + float(completion_cost)


def _usage(usage: Any) -> tuple[int | None, int | None]:
    """Return the reported (input, output) tokens, None when unknown. litellm fills a missing `usage`
    with zeros, and no real call reads zero prompt tokens: that is "not reported", never a free call."""
    input_tokens = getattr(usage, "prompt_tokens", None)
    output_tokens = getattr(usage, "completion_tokens", None)
    if not isinstance(input_tokens, int) or not isinstance(output_tokens, int) or input_tokens <= 0:
        return None, None
    return input_tokens, output_tokens


def _register_local(litellm: Any) -> None:
    """Serve `local/...` model strings by promptops.evals.local, as a litellm custom provider."""
    from litellm.llms.custom_llm import CustomLLMError

    error: Any = CustomLLMError

    class LocalLLM(litellm.CustomLLM):  # type: ignore[misc]
        def completion(
            self,
            *,
            model: str,
            messages: list[dict[str, Any]],
            model_response: Any,
            optional_params: dict[str, Any],
            **_: Any,
        ) -> Any:
            try:
                answer = local.complete(
                    model,
                    messages,
                    temperature=optional_params.get("temperature"),
                    top_p=optional_params.get("top_p"),
                    max_tokens=optional_params.get("max_tokens"),
                    seed=optional_params.get("seed"),
                    stop=optional_params.get("stop"),
                )
            except PromptOpsError as exc:  # e.g. a prompt longer than the model's context
                raise error(status_code=400, message=exc.message) from exc
            model_response.choices[0].message.content = answer.text
            model_response.choices[0].finish_reason = answer.finish_reason
            model_response.model = local.PREFIX + model
            model_response.usage = litellm.Usage(
                prompt_tokens=answer.prompt_tokens,
                completion_tokens=answer.completion_tokens,
                total_tokens=answer.prompt_tokens + answer.completion_tokens,
            )
            return model_response

        async def acompletion(self, **kwargs: Any) -> Any:
            # llama.cpp blocks: run it off the event loop; concurrent calls queue on the model's lock
            return await asyncio.to_thread(self.completion, **kwargs)

    others = [item for item in litellm.custom_provider_map if item["provider"] != "local"]
    litellm.custom_provider_map = [*others, {"provider": "local", "custom_handler": LocalLLM()}]


def map_error(model: str, exc: BaseException, *, sent: int = 1) -> ProviderError:
    """Return the ProviderError for an exception raised by litellm (or the HTTP stack below it);
    `sent` counts the requests made so far, this one included."""
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    chain = _chain(exc)
    names = {type(e).__name__ for e in chain}
    detail = _detail(exc)
    kind: ErrorKind
    if "ConnectionResetError" in names and not names & {"ClientConnectorError", "ConnectionRefusedError"}:
        # connected, then reset (litellm's stack calls it a ConnectError): the server was reached
        return ProviderError(model, "connection", reset_text(sent))
    if names & {"ConnectError", "ConnectionRefusedError", "ClientConnectorError", "gaierror"}:
        kind, status = "unreachable", None
    elif (
        names & {"Timeout", "APITimeoutError", "TimeoutException", "ReadTimeout", "TimeoutError"}
        or status == 408
    ):
        kind, status = "timeout", None
    elif "Missing credentials" in detail or "api_key client option must be set" in detail:
        # the OpenAI client refuses before any request; litellm reports it as an HTTP 500
        kind, status = "auth", None
    elif names & {"JSONDecodeError"} or "Expecting value" in detail or "Unterminated string" in detail:
        kind, status = "malformed", None
    elif names & {"RemoteProtocolError", "ReadError", "ServerDisconnectedError", "APIConnectionError"} and (
        status in (None, 500)
    ):
        kind, status = "connection", None
    elif status is None and names & {"APIError", "OpenAIError"}:
        # no status: the provider answered (often HTTP 200) with an `{"error": ...}` body; transient
        kind = "server"
    else:
        kind = status_kind(status)
    return ProviderError(model, kind, detail, status, _retry_after(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(out) < 20 and current not in out:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


_PREFIXES = re.compile(r"^(?:litellm\.\w+:\s*)?(?:\w+Error:\s*)?(?:\w+Exception\s*-\s*)?")


def _detail(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc) or type(exc).__name__
    text = _PREFIXES.sub("", text.strip()).split("\n", 1)[0]
    return text or type(exc).__name__  # ProviderError redacts, then cuts (no partial key survives)


def _retry_after(exc: BaseException) -> float | None:
    for source in (
        getattr(exc, "litellm_response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
    ):
        value = source.get("retry-after") if source is not None and hasattr(source, "get") else None
        if value:
            return parse_retry_after(str(value))
    return None


def _openai(config: ProjectConfig) -> Provider:
    from promptops.evals import openai_http  # lazily: the fast path's module is not needed for litellm calls

    return openai_http.factory(LiteLLMProvider(prices=config.prices), config.prices)


register(DEFAULT_PROVIDER, lambda config: LiteLLMProvider(prices=config.prices))
register("openai", _openai)
