"""An `http:` target: one POST per case run to a running service; its model calls join the case run when
it sends them to the proxy address it is given; error statuses, silence and garbage fail the case run."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from support.agentproject import CASES, agent_answer, write_agent_project
from support.evalproject import results
from support.openai_server import FakeOpenAI

SUITE = """\
prompt: support/order-agent
dataset: data/order-agent.jsonl
loop: {{timeout_s: 2}}
target:
  http: {{url: "{url}", body: {{q: "{{{{ question }}}}"}}, output: {output}}}
scorers:
  - {{type: contains, value: "{{{{ expected }}}}"}}
  - {{type: steps, max_llm_calls: 1}}
"""


class Service(BaseHTTPRequestHandler):
    """The application: asks the model through the proxy address it is given, answers {"answer": ...}."""

    mode = "ok"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.mode == "slow":
            time.sleep(3)
        if self.mode == "error":
            self._send(500, b"database is down")
            return
        chat = {"model": "gpt-4o-mini-2024-07-18", "messages": [{"role": "tool", "content": body["q"]}]}
        request = urllib.request.Request(
            self.headers["x-promptops-base-url"] + "/chat/completions",
            data=json.dumps(chat).encode(),
            headers={"Content-Type": "application/json", "traceparent": self.headers["traceparent"]},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            text = json.loads(response.read())["choices"][0]["message"]["content"]
        self._send(200, json.dumps({"answer": text} if self.mode == "ok" else {"other": 1}).encode())

    def _send(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def service() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    Service.mode = "ok"


def project(root: Path, service: ThreadingHTTPServer, output: str = "answer") -> None:
    url = f"http://127.0.0.1:{service.server_address[1]}/chat"
    write_agent_project(root, suite=SUITE.format(url=url, output=output))


def test_an_http_target_and_its_model_calls(
    cli, project_dir: Path, openai_server: FakeOpenAI, service: ThreadingHTTPServer
) -> None:
    openai_server.answers = agent_answer  # a last `tool` message mentioning shipped answers "shipped"
    project(project_dir, service)
    result = cli("eval", "order-agent", "--repeats", "1")
    assert result.code == 0, result.err
    by = {c["id"]: c["attempts"][0] for c in results(project_dir)["suites"]["order-agent"]["cases"]}
    assert by["c01"]["output"] == "not found"  # the question holds no "shipped"
    assert [s["kind"] for s in by["c01"]["trajectory"]["steps"]] == ["llm"]
    sent = {r.body["messages"][0]["content"] for r in openai_server.requests}
    assert sent == {c["vars"]["question"] for c in CASES}  # the body templated from each case


@pytest.mark.parametrize(
    ("mode", "failure", "stderr"),
    [
        ("error", "target:crash", "HTTP 500: database is down"),
        ("slow", "target:timeout", "no answer within 2 s"),
        ("garbage", "target:bad-output", "the answer has no `answer`"),
    ],
)
def test_http_target_failures(
    cli,
    project_dir: Path,
    openai_server: FakeOpenAI,
    service: ThreadingHTTPServer,
    mode: str,
    failure: str,
    stderr: str,
) -> None:
    Service.mode = mode
    project(project_dir, service)
    assert cli("eval", "order-agent", "--repeats", "1").code == 0
    attempt = results(project_dir)["suites"]["order-agent"]["cases"][0]["attempts"][0]
    assert (attempt["trajectory"]["failure"], attempt["trajectory"]["stderr"]) == (failure, stderr)
