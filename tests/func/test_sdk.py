"""The SDK: canary buckets, the working tree with root=, equality with `promptops render`, import weight,
and a real litellm call with the prompt's kwargs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from promptops import Prompt, load_prompt
from promptops.errors import InputError, UnknownPromptError
from promptops.sdk import bucket
from support import litellm_callbacks, releases
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI

CANARY = "production:\n  order-id: {version: 1.0.0, canary: {version: 1.1.0, percent: 5}}\n"


@pytest.fixture
def bundle_file(git_repo: GitRepo, cli: CLI) -> Path:
    return releases.bundled(git_repo, cli, CANARY)


def test_canary_share_is_close_to_the_configured_percent(bundle_file: Path) -> None:
    served = Counter(
        load_prompt("order-id", env="production", bundle=bundle_file, key=f"user-{i}").version
        for i in range(10_000)
    )
    assert served["1.0.0"] + served["1.1.0"] == 10_000
    assert 450 <= served["1.1.0"] <= 550  # 5% of 10,000, within about 2.3 standard deviations


def test_canary_choice_is_stable_per_key(bundle_file: Path) -> None:
    canary_keys = [
        k for k in range(2000) if load_prompt("order-id", env="production", bundle=bundle_file, key=k).canary
    ]
    assert canary_keys
    again = [
        k for k in range(2000) if load_prompt("order-id", env="production", bundle=bundle_file, key=k).canary
    ]
    assert again == canary_keys
    chosen = load_prompt("order-id", env="production", bundle=bundle_file, key=canary_keys[0])
    assert chosen.ref == "order-id@1.1.0 (production, canary)"
    assert chosen.arm == "canary" and "promptops.arm:canary" in chosen.metadata["tags"]
    # without a key everyone gets the stable version
    assert load_prompt("order-id", env="production", bundle=bundle_file).version == "1.0.0"


def test_buckets_do_not_depend_on_the_process(tmp_path: Path) -> None:
    # Python's hash() is salted per process; the bucket must not be.
    code = "from promptops.sdk import bucket; print([bucket('order-id', f'user-{i}') for i in range(50)])"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert json.loads(out) == [bucket("order-id", f"user-{i}") for i in range(50)]
    assert bucket("order-id", "user-1") != bucket("summarize", "user-1")  # prompts split independently


def test_render_equals_promptops_render(git_repo: GitRepo, cli: CLI) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    variables = {"message": "Where is ORD-12345? {{ not a template }}"}
    result = cli("render", "order-id", "--var", f"message={variables['message']}", "--format", "json")
    assert result.code == 0, result.err
    rendered = json.loads(result.out)["messages"]
    assert load_prompt("order-id", root=git_repo.root).render(**variables) == rendered
    assert load_prompt("order-id@1.0.0", root=git_repo.root).render(**variables) == rendered
    git_repo.commit({"environments.yaml": "production:\n  order-id: 1.0.0\n"})
    assert cli("bundle").code == 0
    from_bundle = load_prompt("order-id", env="production", bundle=git_repo.root / "prompts.lock.json")
    assert from_bundle.render(**variables) == rendered


def test_root_reads_the_working_tree_and_environments_file(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    git_repo.write({"environments.yaml": "production:\n  order-id: 1.0.0\n"})
    prompt = load_prompt("order-id", env="production", root=git_repo.root)
    assert prompt.ref == "order-id@1.0.0 (production)"
    assert prompt.content_hash == releases.prompt_hash("1.0.0")
    monkeypatch.chdir(git_repo.root / "prompts")  # default root: the project around the current directory
    assert load_prompt("order-id").ref == "order-id@1.0.0"


def test_root_refuses_a_version_the_working_tree_does_not_have(git_repo: GitRepo) -> None:
    releases.start_project(git_repo)
    releases.release(git_repo, "1.0.0")
    git_repo.write({"environments.yaml": "production:\n  order-id: 0.9.0\n"})
    with pytest.raises(UnknownPromptError) as caught:
        load_prompt("order-id", env="production", root=git_repo.root)
    assert caught.value.message == (
        "environment 'production' serves order-id@0.9.0, but the working tree has order-id@1.0.0 "
        "(prompts/order-id.yaml)"
    )
    assert caught.value.hint == (
        "root= reads only the working tree; load released versions from a bundle: "
        "`promptops bundle --out prompts.lock.json`, then load_prompt(..., bundle='prompts.lock.json')"
    )
    with pytest.raises(UnknownPromptError, match=r"^you pinned order-id@0.9.0, but the working tree has"):
        load_prompt("order-id@0.9.0", root=git_repo.root)


def test_usage_errors(git_repo: GitRepo, bundle_file: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_prompt("order-id@1.0.0", env="production", bundle=bundle_file)
    assert (
        caught.value.message == "'order-id@1.0.0' pins a version; pass either NAME@VERSION or env=, not both"
    )
    with pytest.raises(InputError) as caught:
        load_prompt("order-id", bundle=bundle_file)
    assert (
        caught.value.message
        == "load_prompt('order-id', bundle=...) needs env= or a pinned 'order-id@VERSION'"
    )
    with pytest.raises(InputError) as caught:
        load_prompt("order-id@", bundle=bundle_file)
    assert caught.value.message == "'order-id@': nothing after '@'; write order-id@1.2.0 or pass env="
    with pytest.raises(InputError, match=r"^pass either bundle= or root=, not both$"):
        load_prompt("order-id", env="production", bundle=bundle_file, root=git_repo.root)
    prompt = load_prompt("order-id", env="production", bundle=bundle_file)
    with pytest.raises(InputError) as caught:
        prompt.render(mesage="typo")
    assert (
        caught.value.message
        == "unknown variable 'mesage' for order-id@1.0.0 (production) (expected: message)"
    )


def test_prompt_is_immutable(bundle_file: Path) -> None:
    prompt = load_prompt("order-id", env="production", bundle=bundle_file)
    assert isinstance(prompt, Prompt)
    assert repr(prompt) == f"<Prompt order-id@1.0.0 (production) {releases.prompt_hash('1.0.0')}>"
    with pytest.raises(AttributeError):
        prompt.environment = "staging"  # type: ignore[misc]
    kwargs = prompt.completion_kwargs(message="x")
    kwargs["temperature"] = 1.5
    kwargs["metadata"]["metadata"]["promptops.prompt.version"] = "9.9.9"
    assert prompt.completion_kwargs(message="x")["temperature"] == 0
    assert prompt.attribution["promptops.prompt.version"] == "1.0.0"


def test_importing_and_using_the_sdk_stays_light(bundle_file: Path) -> None:
    code = (
        "import sys\n"
        "from promptops import load_prompt\n"
        f"p = load_prompt('order-id', env='production', bundle={str(bundle_file)!r}, key='user-1')\n"
        "p.completion_kwargs(message='Where is ORD-1?')\n"
        "heavy = {'git', 'litellm', 'rich', 'typer', 'click', 'promptops.cli', 'promptops.prompts.gitstore'}\n"
        "print(sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


def test_an_application_calls_litellm_with_the_prompt(bundle_file: Path, openai_server: FakeOpenAI) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm
    from litellm.integrations.custom_logger import CustomLogger

    seen: list[dict[str, Any]] = []

    class Capture(CustomLogger):  # what every litellm sink (OTel, Langfuse, JSON, ...) is built from
        def log_success_event(self, kwargs, response_obj, start_time, end_time):  # type: ignore[no-untyped-def]
            seen.append(kwargs["standard_logging_object"])

    openai_server.answers = {"ORD-27611": "ORD-27611"}
    prompt = load_prompt("order-id", env="production", bundle=bundle_file, key="user-1")
    kwargs = prompt.completion_kwargs(message="Where is my order ORD-27611?")
    response = litellm.completion(**kwargs)
    # litellm 1.106 drops callbacks and metadata on its `fallbacks=` path (BerriAI/litellm#9540), so the
    # README's tracing recipe calls each model itself; check that the attribution then reaches the sinks.
    traced = {k: v for k, v in kwargs.items() if k != "fallbacks"}
    with litellm_callbacks.installed(Capture()):
        litellm.completion(**traced)
        for _ in range(100):  # success callbacks of a sync call run on a worker thread
            if seen:
                break
            time.sleep(0.05)
    assert response.choices[0].message.content == "ORD-27611"
    assert openai_server.count == 2
    sent = openai_server.requests[0].body
    assert sent["messages"] == kwargs["messages"]
    assert (sent["model"], sent["temperature"], sent["max_tokens"]) == ("gpt-4o-mini-2024-07-18", 0, 16)
    assert seen, "litellm did not report the call to its callbacks"
    payload = seen[0]
    assert payload["metadata"]["requester_metadata"] == {
        **prompt.attribution,
        "promptops.prompt.variables": {"message": "Where is my order ORD-27611?"},
    }
    assert payload["request_tags"] == prompt.tags
    assert prompt.tags == [
        "promptops.prompt:order-id",
        "promptops.version:1.0.0",
        "promptops.arm:control",
        "promptops.environment:production",
    ]
    assert set(prompt.completion_kwargs(message="x")["metadata"]) == {
        "metadata",
        "tags",
    }  # no `prompt` key for litellm's Langfuse to pop


def test_span_attributes_name_the_version_in_otel_and_openinference_terms(bundle_file: Path) -> None:
    prompt = load_prompt("order-id", env="production", bundle=bundle_file)
    assert prompt.span_attributes(message="Where is ORD-1?") == {
        "gen_ai.prompt.name": "order-id",
        "promptops.prompt.version": "1.0.0",
        "promptops.prompt.hash": releases.prompt_hash("1.0.0"),
        "promptops.environment": "production",
        "promptops.arm": "control",
        "promptops.prompt.ref": "order-id@1.0.0 (production)",
        "llm.prompt_template.version": "1.0.0",
        "llm.prompt_template.variables": '{"message": "Where is ORD-1?"}',
    }
    pinned = load_prompt("order-id@1.0.0", bundle=bundle_file)
    assert pinned.arm is None and "promptops.arm" not in pinned.span_attributes()


def test_attempts_try_the_model_then_each_fallback_with_the_same_metadata(bundle_file: Path) -> None:
    prompt = load_prompt("order-id", env="production", bundle=bundle_file)
    attempts = prompt.attempts(message="Where is ORD-1?")
    assert [a["model"] for a in attempts] == [
        "openai/gpt-4o-mini-2024-07-18",
        "anthropic/claude-3-5-haiku-20241022",
    ]
    full = prompt.completion_kwargs(message="Where is ORD-1?")
    del full["fallbacks"]
    assert attempts[0] == full
    assert {k: v for k, v in attempts[1].items() if k != "model"} == {
        k: v for k, v in full.items() if k != "model"
    }
    attempts[0]["metadata"]["metadata"]["gen_ai.prompt.name"] = "changed"
    assert attempts[1]["metadata"]["metadata"]["gen_ai.prompt.name"] == "order-id"
