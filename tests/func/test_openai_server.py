"""The fake OpenAI-compatible server answers and fails as scripted (plain HTTP, no litellm)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys

import pytest

from support.openai_server import FakeOpenAI
from support.paths import TESTS


def post(server: FakeOpenAI, text: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    body = json.dumps(
        {"model": "m", "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": text}]}
    )
    try:
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def test_fixture_points_openai_env_at_the_server(openai_server: FakeOpenAI) -> None:
    assert os.environ["OPENAI_BASE_URL"] == f"http://127.0.0.1:{openai_server.port}/v1"
    assert os.environ["OPENAI_API_KEY"] == "test-key"


def test_scripted_answers_by_substring_and_default(openai_server: FakeOpenAI) -> None:
    openai_server.answers = {"ORD-1": "ORD-00001", "ORD": "other"}
    openai_server.default = "nothing"
    status, _, data = post(openai_server, "Where is ORD-1?")
    assert status == 200
    reply = json.loads(data)
    assert reply["choices"][0]["message"]["content"] == "ORD-00001"
    assert reply["usage"]["completion_tokens"] == 1
    assert json.loads(post(openai_server, "hello")[2])["choices"][0]["message"]["content"] == "nothing"
    assert openai_server.count == 2
    assert openai_server.requests[0].last_user == "Where is ORD-1?"


def test_every_nth_request_fails_with_retry_after(openai_server: FakeOpenAI) -> None:
    openai_server.fail("429", every=3, retry_after="7")
    statuses = [post(openai_server, f"q{i}") for i in range(6)]
    assert [s for s, _, _ in statuses] == [200, 200, 429, 200, 200, 429]
    assert statuses[2][1]["retry-after"] == "7"
    assert [r.fault for r in openai_server.requests] == [None, None, "429", None, None, "429"]


def test_match_and_times_limit(openai_server: FakeOpenAI) -> None:
    openai_server.fail("500", match="bad", times=2)
    assert [post(openai_server, "bad")[0] for _ in range(3)] == [500, 500, 200]
    openai_server.fail("503", requests={5})
    assert post(openai_server, "x")[0] == 200
    assert post(openai_server, "x")[0] == 503


@pytest.mark.parametrize("kind", ["malformed", "empty_choices"])
def test_bad_bodies(openai_server: FakeOpenAI, kind: str) -> None:
    openai_server.fail(kind)
    status, _, data = post(openai_server, "x")
    assert status == 200
    if kind == "malformed":
        with pytest.raises(ValueError):
            json.loads(data)
    else:
        assert json.loads(data)["choices"] == []


def test_dropped_connection(openai_server: FakeOpenAI) -> None:
    openai_server.fail("drop")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        post(openai_server, "x")
    assert openai_server.count == 1


def test_slow_response_passes_the_client_timeout(openai_server: FakeOpenAI) -> None:
    openai_server.fail("slow", delay=1.0)
    with pytest.raises(TimeoutError):
        post(openai_server, "x", timeout=0.2)


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault 'teapot'"):
        FakeOpenAI().fail("teapot")


def test_runs_as_a_script() -> None:
    script = TESTS / "support" / "openai_server.py"
    proc = subprocess.Popen(
        [sys.executable, str(script), "--answer", "hi=there"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        server = FakeOpenAI(port=int(url.rsplit(":", 1)[1].split("/")[0]))
        assert json.loads(post(server, "hi")[2])["choices"][0]["message"]["content"] == "there"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
