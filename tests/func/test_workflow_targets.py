"""Targets run in a child with a minimal environment; a crash, hang or garbage fails only that case run."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path

import pytest

from promptops.evals.workflow.environment import child_environment, is_secret, traceparent
from promptops.evals.workflow.target import TargetOutcome, run_target
from promptops.evals.workflow_config import Target

PROVIDER_VARIABLES = {
    "OPENAI_API_KEY": "sk-parent",
    "ANTHROPIC_API_KEY": "sk-ant-parent",
    "AZURE_OPENAI_API_KEY": "az",
    "AZURE_CLIENT_SECRET": "az-secret",
    "AWS_ACCESS_KEY_ID": "AKIA",
    "AWS_SECRET_ACCESS_KEY": "aws-secret",
    "AWS_SESSION_TOKEN": "aws-token",
    "GOOGLE_APPLICATION_CREDENTIALS": "/creds.json",
    "GITHUB_TOKEN": "ghp_x",
    "HF_TOKEN": "hf_x",
    "DB_PASSWORD": "hunter2",
    "MYAPP_REGION": "eu",
    "OPENAI_BASE_URL": "https://api.openai.com/v1",
}

APP = """\
import json, os

SEEN = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AZURE_OPENAI_API_KEY", "AZURE_CLIENT_SECRET",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS",
        "GITHUB_TOKEN", "HF_TOKEN", "DB_PASSWORD", "MYAPP_REGION"]


def run_case(vars, ctx):
    leaked = {name: os.environ[name] for name in SEEN if name in os.environ}
    secretish = sorted(n for n in os.environ if n.endswith(("_KEY", "_TOKEN", "_SECRET", "_PASSWORD")))
    return {
        "output": json.dumps({"leaked": leaked, "secretish": secretish, "base": os.environ["OPENAI_BASE_URL"],
                              "tp": ctx.traceparent, "env_tp": os.environ["TRACEPARENT"], "q": vars["q"]}),
        "trajectory": [{"name": "search_orders", "arguments": {"order_id": "ORD-1"}, "result": {"ok": True}}],
    }


def crash(vars, ctx):
    raise RuntimeError("the agent fell over")


def hang(vars, ctx):
    import time
    time.sleep(30)


def garbage(vars, ctx):
    print("not the contract")
    return ["no", "output"]


async def coroutine(vars, ctx):
    return {"output": {"answer": 42}}
"""


def run(root: Path, target: Target, timeout_s: float = 10.0, listed: tuple[str, ...] = ()) -> TargetOutcome:
    tp = traceparent("0af7651916cd43dd8448eb211c80319c")
    env = child_environment(
        {**PROVIDER_VARIABLES, "PATH": "/usr/bin:/bin"},
        listed=listed,
        home=str(root / "home"),
        proxy_url="http://127.0.0.1:1/case/t1/v1",
        otlp_url="http://127.0.0.1:1/case/t1",
        trace=tp,
    )
    return asyncio.run(
        run_target(target, root=root, case_id="c1", variables={"q": "hi"}, env=env, timeout_s=timeout_s)
    )


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "myapp").mkdir()
    (tmp_path / "myapp/__init__.py").write_text("")
    (tmp_path / "myapp/agent.py").write_text(APP)
    (tmp_path / "home").mkdir()
    return tmp_path


def test_a_target_never_sees_a_key(app: Path) -> None:
    got = run(app, Target(kind="python", python="myapp.agent:run_case"))
    assert got.failure is None, got.stderr
    seen = json.loads(got.output or "")
    assert seen["leaked"] == {}
    assert seen["secretish"] == []
    assert seen["base"] == "http://127.0.0.1:1/case/t1/v1"
    assert seen["tp"] == seen["env_tp"] and seen["tp"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert seen["q"] == "hi"
    assert [(s.kind, s.name, s.arguments, s.result) for s in got.steps] == [
        ("tool", "search_orders", {"order_id": "ORD-1"}, {"ok": True})
    ]


def test_listed_names_reach_the_target(app: Path) -> None:
    got = run(app, Target(kind="python", python="myapp.agent:run_case"), listed=("MYAPP_REGION", "HF_TOKEN"))
    assert json.loads(got.output or "")["leaked"] == {"MYAPP_REGION": "eu", "HF_TOKEN": "hf_x"}


@pytest.mark.parametrize(
    "name",
    [
        "OPENAI_API_KEY",
        "X_TOKEN",
        "AWS_REGION",
        "AZURE_TENANT_ID",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "DB_PASSWORD",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret(name)


def test_a_crash_a_hang_and_garbage_fail_the_case_run_with_the_reason(app: Path) -> None:
    crash = run(app, Target(kind="python", python="myapp.agent:crash"))
    assert crash.failure == "target:crash"
    assert crash.stderr is not None and crash.stderr.splitlines()[-1] == "RuntimeError: the agent fell over"
    hang = run(app, Target(kind="python", python="myapp.agent:hang"), timeout_s=0.5)
    assert (hang.failure, hang.stderr) == ("target:timeout", "no answer within 0.5 s")
    assert hang.wall_ms < 5000
    garbage = run(app, Target(kind="python", python="myapp.agent:garbage"))
    assert garbage.failure == "target:bad-output"
    assert garbage.stderr == 'the result has no `output`; expected {"output": ..., "trajectory"?: [...]}'


def test_an_async_target_and_a_json_output(app: Path) -> None:
    got = run(app, Target(kind="python", python="myapp.agent:coroutine"))
    assert (got.failure, got.output) == (None, '{"answer": 42}')


def test_an_exec_target_reads_the_request_on_stdin(app: Path) -> None:
    script = app / "cli.py"
    script.write_text(
        textwrap.dedent(
            """\
            import json, sys
            request = json.load(sys.stdin)
            print(json.dumps({"output": request["vars"]["q"].upper()}))
            """
        )
    )
    got = run(app, Target(kind="exec", cmd=(sys.executable, "cli.py")))
    assert (got.failure, got.output) == (None, "HI")
    missing = run(app, Target(kind="exec", cmd=("no-such-program-xyz",)))
    assert missing.failure == "target:crash"
    assert missing.stderr is not None and missing.stderr.startswith("cannot start no-such-program-xyz:")
