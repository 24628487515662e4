"""A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted answers and injected faults.

Used by the tests (fixture `openai_server`), the benchmark and by hand:

    python tests/support/openai_server.py --latency 0.05 --answer "ORD-1=ORD-1"

Answers are a function of the request messages: `answers` maps a substring of the last user
message to a reply (first match wins, in insertion order), else `default`. A callable may be given
instead. A request with `"stream": true` is answered as server-sent events (see `_stream`): a role
chunk at once, the first content token after `first_token_delay` seconds, the rest a word a chunk
`chunk_delay` apart. Faults are rules added with `fail(kind, ...)`, selected by request number (1-based,
counting every POST), `every` Nth request, a substring of the last user message, and a limit on
how many times they fire.

Tools: a request with `tools` (and a `tool_choice` other than "none") is answered with tool calls
(`finish_reason: tool_calls`), deterministically: `tool_answers` maps a substring of the last user
message to the calls to make (`{"name": ..., "arguments": {...} or raw text}`), else the default rule
picks every tool whose name occurs in the last user message (else the first tool; a named
`tool_choice` picks that tool) and fills its arguments from `PARAM=VALUE` words of that message
(integers, numbers and booleans converted by the parameter's schema type). When the last message is a
tool result, the answer is text again (by `answers` as for any request). Requests without tools are
answered as they always were.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

FAULT_KINDS = (
    "429",  # rate limited, with Retry-After
    "500",
    "503",
    "400",  # bad request: never retried
    "401",  # auth: never retried
    "403",
    "drop",  # the connection closes without a response
    "malformed",  # 200 with a body that is not JSON
    "empty_choices",  # 200 with `choices: []`
    "slow",  # the answer arrives after `delay` seconds (past the client's timeout)
    "error_body",  # 200 whose body is `{"error": {...}}` (some gateways answer failures this way)
    "no_usage",  # a normal answer without the `usage` object
    "reset",  # the connection is reset (RST) before any response
    "stream_break",  # a streamed answer stops after its first content token: the connection closes
)

Answerer = Callable[[list[dict[str, Any]]], str]
ToolCallScript = Mapping[str, list[dict[str, Any]]]  # substring of the last user message -> calls


@dataclass
class Fault:
    kind: str
    every: int | None = None  # every Nth request (request number % every == 0)
    requests: frozenset[int] | None = None  # these request numbers
    match: str | None = None  # the last user message contains this
    times: int | None = None  # fire at most this many times (None: always)
    retry_after: str | None = "0"  # Retry-After header value for 429/503
    delay: float = 5.0  # for `slow`
    fired: int = 0

    def applies(self, number: int, last_user: str) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.every is not None and number % self.every != 0:
            return False
        if self.requests is not None and number not in self.requests:
            return False
        return not (self.match is not None and self.match not in last_user)


@dataclass
class Request:
    number: int
    body: dict[str, Any]
    headers: dict[str, str]  # lower-case names
    fault: str | None

    @property
    def last_user(self) -> str:
        return _last_user(self.body.get("messages") or [])


def _last_user(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


@dataclass
class FakeOpenAI:
    """The server's script and its record of requests; thread-safe."""

    answers: Mapping[str, str] | Answerer = field(default_factory=dict)
    by_model: Mapping[str, Answerer] = field(default_factory=dict)  # model as sent -> its own answers
    tool_answers: ToolCallScript = field(default_factory=dict)
    default: str = "OK"
    latency: float = 0.0
    first_token_delay: float = 0.0  # streamed answers: seconds between the role chunk and the first token
    chunk_delay: float = 0.0  # streamed answers: seconds between content chunks
    faults: list[Fault] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    # --- script ---------------------------------------------------------------

    def fail(
        self,
        kind: str,
        *,
        every: int | None = None,
        requests: set[int] | None = None,
        match: str | None = None,
        times: int | None = None,
        retry_after: str | None = "0",
        delay: float = 5.0,
    ) -> Fault:
        """Add a fault rule and return it (rules are tried in the order added)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        fault = Fault(
            kind, every, frozenset(requests) if requests else None, match, times, retry_after, delay
        )
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def answer(self, messages: list[dict[str, Any]], model: str | None = None) -> str:
        if model in self.by_model:
            return self.by_model[model](messages)
        if callable(self.answers):
            return self.answers(messages)
        last = _last_user(messages)
        for needle, reply in self.answers.items():
            if needle in last:
                return reply
        return self.default

    def tool_calls(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the tool calls answering `body` (OpenAI shape), [] for a text answer."""
        return tool_calls_for(body, self.tool_answers)

    # --- record ---------------------------------------------------------------

    @property
    def count(self) -> int:
        """Return how many chat-completion requests arrived (faulty ones included)."""
        with self._lock:
            return len(self.requests)

    def reset(self) -> None:
        """Forget the recorded requests (request numbering starts again at 1)."""
        with self._lock:
            self.requests.clear()

    def _admit(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[Request, Fault | None]:
        with self._lock:
            number = len(self.requests) + 1
            last = _last_user(body.get("messages") or [])
            chosen = None
            for fault in self.faults:
                if fault.applies(number, last):
                    fault.fired += 1
                    chosen = fault
                    break
            request = Request(number, body, headers, chosen.kind if chosen else None)
            self.requests.append(request)
            return request, chosen

    # --- lifecycle ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        """Start serving on an ephemeral port in a daemon thread."""
        server = _Server((self.host, self.port), _handler(self))
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # listen() backlog: many clients connect at once
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that timed out or hung up is part of the script, not a server bug
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def tool_calls_for(body: dict[str, Any], script: ToolCallScript) -> list[dict[str, Any]]:
    """Return the deterministic tool calls answering `body` (see the module docstring)."""
    tools = [t.get("function") or {} for t in body.get("tools") or [] if isinstance(t, dict)]
    messages = body.get("messages") or []
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return []
    if messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "tool":
        return []
    last = _last_user(messages)
    planned: list[dict[str, Any]] = []
    for needle, calls in script.items():
        if needle in last:
            planned = list(calls)
            break
    else:
        named = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
        picked = [t for t in tools if t.get("name") == named] if named else []
        picked = picked or [t for t in tools if t.get("name") and t["name"] in last] or tools[:1]
        planned = [{"name": t.get("name", ""), "arguments": _arguments(t, last)} for t in picked]
    return [
        {
            "id": f"call_{index + 1}",
            "type": "function",
            "function": {
                "name": call["name"],
                "arguments": call["arguments"]
                if isinstance(call["arguments"], str)
                else json.dumps(call["arguments"], sort_keys=True),
            },
        }
        for index, call in enumerate(planned)
    ]


def _arguments(tool: dict[str, Any], text: str) -> dict[str, Any]:
    properties = (tool.get("parameters") or {}).get("properties") or {}
    words = dict(w.split("=", 1) for w in text.split() if "=" in w)
    out: dict[str, Any] = {}
    for name, schema in properties.items():
        if name in words:
            out[name] = _typed(words[name].rstrip(".,;?!"), schema if isinstance(schema, dict) else {})
    return out


def _typed(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean":
        return value.lower() == "true"
    return value


def _completion(
    body: dict[str, Any], number: int, content: str, tool_calls: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    prompt_text = " ".join(
        str(m.get("content", "")) for m in body.get("messages") or [] if isinstance(m, dict)
    )
    prompt_tokens = max(1, len(prompt_text.split()))
    completion_tokens = max(1, len(content.split()))
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message = {"role": "assistant", "content": None, "tool_calls": tool_calls}
        completion_tokens = max(1, len(json.dumps(tool_calls).split()))
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body.get("model", "unknown"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _handler(state: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: bytes, headers: Mapping[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()

        def _error(
            self, status: int, message: str, kind: str, headers: Mapping[str, str] | None = None
        ) -> None:
            body = {"error": {"message": message, "type": kind, "param": None, "code": str(status)}}
            self._send(status, json.dumps(body).encode(), headers)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, json.dumps({"object": "list", "data": []}).encode())
            else:
                self._error(404, f"no route {self.path}", "not_found")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._error(404, f"no route {self.path}", "not_found")
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._error(400, "request body is not JSON", "invalid_request_error")
                return
            request, fault = state._admit(body, {k.lower(): v for k, v in self.headers.items()})
            if state.latency:
                time.sleep(state.latency)
            if fault is not None and self._inject(fault, body, request.number):
                return
            calls = state.tool_calls(body)
            content = "" if calls else state.answer(body.get("messages") or [], body.get("model"))
            if body.get("stream"):
                _stream(self, state, body, request.number, content, fault)
                return
            self._send(200, json.dumps(_completion(body, request.number, content, calls)).encode())

        def _inject(self, fault: Fault, body: dict[str, Any], number: int) -> bool:
            """Apply `fault`; return True when the response has been dealt with."""
            retry = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            if fault.kind == "429":
                self._error(429, "Rate limit reached for requests", "rate_limit_exceeded", retry)
            elif fault.kind in ("500", "503"):
                self._error(int(fault.kind), "The server had an error", "server_error", retry)
            elif fault.kind == "400":
                self._error(400, "Invalid request: bad parameter", "invalid_request_error")
            elif fault.kind in ("401", "403"):
                self._error(int(fault.kind), "Incorrect API key provided", "invalid_api_key")
            elif fault.kind == "drop":
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
            elif fault.kind == "malformed":
                self._send(200, b'{"id": "chatcmpl-x", "choices": [ {"mess')
            elif fault.kind == "empty_choices":
                self._send(
                    200,
                    json.dumps(
                        {
                            "id": "chatcmpl-x",
                            "object": "chat.completion",
                            "created": 1,
                            "model": "m",
                            "choices": [],
                        }
                    ).encode(),
                )
            elif fault.kind == "error_body":
                error = {"error": {"message": "upstream overloaded", "type": "server_error", "code": None}}
                self._send(200, json.dumps(error).encode())
            elif fault.kind == "no_usage":
                answer = _completion(body, number, state.answer(body.get("messages") or []))
                del answer["usage"]
                self._send(200, json.dumps(answer).encode())
            elif fault.kind == "reset":
                self.close_connection = True
                with contextlib.suppress(OSError):  # SO_LINGER 0: close() sends RST, not FIN
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
            elif fault.kind == "slow":
                time.sleep(fault.delay)
                return False
            elif fault.kind == "stream_break":
                return False  # `_stream` breaks the answer; a request that does not stream is answered
            return True

    return Handler


def _stream(
    handler: BaseHTTPRequestHandler,
    state: FakeOpenAI,
    body: dict[str, Any],
    number: int,
    content: str,
    fault: Fault | None,
) -> None:
    """Answer as server-sent events in chunked transfer encoding (the connection stays open for reuse)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    whole = _completion(body, number, content)
    words = content.split(" ")
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]

    def chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> dict[str, Any]:
        choices = [] if usage is not None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        event = {
            "id": whole["id"],
            "object": "chat.completion.chunk",
            "created": whole["created"],
            "model": whole["model"],
            "choices": choices,
        }
        if usage is not None:
            event["usage"] = usage
        return event

    def send(data: bytes) -> None:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.flush()

    def event(payload: dict[str, Any]) -> None:
        send(b"data: " + json.dumps(payload).encode() + b"\n\n")

    event(chunk({"role": "assistant", "content": ""}))
    time.sleep(state.first_token_delay)
    for index, piece in enumerate(pieces):
        if index:
            time.sleep(state.chunk_delay)
        event(chunk({"content": piece}))
        if fault is not None and fault.kind == "stream_break":
            handler.close_connection = True  # no terminating chunk: the client sees a cut body
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
    event(chunk({}, "stop"))
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        event(chunk({}, usage=whole["usage"]))
    send(b"data: [DONE]\n\n")
    handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()


@pytest.fixture
def openai_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """A started FakeOpenAI; OPENAI_BASE_URL and OPENAI_API_KEY point litellm at it."""
    server = FakeOpenAI().start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per response")
    parser.add_argument("--first-token-delay", type=float, default=0.0, help="streamed answers: seconds")
    parser.add_argument("--default", default="OK", help="answer when no --answer matches")
    parser.add_argument("--answer", action="append", default=[], metavar="SUBSTRING=REPLY")
    parser.add_argument(
        "--echo-expected",
        action="store_true",
        help="answer the text after 'expect:' in the last user message",
    )
    args = parser.parse_args(argv)
    answers: Mapping[str, str] | Answerer = dict(a.split("=", 1) for a in args.answer)
    if args.echo_expected:
        answers = echo_expected(args.default)
    server = FakeOpenAI(answers=answers, default=args.default, latency=args.latency, port=args.port)
    server.first_token_delay = args.first_token_delay
    server.start()
    sys.stdout.write(server.base_url + "\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


def echo_expected(default: str = "OK") -> Answerer:
    """Return an answerer replying with what follows `expect:` in the last user message."""

    def answer(messages: list[dict[str, Any]]) -> str:
        last = _last_user(messages)
        marker = last.rfind("expect:")
        return last[marker + len("expect:") :].strip() if marker >= 0 else default

    return answer


if __name__ == "__main__":
    sys.exit(main())
