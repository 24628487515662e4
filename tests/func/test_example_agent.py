"""examples/agent end to end (the commands docs/workflows.md shows): the built-in loop with doubles and
the application as a target, both against the local server; a PR that breaks a tool description is
blocked, and the report shows the aligned trajectory diff."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from support.evalproject import results
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI
from support.paths import ROOT

EXAMPLE = ROOT / "examples" / "agent"


class DescriptionReader(FakeOpenAI):
    """A model that picks a tool by its description: the one that says it finds orders by order ID."""

    def tool_calls(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        messages = body.get("messages") or []
        if messages and messages[-1].get("role") == "tool":
            return []
        question = str(messages[-1].get("content", "")) if messages else ""
        words = dict(w.rstrip("?.").split("=", 1) for w in question.split() if "=" in w)
        for tool in body.get("tools") or []:
            function = tool.get("function") or {}
            if "order ID" in (function.get("description") or "") and "order_id" in words:
                arguments = json.dumps({"order_id": words["order_id"]})
                return [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": function["name"], "arguments": arguments},
                    }
                ]
        return []


def answer(messages: list[dict[str, Any]]) -> str:
    last = messages[-1] if messages else {}
    if last.get("role") != "tool":
        return "Sorry, I cannot look that up."
    result = json.loads(last["content"])
    return f"Your order is {result['status']}." if "status" in result else "That order was not found."


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Any:
    server = DescriptionReader(answers=answer).start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    yield server
    server.stop()


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    shutil.copytree(EXAMPLE, git_repo.root, dirs_exist_ok=True)
    git_repo.commit(message="the order agent")
    return git_repo


def test_the_built_in_loop_and_the_target_both_pass(cli: CLI, repo: GitRepo, model: FakeOpenAI) -> None:
    plan = cli("eval", "order-agent", "--plan")
    assert (
        plan.out.splitlines()[0]
        == "order-agent: no baseline; run `promptops baseline update order-agent` first"
    )
    assert plan.out.splitlines()[-1] == (
        "order-agent: estimated cost at most $0.180 for 3 cases x 3 repeats (loop.max_cost_usd per case run); "
        "within max_suite_usd $1.00"
    )
    loop = cli("eval", "order-agent")
    assert loop.code == 0, loop.err
    app = cli("eval", "order-agent-app")
    assert app.code == 0, app.err
    data = results(repo.root)["suites"]["order-agent-app"]
    assert all(a["passed"] for c in data["cases"] for a in c["attempts"])


def test_a_pr_that_breaks_a_tool_description_is_blocked(cli: CLI, repo: GitRepo, model: FakeOpenAI) -> None:
    assert cli("eval", "order-agent").code == 0
    assert cli("baseline", "update", "order-agent").code == 0
    repo.commit(message="baseline")
    prompt = repo.root / "prompts/support/order-agent.yaml"
    text = prompt.read_text()
    text = text.replace("version: 1.0.0", "version: 1.1.0").replace(
        "Find the signed-in customer's order by its order ID and return its status.", "Search."
    )
    prompt.write_text(text)
    result = cli("eval", "order-agent", "--baseline-ref", "HEAD", "--report-md", "report.md")
    assert result.code == 1
    report = (repo.root / "report.md").read_text()
    assert "**Workflow runs** (3 per case, paired by case): pass^3 0.0%" in report
    assert "0 stable pass, 0 flaky, 3 stable fail" in report
    assert "<details><summary>Why workflow runs failed (3)</summary>" in report
    assert (
        "run 1: trajectory: 0 of 1 tool steps aligned\n  expected       actual\n> search_orders  —\n"
    ) in report


def test_a_change_to_the_target_code_selects_its_suite(cli: CLI, repo: GitRepo, model: FakeOpenAI) -> None:
    agent = repo.root / "app/agent.py"
    agent.write_text(agent.read_text().replace("range(5)", "range(4)"))
    result = cli("eval", "--changed", "--base", "HEAD", "--plan")
    assert result.code == 0, result.err
    assert [line.split(":")[0] for line in result.out.splitlines()] == ["order-agent-app"] * 2
    assert "target app/agent.py" in result.err
