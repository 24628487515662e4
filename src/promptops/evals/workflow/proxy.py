"""The loopback proxy a target's model calls and OTel spans go through (§9.3), one per eval.

It listens on 127.0.0.1 only. Each case run gets a path token (`/case/TOKEN/v1`), so a call is
recorded with its case even when the target does not pass TRACEPARENT on; without the token, the
`traceparent` header's trace id names the case run. A chat completion is sent upstream through the
runner's own call layer (the keys promptops holds, `--model`, the cache, retries and cost) — never to
an address the request names: an absolute-URL request line, a Host header other than the proxy's own,
or CONNECT is refused with 403 and recorded. `POST .../v1/traces` takes OTLP/HTTP JSON; its
`execute_tool` spans join the case run whose token or trace id they carry.

aiohttp belongs to evals.openai_http; this module is the one other user, as the server side
(pyproject's ownership contract lists it with that reason).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from promptops.evals.calls import CallRequest, ProviderError, Reply
from promptops.evals.trajectory import Step
from promptops.evals.workflow.loop import llm_step
from promptops.evals.workflow.spans import tool_steps
from promptops.evals.workflow_config import LoopLimits

MAX_BODY = 20_000_000
_CALL_KEYS = ("model", "messages", "tools", "tool_choice", "response_format", "stream", "n")
Forward = Callable[[CallRequest], Awaitable[Reply]]


@dataclass
class Session:
    """What one case run sent through the proxy."""

    token: str
    trace_id: str
    forward: Forward
    limits: LoopLimits = field(default_factory=LoopLimits)
    steps: list[tuple[int, Step]] = field(default_factory=list)  # (start ns, step)
    error: ProviderError | None = None  # the provider failed: the case run is an error, not a fail
    failure: str | None = None  # a loop limit the target's calls hit (limit:steps, limit:cost)
    calls: int = 0
    cost: float = 0.0


class Proxy:
    """The loopback OpenAI-compatible endpoint and OTLP receiver of one eval."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self.refused: list[str] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(middlewares=[self._origin], client_max_size=MAX_BODY)
        app.router.add_post("/case/{token}/v1/chat/completions", self._chat)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/case/{token}/v1/traces", self._traces)
        app.router.add_post("/v1/traces", self._traces)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def base_url(self, token: str) -> str:
        return f"http://127.0.0.1:{self.port}/case/{token}/v1"

    def otlp_url(self, token: str) -> str:
        return f"http://127.0.0.1:{self.port}/case/{token}"

    def open(self, token: str, trace_id: str, forward: Forward, limits: LoopLimits) -> Session:
        session = Session(token=token, trace_id=trace_id, forward=forward, limits=limits)
        self.sessions[token] = session
        return session

    def close(self, token: str) -> Session:
        return self.sessions.pop(token)

    # --- handlers -----------------------------------------------------------------------------

    @web.middleware
    async def _origin(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        allowed = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        if request.method == "CONNECT" or not request.raw_path.startswith("/") or request.host not in allowed:
            what = f"{request.method} {request.raw_path} (Host: {request.host})"
            self.refused.append(what)
            return _error(
                403, f"the promptops proxy forwards only to its configured providers; refused {what}"
            )
        return await handler(request)

    def _session(self, request: web.Request) -> Session | None:
        token = request.match_info.get("token")
        if token is not None:
            return self.sessions.get(token)
        trace = _trace_id(request.headers.get("traceparent", ""))
        return next((s for s in self.sessions.values() if s.trace_id == trace), None)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        session = self._session(request)
        if session is None:
            return _error(404, "no case run with this path token or traceparent")
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(400, "the body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "expected a chat completion body with `messages`")
        if body.get("stream"):
            return _error(400, "the promptops proxy does not stream; send stream: false")
        asked = str(body.get("model") or "")
        model = asked if "/" in asked else f"openai/{asked}"  # the target speaks the OpenAI protocol
        call = CallRequest(
            model=model,
            messages=tuple(body["messages"]),
            params={k: v for k, v in body.items() if k not in _CALL_KEYS},
            tools=tuple(body.get("tools") or ()),
            tool_choice=body.get("tool_choice"),
            response_format=body.get("response_format"),
        )
        if session.calls >= session.limits.max_steps:
            session.failure = session.failure or "limit:steps"
            return _error(429, f"limit:steps: this case run may make {session.limits.max_steps} model calls")
        session.calls += 1
        started = time.time_ns()
        try:
            reply = await session.forward(call)
        except ProviderError as exc:
            session.error = session.error or exc
            return _error(502, exc.message)
        session.steps.append((started, llm_step(model, reply)))
        session.cost += reply.cost_usd or 0.0
        limit = session.limits.max_cost_usd
        if limit is not None and session.cost > limit:
            session.failure = session.failure or "limit:cost"
        return web.json_response(_completion(model, reply))

    async def _traces(self, request: web.Request) -> web.StreamResponse:
        if "json" not in (request.content_type or ""):
            return _error(415, "send OTLP/HTTP as JSON (application/json)")
        try:
            data = json.loads(await request.read())
        except ValueError:
            return _error(400, "the body is not JSON")
        token = request.match_info.get("token")
        for trace_id, started, step in tool_steps(data):
            session = self.sessions.get(token) if token else None
            session = session or next((s for s in self.sessions.values() if s.trace_id == trace_id), None)
            if session is not None:
                session.steps.append((started, step))
        return web.json_response({"partialSuccess": {}})


def _trace_id(traceparent: str) -> str:
    parts = traceparent.split("-")
    return parts[1] if len(parts) == 4 else ""


def _completion(model: str, reply: Reply) -> dict[str, Any]:
    usage: Mapping[str, Any] = {
        "prompt_tokens": reply.input_tokens or 0,
        "completion_tokens": reply.output_tokens or 0,
        "total_tokens": (reply.input_tokens or 0) + (reply.output_tokens or 0),
    }
    finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
    return {
        "id": "chatcmpl-promptops",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": reply.message(), "finish_reason": finish}],
        "usage": dict(usage),
    }


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "promptops_proxy"}}, status=status)
