"""A `target:` suite end to end: the application runs in a keyless child, its model calls go through the
loopback proxy (keys, --model, cache, cost) and its tool runs join the trajectory; other origins get 403."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from promptops.evals.calls import CallRequest, Reply
from promptops.evals.workflow.proxy import Proxy
from promptops.evals.workflow_config import LoopLimits
from support.agentproject import agent_answer, write_agent_project
from support.evalproject import results
from support.openai_server import FakeOpenAI

TARGET_SUITE = """\
prompt: support/order-agent
dataset: data/order-agent.jsonl
loop: {max_steps: 4, timeout_s: 20}
target:
  python: myapp.agent:run_case
  env: [SPANS]
scorers:
  - {type: equals, expected: "{{ expected }}"}
  - {type: trajectory, expected: [search_orders]}
"""
SUPPORT = Path(__file__).parent.parent / "support"


def project(root: Path) -> Path:
    write_agent_project(root, suite=TARGET_SUITE, files={"myapp/__init__.py": ""})
    shutil.copy(SUPPORT / "agent_target.py", root / "myapp/agent.py")
    return root


@pytest.mark.parametrize("spans", [False, True], ids=["returned", "otel-spans"])
def test_a_target_runs_keyless_through_the_proxy(
    cli, project_dir: Path, openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, spans: bool
) -> None:
    openai_server.answers = agent_answer
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_parent")
    if spans:
        monkeypatch.setenv("SPANS", "1")
    project(project_dir)
    result = cli("eval", "order-agent", "--repeats", "1")
    assert result.code == 0, result.err
    data = results(project_dir)["suites"]["order-agent"]
    by = {c["id"]: c["attempts"][0] for c in data["cases"]}
    first = by["c01"]
    assert first["passed"] is True, first
    assert first["output"] == "shipped"
    kinds = [(s["kind"], s["name"]) for s in first["trajectory"]["steps"]]
    llm = ("llm", "openai/gpt-4o-mini-2024-07-18")
    assert kinds == (
        [llm, ("tool", "search_orders"), llm] if spans else [llm, llm, ("tool", "search_orders")]
    )
    assert first["trajectory"]["totals"]["llm_calls"] == 2
    assert by["c02"]["output"] == "not found"
    # the upstream calls carried promptops' key; the child never had it
    assert {r.headers.get("authorization") for r in openai_server.requests} == {"Bearer test-key"}
    before = len(openai_server.requests)
    assert cli("eval", "order-agent", "--repeats", "1").code == 0
    assert len(openai_server.requests) == before  # the proxy's calls are cached per repeat


def test_model_override_reaches_the_target_calls(cli, project_dir: Path, openai_server: FakeOpenAI) -> None:
    openai_server.answers = agent_answer
    project(project_dir)
    assert cli("eval", "order-agent", "--repeats", "1", "--model", "openai/gpt-4.1-mini").code == 0
    assert {r.body["model"] for r in openai_server.requests} == {"gpt-4.1-mini"}


def test_a_crashing_target_fails_its_case_runs_not_the_eval(
    cli, project_dir: Path, openai_server: FakeOpenAI
) -> None:
    project(project_dir)
    (project_dir / "myapp/agent.py").write_text(
        "def run_case(vars, ctx):\n    raise SystemExit('no config')\n"
    )
    result = cli("eval", "order-agent", "--repeats", "1")
    assert result.code == 0, result.err  # no baseline: scored, not gated
    attempt = results(project_dir)["suites"]["order-agent"]["cases"][0]["attempts"][0]
    assert attempt["passed"] is False and attempt["error"] is None
    assert attempt["trajectory"]["failure"] == "target:crash"
    assert attempt["trajectory"]["stderr"] == "no config"
    assert attempt["scores"][0]["detail"] == "target:crash\nno config"


async def _raw(port: int, request: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request.encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(4000), 5)
    writer.close()
    return data


def test_the_proxy_refuses_other_origins_with_403() -> None:
    async def go() -> tuple[list[bytes], list[str], list[str]]:
        proxy = Proxy()
        await proxy.start()
        forwarded: list[str] = []

        async def forward(request: CallRequest) -> Reply:
            forwarded.append(request.model)
            return Reply(text="hi")

        proxy.open("t1", "0" * 32, forward, LoopLimits())
        body = '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}'
        length = f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n\r\n{body}"
        port = proxy.port
        try:
            answers = [
                await _raw(
                    port,
                    f"POST http://evil.example/v1/chat/completions HTTP/1.1\r\nHost: evil.example\r\n{length}",
                ),
                await _raw(
                    port, f"POST /case/t1/v1/chat/completions HTTP/1.1\r\nHost: evil.example\r\n{length}"
                ),
                await _raw(port, "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n"),
                await _raw(
                    port, f"POST /case/t1/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{length}"
                ),
            ]
        finally:
            await proxy.stop()
        return answers, proxy.refused, forwarded

    answers, refused, forwarded = asyncio.run(go())
    assert [a.split(b"\r\n")[0] for a in answers] == [
        b"HTTP/1.1 403 Forbidden",
        b"HTTP/1.1 403 Forbidden",
        b"HTTP/1.1 403 Forbidden",
        b"HTTP/1.1 200 OK",
    ]
    assert refused[0] == "POST http://evil.example/v1/chat/completions (Host: evil.example)"
    assert len(refused) == 3
    assert forwarded == ["openai/gpt-4o-mini"]
