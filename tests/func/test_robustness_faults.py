"""Provider faults classified like the others: retried when transient, a per-case error when permanent,
the run always finishes and writes what it has; a missing `usage` is unknown, never 0."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.evalproject import PROMPT, SUITE, order_id_answer, results, write_project
from support.fixtures import CLI
from support.openai_server import FakeOpenAI

OTHER_PROMPT = (
    PROMPT.replace("name: order-id", "name: other")
    .replace("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06")
    .replace("Message: ", "Other message: ")
)


@pytest.fixture
def server(openai_server: FakeOpenAI) -> FakeOpenAI:
    openai_server.answers = order_id_answer
    return openai_server


def test_a_permanent_reset_is_per_case_errors_and_the_results_are_written(
    cli: CLI, project_dir: Path, server: FakeOpenAI
) -> None:
    write_project(
        project_dir,
        count=4,
        files={
            "prompts/other.yaml": OTHER_PROMPT,
            "evals/other.yaml": SUITE.replace("prompt: order-id", "prompt: other"),
        },
    )
    project_dir.gen(
        {"evals/data/other.jsonl": (project_dir / "evals/data/order-id.jsonl").read_text(encoding="utf-8")}
    )
    server.fail("reset", match="Other message")
    result = cli("eval", "--out", "results.json")
    assert result.code == 3
    # the server was reached and reset the connection: said so, with how many requests it had served
    error, hint = result.err.splitlines()[-2:]
    assert re.fullmatch(
        r"error: other: 4 of 4 cases could not be evaluated \(100%, max_error_rate 0\); first: "
        r"openai/gpt-4o-2024-08-06: connection dropped: connection reset by the server after \d+ requests",
        error,
    ), error
    assert hint == (
        "hint: the results file lists every error; a re-run retries only the failed cases (finished answers are cached)"
    )
    assert "Traceback" not in result.err
    data = results(project_dir, "results.json")
    assert [c["error"] for c in data["suites"]["order-id"]["cases"]] == [None] * 4
    other = data["suites"]["other"]["cases"]
    assert len(other) == 4
    for case in other:
        assert re.fullmatch(
            r"openai/gpt-4o-2024-08-06: connection dropped: connection reset by the server after \d+ requests",
            case["error"],
        ), case["error"]
    resets = sum(1 for r in server.requests if r.fault == "reset")
    # a dropped connection is transient: each case makes its first call and three retries, no more
    assert resets == 4 * 4


def test_an_error_body_with_http_200_is_retried(cli: CLI, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=3)
    server.fail("error_body", times=2)
    result = cli("eval")
    assert result.code == 0, result.err
    assert server.count == 5
    assert [c["error"] for c in results(project_dir)["suites"]["order-id"]["cases"]] == [None] * 3


def test_an_error_body_every_time_is_a_case_error(cli: CLI, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=2)
    server.fail("error_body", match="ORD-10002")
    result = cli("eval")
    assert result.code == 3
    by_id = {c["id"]: c for c in results(project_dir)["suites"]["order-id"]["cases"]}
    assert by_id["c002"]["error"] == "openai/gpt-4o-mini-2024-07-18: provider error: upstream overloaded"
    assert by_id["c001"]["error"] is None


def test_an_answer_without_usage_has_unknown_tokens_and_cost(
    cli: CLI, project_dir: Path, server: FakeOpenAI
) -> None:
    write_project(project_dir, count=2)
    server.fail("no_usage", match="ORD-10001")
    assert cli("eval").code == 0
    by_id = {c["id"]: c for c in results(project_dir)["suites"]["order-id"]["cases"]}
    attempt = by_id["c001"]["attempts"][0]
    assert (attempt["input_tokens"], attempt["output_tokens"], attempt["cost_usd"]) == (None, None, None)
    known = by_id["c002"]["attempts"][0]
    assert known["input_tokens"] > 0 and known["cost_usd"] is not None
    assert results(project_dir)["suites"]["order-id"]["summary"]["cost_usd"] is None
