"""examples/tools end to end: lint, render, eval with the tool scorers on both model paths against the
local server, baseline, the PR report, diff and lint --base after a shared tool changes, release, bundle
and load_prompt with its tools and config. The outputs quoted in docs/tools.md are checked here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from promptops import load_prompt
from promptops.formats import content_hash, schema, validate_data
from promptops.prompts.promptfile import read_prompt
from promptops.sdk import shadow_kwargs
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI
from support.paths import ROOT

EXAMPLE = ROOT / "examples" / "tools"
DOCS = (ROOT / "docs" / "tools.md").read_text("utf-8")


@pytest.fixture(params=["http", "litellm"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "litellm":
        monkeypatch.setenv("PROMPTOPS_PROVIDER", "litellm")
    return str(request.param)


@pytest.fixture
def example(git_repo: GitRepo) -> GitRepo:
    for item in EXAMPLE.iterdir():
        target = git_repo.root / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy(item, target)
    (git_repo.root / ".gitignore").write_text(".promptops/\nresults.json\nreport.md\n", encoding="utf-8")
    git_repo.commit(message="the tools example")
    return git_repo


def suite(data: dict) -> dict:
    return data["suites"]["support-agent"]


def test_lint_and_render(cli: CLI, example: GitRepo) -> None:
    lint = cli("lint")
    assert (lint.code, lint.err) == (0, "lint: no problems in 2 files\n")
    rendered = cli("render", "support-agent", "--example", "0")
    assert rendered.code == 0
    assert rendered.out in DOCS
    assert '--- assistant ---\n[tool call c1] search_orders({"order_id": "ORD-10001"})' in rendered.out
    data = json.loads(cli("render", "support-agent", "--example", "0", "--format", "json").out)
    assert [t["function"]["name"] for t in data["tools"]] == ["search_orders", "refund"]
    assert data["tools"][1]["function"]["parameters"]["required"] == ["order_id", "amount"]  # from tools/
    assert data["tool_choice"] == "auto"
    assert data["response_format"]["json_schema"]["name"] == "order_answer"
    assert data["config"] == {"retrieval": {"top_k": 5, "index": "orders-v3"}, "max_steps": 4}


def test_eval_scores_tool_calls_on_both_paths(
    cli: CLI, example: GitRepo, openai_server: FakeOpenAI, path: str
) -> None:
    result = cli("eval", "--out", "results.json", "--report-md", "report.md")
    assert result.code == 0, result.err
    data = json.loads((example.root / "results.json").read_text("utf-8"))
    assert validate_data(data, schema("results")) == []
    cases = {c["id"]: c for c in suite(data)["cases"]}
    assert {i: c["score"] for i, c in cases.items()} == {"c01": 1.0, "c02": 1.0, "c03": 1.0, "c04": 1.0}
    first = cases["c03"]["attempts"][0]
    assert first["finish_reason"] == "tool_calls" and first["output"] == ""
    assert first["tool_calls"] == [
        {"id": "call_1", "name": "search_orders", "arguments": {"order_id": "ORD-33333"}},
        {"id": "call_2", "name": "refund", "arguments": {"amount": 10.0, "order_id": "ORD-33333"}},
    ]
    sent = openai_server.requests[0].body
    assert [t["function"]["name"] for t in sent["tools"]] == ["search_orders", "refund"]
    assert sent["tool_choice"] == "auto" and sent["response_format"]["type"] == "json_schema"
    assert sent["messages"][2]["tool_calls"][0]["function"]["name"] == "search_orders"
    report = (example.root / "report.md").read_text("utf-8")
    assert (
        '| `c03` | added (not gated) | — | 1.00 | 1/1 | → search\\_orders({"order\\_id": "ORD-33333"})'
        in report
    )
    # a fully cached re-run makes no calls
    before = openai_server.count
    assert cli("eval", "--out", "results.json").code == 0
    assert openai_server.count == before


def test_malformed_tool_calls_are_scored_not_fatal(
    cli: CLI, example: GitRepo, openai_server: FakeOpenAI
) -> None:
    openai_server.tool_answers = {
        "ORD-12345": [{"name": "search_orders", "arguments": "{order_id: ORD-12345"}],
        "ORD-44444": [{"name": "cancel_order", "arguments": {"order_id": "ORD-44444"}}],
    }
    result = cli("eval", "--out", "results.json")
    assert result.code == 0, result.err
    cases = {
        c["id"]: c for c in suite(json.loads((example.root / "results.json").read_text("utf-8")))["cases"]
    }
    broken = cases["c01"]["attempts"][0]
    assert broken["tool_calls"][0]["arguments"] == "{order_id: ORD-12345"
    assert broken["tool_calls"][0]["arguments_error"].startswith("arguments are not valid JSON")
    valid = {s["name"]: s for s in broken["scores"]}["tool_calls_valid"]
    assert (valid["value"], valid["detail"]) == (
        0.0,
        "call_1 search_orders: " + broken["tool_calls"][0]["arguments_error"],
    )
    unknown = {s["name"]: s for s in cases["c04"]["attempts"][0]["scores"]}
    assert unknown["tool_calls_valid"]["detail"] == "call_1: 'cancel_order' is not a declared tool"
    assert unknown["tool_selection"]["value"] == 0.0
    assert cases["c01"]["passed"] is False and cases["c02"]["passed"] is True


def test_baseline_gate_and_output_change(cli: CLI, example: GitRepo, openai_server: FakeOpenAI) -> None:
    assert cli("eval", "--out", "results.json").code == 0
    assert cli("baseline", "update", "support-agent", "--from", "results.json").code == 0
    example.commit(message="baseline")
    # the model now answers c01 in text instead of calling search_orders: a new failure, shown as changed output
    openai_server.tool_answers = {"ORD-12345": []}
    openai_server.answers = {"ORD-12345": '{"answer": "It is on its way.", "order_id": "ORD-12345"}'}
    result = cli("eval", "--no-cache", "--out", "results.json", "--report-md", "report.md")
    assert result.code == 1
    report = (example.root / "report.md").read_text("utf-8")
    headline = report[report.index("## ❌") : report.index("\n\n| metric")]
    start = report.index("**Regressed cases")
    cases = report[start : report.index("</details>", start) + len("</details>\n")]
    assert headline in DOCS and cases in DOCS


def test_diff_and_lint_base_after_a_shared_tool_change(cli: CLI, example: GitRepo) -> None:
    refund = example.root / "tools" / "refund.yaml"
    text = refund.read_text("utf-8")
    refund.write_text(
        text.replace(
            "    amount: {type: number, exclusiveMinimum: 0}\n",
            "    amount: {type: number, exclusiveMinimum: 0}\n    reason: {type: string}\n",
        ).replace("required: [order_id, amount]", "required: [order_id, amount, reason]"),
        encoding="utf-8",
    )
    config = example.root / "prompts" / "support-agent.yaml"
    config.write_text(config.read_text("utf-8").replace("top_k: 5", "top_k: 8"), encoding="utf-8")
    diff = cli("diff")
    assert diff.code == 0
    first, rest = diff.out.split("\n\n", 1)
    assert first.startswith("base HEAD (") and rest in DOCS
    lint = cli("lint", "--base", "HEAD")
    assert lint.code == 1
    assert lint.out in DOCS
    config.write_text(config.read_text("utf-8").replace("version: 1.0.0", "version: 2.0.0"), encoding="utf-8")
    assert cli("lint", "--base", "HEAD").code == 0


def test_release_bundle_and_load_prompt(cli: CLI, example: GitRepo) -> None:
    assert cli("release").code == 0
    example.commit({"environments.yaml": "production:\n  support-agent: 1.0.0\n"}, "environments")
    # a later edit of the shared tool never changes the released version
    refund = example.root / "tools" / "refund.yaml"
    refund.write_text(refund.read_text("utf-8").replace("Refund part or all", "Refund all"), encoding="utf-8")
    example.commit(message="tool description")
    result = cli("bundle", "--out", "prompts.lock.json")
    assert result.code == 0, result.err
    bundle = json.loads((example.root / "prompts.lock.json").read_text("utf-8"))
    assert validate_data(bundle, schema("bundle")) == []
    content = bundle["prompts"]["support-agent"]["1.0.0"]["content"]
    assert content["tools"][1]["description"].startswith("Refund part or all")
    prompt = load_prompt("support-agent", env="production", bundle=example.root / "prompts.lock.json")
    assert [t["function"]["name"] for t in prompt.tools] == ["search_orders", "refund"]
    assert prompt.config["retrieval"]["top_k"] == 5
    with pytest.raises(TypeError):
        prompt.config["retrieval"]["top_k"] = 9  # type: ignore[index]
    kwargs = prompt.completion_kwargs(customer="Ada", question="Where is ORD-12345?")
    assert kwargs["tool_choice"] == "auto"
    assert kwargs["response_format"]["json_schema"]["strict"] is True
    assert [t["function"]["name"] for t in kwargs["tools"]] == ["search_orders", "refund"]
    assert [a["tools"] == kwargs["tools"] for a in prompt.attempts(customer="Ada", question="q")] == [True]
    shadow = shadow_kwargs(prompt, prompt, "pair-1", customer="Ada", question="q")
    assert "tools" not in shadow and "tool_choice" not in shadow  # a shadow call never acts
    tree = load_prompt("support-agent", root=example.root)
    assert tree.tools[1]["function"]["description"] == "Refund all of one of the signed-in customer's orders."
    assert tree.content_hash != prompt.content_hash


def test_history_placeholder_and_image_path(tmp_path: Path) -> None:
    (tmp_path / "promptops.yaml").write_text("version: 1\n", encoding="utf-8")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "shot.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "prompts" / "chat.yaml").write_text(
        "name: chat\nversion: 1.0.0\nmodel: openai/gpt-4o-mini-2024-07-18\n"
        "messages:\n"
        "  - {role: system, content: Help.}\n"
        "  - {history: conversation}\n"
        "  - role: user\n"
        "    content:\n"
        "      - {type: text, text: '{{ question }}'}\n"
        "      - {type: image, path: shot.png, detail: low}\n",
        encoding="utf-8",
    )
    prompt = load_prompt("chat", root=tmp_path)
    earlier = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    messages = prompt.render(conversation=earlier, question="What is this?")
    assert messages[1:3] == earlier
    assert messages[3]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K", "detail": "low"}},
    ]
    with pytest.raises(Exception, match=r"variable 'conversation' of chat: \[0\]: expected a message"):
        prompt.render(conversation=["hi"], question="q")


def test_older_prompt_files_keep_their_content_hash() -> None:
    quickstart = ROOT / "examples" / "quickstart"
    spec = read_prompt((quickstart / "prompts" / "order-id.yaml").read_bytes(), "order-id.yaml")
    baseline = json.loads((quickstart / "evals" / "baselines" / "order-id.json").read_text("utf-8"))
    assert content_hash(spec.content()) == baseline["provenance"]["content_hash"]


def test_a_bad_tool_scorer_option_stops_eval(cli: CLI, example: GitRepo, openai_server: FakeOpenAI) -> None:
    suite_file = example.root / "evals" / "support-agent.yaml"
    suite_file.write_text(
        suite_file.read_text("utf-8") + "  - {type: tool_called, name: cancel_order, absent: true}\n",
        encoding="utf-8",
    )
    result = cli("eval")
    assert (result.code, result.err) == (
        2,
        "error: evals/support-agent.yaml:9: scorers[4].name: 'cancel_order' is not a tool of prompt "
        "'support-agent' (tools: search_orders, refund)\n",
    )
    assert openai_server.count == 0


def test_a_bad_tool_file_stops_render_with_one_line(cli: CLI, example: GitRepo) -> None:
    (example.root / "tools" / "refund.yaml").write_text("parameters: {type: objekt}\n", encoding="utf-8")
    result = cli("render", "support-agent", "--example", "0")
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        "error: tools/refund.yaml:1: parameters.type: unknown type 'objekt'; "
        "expected one of: array, boolean, integer, null, number, object, string"
    )
    assert "Traceback" not in result.err


def test_eval_changed_selects_the_suite_of_a_changed_shared_tool(
    cli: CLI, example: GitRepo, openai_server: FakeOpenAI
) -> None:
    refund = example.root / "tools" / "refund.yaml"
    refund.write_text(refund.read_text("utf-8").replace("Refund part or all", "Refund all"), encoding="utf-8")
    result = cli("eval", "--changed", "--base", "HEAD", "--out", "results.json")
    assert result.code == 0, result.err
    assert "changed since HEAD: support-agent (tool refund tools/refund.yaml)\n" in result.err
