"""The whole loop with the real commands: release, eval against a local server, baseline, promote,
rollback, bundle, and the application loading what production serves."""

from __future__ import annotations

from promptops import load_prompt
from support import releases
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI

SUITE = """\
prompt: order-id
cases:
  - {id: c1, vars: {message: "Where is ORD-11111?"}, expected: ORD-11111}
  - {id: c2, vars: {message: "Any news on ORD-22222"}, expected: ORD-22222}
  - {id: c3, vars: {message: "ORD-33333 has not arrived"}, expected: ORD-33333}
scorers:
  - {type: equals, expected: "{{ expected }}"}
"""


def test_release_eval_promote_rollback_bundle(git_repo: GitRepo, cli: CLI, openai_server: FakeOpenAI) -> None:
    openai_server.answers = {n: n for n in ("ORD-11111", "ORD-22222", "ORD-33333")}
    releases.start_project(git_repo)
    git_repo.commit({"prompts/order-id.yaml": releases.prompt_text("1.0.0"), "evals/order-id.yaml": SUITE})
    assert cli("release").code == 0
    assert cli("eval").code == 0
    assert cli("baseline", "update", "order-id", "--from", ".promptops/runs/latest.json").code == 0
    git_repo.commit(message="baseline from 1.0.0")

    result = cli("promote", "order-id@1.0.0", "--env", "production")
    assert result.code == 0, result.err
    assert (
        "evidence: the committed baseline evals/baselines/order-id.json was produced by order-id@1.0.0"
        in result.err
    )
    git_repo.commit(message="promote 1.0.0")

    git_repo.commit({"prompts/order-id.yaml": releases.prompt_text("1.1.0")}, "order-id 1.1.0")
    assert cli("release").code == 0
    assert cli("promote", "order-id@1.1.0", "--env", "production").code == 1  # not evaluated yet
    assert cli("eval").code == 0  # 1.1.0 against the 1.0.0 baseline: same answers, the gate passes
    result = cli("promote", "order-id@1.1.0", "--env", "production")
    assert result.code == 0, result.err
    assert (
        "evidence: .promptops/runs/latest.json: suite 'order-id' on order-id@1.1.0 passes the gate"
        in result.err
    )
    git_repo.commit(message="promote 1.1.0")

    assert cli("bundle", "--out", "prompts.lock.json").code == 0
    assert (
        load_prompt("order-id", env="production", bundle="prompts.lock.json").ref
        == "order-id@1.1.0 (production)"
    )

    assert cli("rollback", "order-id", "--env", "production").code == 0
    git_repo.commit(message="roll back")
    assert cli("bundle", "--out", "prompts.lock.json").code == 0
    prompt = load_prompt("order-id", env="production", bundle="prompts.lock.json")
    assert prompt.ref == "order-id@1.0.0 (production)"
    assert prompt.attribution["promptops.prompt.hash"] == releases.prompt_hash("1.0.0")
