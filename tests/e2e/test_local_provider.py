"""`local/...` model strings through the real litellm path (a litellm custom provider)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from promptops.config import ProjectConfig
from promptops.errors import ExitCode, InputError
from promptops.evals.calls import CallRequest, ProviderError, Reply, RetryPolicy, complete
from promptops.evals.providers import provider_for
from support.fixtures import CLI
from support.local_model import needs_local_model
from support.paths import ROOT

SMOL = "local/smollm2-135m-instruct"
QUICKSTART = ROOT / "examples" / "quickstart"
SYSTEM = ("system", "Extract the order ID from the customer message. Reply with the order ID only.")
EXAMPLES = (
    ("user", "Message: Hi, my package for ORD-48213 never arrived."),
    ("assistant", "ORD-48213"),
    ("user", "Message: Can I return the shoes? Order number is ORD-90571, thanks."),
    ("assistant", "ORD-90571"),
)


def request(message: str, model: str = SMOL, **params: object) -> CallRequest:
    return CallRequest(
        model=model,
        messages=(SYSTEM, *EXAMPLES, ("user", f"Message: {message}")),
        params={"temperature": 0, "max_tokens": 16, **params},
    )


def call(req: CallRequest) -> Reply:
    provider = provider_for(req.model, ProjectConfig())
    return asyncio.run(complete(provider, req, RetryPolicy(retries=0, timeout_s=60)))


@needs_local_model  # llama-cpp-python is checked first
def test_missing_model_file_is_bad_input_not_a_failed_call(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(InputError) as info:
        call(request("ORD-12345", model=f"local/{missing}"))
    assert not isinstance(info.value, ProviderError)
    assert info.value.message == f"model file not found: {missing}"
    assert info.value.exit_code == ExitCode.BAD_INPUT


@needs_local_model
def test_reply_has_text_tokens_and_zero_cost() -> None:
    reply = call(request("Where is ORD-12345? It is late."))
    assert reply.text == "ORD-12345"
    assert reply.input_tokens > 100
    assert 1 <= reply.output_tokens <= 16
    assert reply.cost_usd == 0.0
    assert reply.latency_ms > 0


@needs_local_model
def test_params_reach_the_model() -> None:
    assert call(request("Status of ORD-30418?", stop=["-"])).text == "ORD"
    cut = call(request("Status of ORD-30418?", max_tokens=2))
    assert cut.output_tokens == 2


@needs_local_model
def test_a_prompt_longer_than_the_context_is_a_rejected_request() -> None:
    with pytest.raises(ProviderError) as info:
        call(request("ORD-12345 " * 3000))
    assert info.value.kind == "bad_request"
    assert "exceed context window of 4096" in info.value.message
    assert info.value.message.startswith(f"{SMOL}: the provider rejected the request (HTTP 400): ")


@needs_local_model
def test_concurrent_calls_are_serialised_and_deterministic() -> None:
    messages = [f"Package ORD-{n}0{n}1{n} has not arrived." for n in range(1, 7)]
    provider = provider_for(SMOL, ProjectConfig())
    policy = RetryPolicy(retries=0, timeout_s=60)

    async def run_all() -> list[str]:
        replies = await asyncio.gather(*(complete(provider, request(m), policy) for m in messages))
        return [r.text for r in replies]

    assert asyncio.run(run_all()) == [f"ORD-{n}0{n}1{n}" for n in range(1, 7)]


JUDGE_SUITE = """\
prompt: order-id
cases:
  - {id: j1, vars: {message: "Where is ORD-12345?"}, expected: ORD-12345}
scorers:
  - {type: equals, expected: "{{ expected }}"}
  - type: llm_judge
    model: local/smollm2-135m-instruct
    rubric: The response is exactly the expected order ID.
    params: {max_tokens: 24}
"""


@needs_local_model
def test_llm_judge_reaches_the_local_model_by_the_same_model_string(project_dir: Path, cli: CLI) -> None:
    shutil.copytree(QUICKSTART, project_dir, dirs_exist_ok=True)
    (project_dir / "evals" / "order-id.yaml").write_text(JUDGE_SUITE, encoding="utf-8")
    shutil.rmtree(project_dir / "evals" / "baselines")
    result = cli("eval", "order-id", "--out", "r.json")
    attempt = json.loads((project_dir / "r.json").read_text(encoding="utf-8"))["suites"]["order-id"]["cases"][
        0
    ]["attempts"][0]
    equals, judge = attempt["scores"]
    assert (attempt["output"], equals["value"]) == ("ORD-12345", 1.0)
    # A 135M model is no judge: it answers in prose, and an unreadable verdict is an error, never a pass.
    assert judge["value"] is None
    assert judge["error"].startswith("judge verdict could not be parsed: '")
    assert result.code == 3
