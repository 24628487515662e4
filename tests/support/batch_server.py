"""A local OpenAI-compatible server with the Files and Batches endpoints (and chat completions, for the
calls a batch leaves to be made online), for the batch-eval tests.

A created batch steps through `states` (default validating, in_progress, completed), one state per
`GET /v1/batches/ID`. With `end="expired"` the last state is `expired` and only the first `answer_first`
requests are answered; `fail` names substrings of the last user message whose requests fail (an error
line in the error file, as a partly failed batch has). Input lines are validated as OpenAI validates them
(custom_id unique, method POST, url /v1/chat/completions, a body with a model).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Answerer = Callable[[list[dict[str, Any]]], str]


@dataclass
class Batch:
    id: str
    input_file_id: str
    lines: list[dict[str, Any]]
    polls: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None


@dataclass
class FakeBatches:
    answer: Answerer
    states: tuple[str, ...] = ("validating", "in_progress", "completed")
    end: str = "completed"
    answer_first: int | None = None  # with end="expired": how many requests were answered in time
    fail: tuple[str, ...] = ()
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, Batch] = field(default_factory=dict)
    chat_calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeBatches:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def status(self, batch: Batch) -> dict[str, Any]:
        states = (*self.states[:-1], self.end)
        state = states[min(batch.polls, len(states) - 1)]
        batch.polls += 1
        if state in ("completed", "expired") and batch.output_file_id is None:
            self._finish(batch, state)
        return {
            "id": batch.id,
            "object": "batch",
            "status": state,
            "input_file_id": batch.input_file_id,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
        }

    def _finish(self, batch: Batch, state: str) -> None:
        done, errors = [], []
        for index, line in enumerate(batch.lines):
            body = line["body"]
            last = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
            if state == "expired" and self.answer_first is not None and index >= self.answer_first:
                errors.append({"custom_id": line["custom_id"], "error": {"code": "batch_expired"}})
                continue
            if any(needle in last for needle in self.fail):
                errors.append({"custom_id": line["custom_id"], "response": {"status_code": 500, "body": {}}})
                continue
            text = self.answer(body["messages"])
            done.append(
                {
                    "custom_id": line["custom_id"],
                    "response": {
                        "status_code": 200,
                        "body": {
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
                            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
                        },
                    },
                }
            )
        batch.output_file_id = self._store(done)
        batch.error_file_id = self._store(errors) if errors else None

    def _store(self, lines: list[dict[str, Any]]) -> str:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = "".join(json.dumps(line) + "\n" for line in lines).encode()
        return file_id


def _validate(raw: bytes) -> list[dict[str, Any]]:
    lines, seen = [], set()
    for number, text in enumerate(raw.decode().splitlines(), 1):
        line = json.loads(text)
        if line.get("method") != "POST" or line.get("url") != "/v1/chat/completions":
            raise ValueError(f"line {number}: method and url must be POST /v1/chat/completions")
        if line.get("custom_id") in seen or not line.get("custom_id"):
            raise ValueError(f"line {number}: custom_id must be unique")
        if not isinstance(line.get("body"), dict) or not line["body"].get("model"):
            raise ValueError(f"line {number}: body.model is required")
        seen.add(line["custom_id"])
        lines.append(line)
    return lines


def _handler(state: FakeBatches) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any, raw: bytes | None = None) -> None:
            body = raw if raw is not None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            with state._lock:
                if parts[:2] == ["v1", "batches"] and len(parts) == 3 and parts[2] in state.batches:
                    self._send(200, state.status(state.batches[parts[2]]))
                elif parts[:2] == ["v1", "files"] and len(parts) == 4 and parts[2] in state.files:
                    self._send(200, None, state.files[parts[2]])
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.rstrip("/")
            with state._lock:
                if path.endswith("/files"):
                    head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                    message = BytesParser(policy=HTTP).parsebytes(head + raw)
                    parts = {
                        p.get_param("name", header="content-disposition"): p for p in message.iter_parts()
                    }
                    content = parts["file"].get_payload(decode=True)
                    file_id = f"file-{len(state.files) + 1}"
                    state.files[file_id] = content
                    self._send(200, {"id": file_id, "object": "file", "purpose": "batch"})
                elif path.endswith("/batches"):
                    data = json.loads(raw)
                    try:
                        lines = _validate(state.files[data["input_file_id"]])
                    except (KeyError, ValueError) as exc:
                        self._send(400, {"error": {"message": str(exc)}})
                        return
                    batch = Batch(
                        id=f"batch_{len(state.batches) + 1}", input_file_id=data["input_file_id"], lines=lines
                    )
                    state.batches[batch.id] = batch
                    self._send(200, {"id": batch.id, "object": "batch", "status": "validating"})
                elif path.endswith("/chat/completions"):
                    state.chat_calls += 1
                    body = json.loads(raw)
                    text = state.answer(body["messages"])
                    self._send(
                        200,
                        {
                            "id": "chatcmpl-online",
                            "object": "chat.completion",
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
                        },
                    )
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

    return Handler


def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBatches]:
    """Yield a started FakeBatches answering like a good order-id model, OPENAI_BASE_URL and the key
    pointing at it (a test module's fixture yields from this)."""
    from support.evalproject import order_id_answer

    server = FakeBatches(answer=order_id_answer).start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    try:
        yield server
    finally:
        server.stop()
