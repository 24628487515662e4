"""`promptops eval` end to end against the local server, on both model paths: faults, cache, shards, exit codes."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from promptops.formats import content_hash, schema, validate_data
from promptops.project import Project
from promptops.prompts import working
from support.evalproject import FAST_CONFIG, interrupted_eval, order_id_answer, results, write_project
from support.fixtures import run_subprocess
from support.openai_server import FakeOpenAI


@pytest.fixture(params=["http", "litellm"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on the OpenAI-compatible fast path and again with PROMPTOPS_PROVIDER=litellm."""
    if request.param == "litellm":
        monkeypatch.setenv("PROMPTOPS_PROVIDER", "litellm")
    return str(request.param)


@pytest.fixture
def server(openai_server: FakeOpenAI, path: str) -> FakeOpenAI:
    openai_server.answers = order_id_answer
    return openai_server


def ids(data: dict, suite: str = "order-id") -> list[str]:
    return [c["id"] for c in data["suites"][suite]["cases"]]


def test_eval_writes_results_and_summary(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=6)
    result = cli("eval", "order-id", "--out", "results.json")
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    header, row = result.out.splitlines()
    assert header.split() == [
        "suite",
        "model",
        "cases",
        "pass",
        "rate",
        "mean",
        "score",
        "errors",
        "tokens",
        "cost",
        "p50",
        "p95",
        "cached",
    ]
    assert row.split()[:7] == [
        "order-id",
        "openai/gpt-4o-mini-2024-07-18",
        "6",
        "100.0%",
        "1.000",
        "0",
        "108",
    ]
    assert row.split()[-1] == "0/6"
    assert "no baseline" in result.err  # the gate (issue 5) says so and exits 0
    assert result.err.splitlines()[-1] == (
        "hint: no baseline for order-id yet; record this run with `promptops baseline update order-id`"
    )
    data = results(project_dir, "results.json")
    assert (project_dir / ".promptops/runs/latest.json").read_text() == (
        project_dir / "results.json"
    ).read_text()
    assert validate_data(data, schema("results")) == []
    suite = data["suites"]["order-id"]
    assert ids(data) == [f"c{i:03d}" for i in range(1, 7)]
    project = Project.load(project_dir)
    spec = working.load_prompt(project, "order-id")
    prov = suite["provenance"]
    assert prov["content_hash"] == content_hash(spec.content())
    assert prov["model"] == "openai/gpt-4o-mini-2024-07-18" and prov["prompt_version"] == "1.0.0"
    assert prov["repeats"] == 1 and prov["git_sha"] is None and prov["dataset_hash"].startswith("sha256:")
    first = suite["cases"][0]
    assert first["line"] == 1 and first["passed"] is True and first["score"] == 1.0
    attempt = first["attempts"][0]
    assert attempt["output"] == "ORD-10001" and attempt["cached"] is False
    assert [s["name"] for s in attempt["scores"]] == ["equals", "regex"]
    assert attempt["input_tokens"] == 17 and attempt["output_tokens"] == 1
    assert attempt["cost_usd"] == pytest.approx(17 * 0.15e-6 + 0.6e-6)
    assert suite["summary"]["cost_usd"] == pytest.approx(6 * (17 * 0.15e-6 + 0.6e-6))
    assert suite["summary"]["pass_rate"] == 1.0 and suite["summary"]["errors"] == 0
    assert server.count == 6
    body = server.requests[0].body
    assert body["messages"][0]["role"] == "system" and body["temperature"] == 0


def test_every_fifth_request_failing_transiently_still_scores_every_case(
    cli, project_dir: Path, server: FakeOpenAI
) -> None:
    write_project(project_dir, count=20)
    server.fail("429", every=5, retry_after="0")
    result = cli("eval")
    assert result.code == 0, result.err
    summary = results(project_dir)["suites"]["order-id"]["summary"]
    assert summary["errors"] == 0 and summary["evaluated"] == 20 and summary["pass_rate"] == 1.0
    failed = [r for r in server.requests if r.fault == "429"]
    assert len(failed) >= 4
    assert server.count == 20 + len(failed)


@pytest.mark.parametrize("kind", ["500", "503", "drop", "malformed", "empty_choices"])
def test_each_transient_fault_is_retried_through_eval(
    cli, project_dir: Path, server: FakeOpenAI, kind: str
) -> None:
    write_project(project_dir, count=4)
    server.fail(kind, requests={1, 3})
    result = cli("eval")
    assert result.code == 0, result.err
    assert results(project_dir)["suites"]["order-id"]["summary"]["errors"] == 0
    assert server.count == 6


def test_slow_response_past_the_timeout_is_retried(cli, project_dir: Path, server: FakeOpenAI) -> None:
    config = FAST_CONFIG.replace("timeout_s: 2", "timeout_s: 0.5")
    write_project(project_dir, count=2, config=config)
    server.fail("slow", times=1, delay=1.5)
    result = cli("eval")
    assert result.code == 0, result.err
    assert results(project_dir)["suites"]["order-id"]["summary"]["errors"] == 0
    assert server.count == 3


def test_a_permanently_failing_case_is_an_error_and_the_others_finish(
    cli, project_dir: Path, server: FakeOpenAI
) -> None:
    write_project(project_dir, count=5)
    server.fail("500", match="ORD-10003")
    result = cli("eval")
    assert result.code == 3
    assert result.err.splitlines()[0] == (
        "error: order-id: 1 of 5 cases could not be evaluated (20%, max_error_rate 0); first: "
        "openai/gpt-4o-mini-2024-07-18: provider error (HTTP 500): The server had an error"
    )
    assert "Traceback" not in result.err
    suite = results(project_dir)["suites"]["order-id"]
    by_id = {c["id"]: c for c in suite["cases"]}
    assert by_id["c003"]["error"].endswith("provider error (HTTP 500): The server had an error")
    assert by_id["c003"]["score"] is None and by_id["c003"]["passed"] is None
    assert by_id["c003"]["attempts"][0]["error"] == by_id["c003"]["error"]
    assert all(by_id[c]["passed"] is True for c in ("c001", "c002", "c004", "c005"))
    assert suite["summary"]["errors"] == 1 and suite["summary"]["evaluated"] == 4
    assert suite["summary"]["mean_score"] == 1.0  # the error is not a score of 0
    assert len([r for r in server.requests if r.fault == "500"]) == 4  # first call + 3 retries


def test_errors_within_max_error_rate_exit_0(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=4, config=FAST_CONFIG + "gate: {max_error_rate: 0.25}\n")
    server.fail("500", match="ORD-10002")
    result = cli("eval")
    assert result.code == 0, result.err
    assert results(project_dir)["suites"]["order-id"]["summary"]["errors"] == 1


def test_unreachable_server_exits_3_within_seconds(cli, project_dir: Path, path: str, monkeypatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    write_project(project_dir, count=10)
    start = time.monotonic()
    result = cli("eval")
    assert time.monotonic() - start < 10
    assert result.code == 3
    assert result.err.splitlines() == [
        "error: could not evaluate: openai/gpt-4o-mini-2024-07-18: provider unreachable: Connection error.",
        "hint: check the network and the provider's base URL variable (e.g. OPENAI_BASE_URL)",
    ]


def test_auth_failure_exits_3_without_the_key(
    cli, project_dir: Path, server: FakeOpenAI, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-secret0123456789")
    write_project(project_dir, count=10)
    server.fail("401")
    result = cli("eval")
    assert result.code == 3
    assert result.err.splitlines()[0] == (
        "error: could not evaluate: openai/gpt-4o-mini-2024-07-18: authentication failed (HTTP 401): "
        "Incorrect API key provided"
    )
    assert "secret0123456789" not in result.err + result.out
    assert server.count <= 4  # never retried; the run stops at the first answer


def test_missing_api_key_is_an_auth_error_before_any_request(
    cli, project_dir: Path, server: FakeOpenAI, monkeypatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    write_project(project_dir, count=5)
    start = time.monotonic()
    result = cli("eval")
    assert time.monotonic() - start < 10
    assert result.code == 3
    lines = result.err.splitlines()
    assert lines[0].startswith(
        "error: could not evaluate: openai/gpt-4o-mini-2024-07-18: authentication failed: Missing credentials."
    )
    assert (
        lines[1]
        == "hint: check the provider's API key variable (e.g. OPENAI_API_KEY); keys never go in prompt files"
    )
    assert "Traceback" not in result.err
    assert server.count == 0


def test_bad_request_is_a_case_error_not_retried(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=3, config=FAST_CONFIG + "gate: {max_error_rate: 1.0}\n")
    server.fail("400", match="ORD-10002")
    assert cli("eval").code == 0
    by_id = {c["id"]: c for c in results(project_dir)["suites"]["order-id"]["cases"]}
    assert "the provider rejected the request (HTTP 400)" in by_id["c002"]["error"]
    assert server.count == 3


def test_second_identical_run_sends_no_requests(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=8)
    assert cli("eval").code == 0
    first = (project_dir / ".promptops/runs/latest.json").read_text()
    assert server.count == 8
    again = cli("eval")
    assert again.code == 0
    assert server.count == 8
    data = results(project_dir)
    assert data["suites"]["order-id"]["cache"] == {"hits": 8, "misses": 0}
    assert all(c["attempts"][0]["cached"] for c in data["suites"]["order-id"]["cases"])
    assert again.out.splitlines()[1].split()[-1] == "8/8"
    # cached answers keep their measured latency and cost: only the cache flags differ
    assert json.loads(first)["suites"]["order-id"]["summary"] == data["suites"]["order-id"]["summary"]
    third = cli("eval")
    assert third.code == 0
    assert (project_dir / ".promptops/runs/latest.json").read_text() == json.dumps(
        data, indent=2, sort_keys=True, ensure_ascii=False
    ) + "\n"
    assert cli("eval", "--no-cache").code == 0
    assert server.count == 16


@pytest.mark.slow
def test_a_fully_cached_run_does_not_import_litellm(project_dir: Path, server: FakeOpenAI, path: str) -> None:
    write_project(project_dir, count=3)
    env = dict(os.environ)
    probe = (
        "import sys; from promptops.cli import main; code = main(['eval']); "
        "print('litellm imported:', 'litellm' in sys.modules); sys.exit(code)"
    )
    first = run_python(probe, project_dir, env)
    assert first.returncode == 0, first.stderr
    # the fast path serves openai/ models without litellm; PROMPTOPS_PROVIDER=litellm forces it
    assert f"litellm imported: {path == 'litellm'}" in first.stdout
    second = run_python(probe, project_dir, env)
    assert second.returncode == 0, second.stderr
    assert "litellm imported: False" in second.stdout
    assert server.count == 3


def run_python(code: str, cwd: Path, env: dict[str, str]):
    import subprocess

    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_shards_cover_every_case_exactly_once(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=30)
    seen: list[str] = []
    for part in ("1/3", "2/3", "3/3"):
        out = f"shard-{part[0]}.json"
        assert cli("eval", "--shard", part, "--out", out).code == 0
        data = results(project_dir, out)
        assert data["suites"]["order-id"]["shard"] == part
        seen += ids(data)
    assert sorted(seen) == [f"c{i:03d}" for i in range(1, 31)]
    assert server.count == 30
    sizes = [len(ids(results(project_dir, f"shard-{i}.json"))) for i in (1, 2, 3)]
    assert min(sizes) > 0


def test_bad_shard_is_a_usage_error(cli, project_dir: Path) -> None:
    write_project(project_dir)
    result = cli("eval", "--shard", "4/3")
    assert result.code == 2
    assert result.err == "error: --shard '4/3': expected I/N with 1 <= I <= N, e.g. 1/4\n"


def test_repeats_and_model_override(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=2)
    result = cli("eval", "--repeats", "3", "--model", "openai/gpt-4o-2024-08-06", "--concurrency", "2")
    assert result.code == 0, result.err
    suite = results(project_dir)["suites"]["order-id"]
    assert suite["provenance"]["model"] == "openai/gpt-4o-2024-08-06"
    assert suite["provenance"]["repeats"] == 3
    assert [a["repeat"] for a in suite["cases"][0]["attempts"]] == [0, 1, 2]
    assert server.count == 6
    assert {r.body["model"] for r in server.requests} == {"gpt-4o-2024-08-06"}
    assert cli("eval", "--repeats", "3", "--model", "openai/gpt-4o-2024-08-06").code == 0
    assert server.count == 6


def test_critical_case_must_pass_every_repeat(cli, project_dir: Path, server: FakeOpenAI) -> None:
    dataset = (
        json.dumps(
            {
                "id": "k1",
                "vars": {"message": "Where is ORD-55555?"},
                "expected": "ORD-55555",
                "critical": True,
            }
        )
        + "\n"
        + json.dumps({"id": "n1", "vars": {"message": "Where is ORD-55555?"}, "expected": "ORD-55555"})
        + "\n"
    )
    write_project(project_dir, files={"evals/data/order-id.jsonl": dataset})
    answers = iter(["ORD-55555", "WRONG", "ORD-55555", "ORD-55555", "WRONG", "ORD-55555"])
    server.answers = lambda messages: next(answers)
    assert cli("eval", "--repeats", "3", "--concurrency", "1").code == 0
    cases = {c["id"]: c for c in results(project_dir)["suites"]["order-id"]["cases"]}
    assert cases["k1"]["pass_rate"] == pytest.approx(2 / 3) and cases["k1"]["passed"] is False
    assert cases["n1"]["pass_rate"] == pytest.approx(2 / 3) and cases["n1"]["passed"] is True


def test_init_example_end_to_end(cli, project_dir: Path, server: FakeOpenAI) -> None:
    assert cli("init").code == 0
    result = cli("eval", "order-id")
    assert result.code == 0, result.err
    suite = results(project_dir)["suites"]["order-id"]
    by_id = {c["id"]: c for c in suite["cases"]}
    assert len(by_id) == 6
    # the good-model answerer picks the last id in c003 (ORD-10002), and NONE where there is none
    assert all(c["passed"] for c in by_id.values())
    assert suite["provenance"]["prompt"] == "order-id"
    assert result.out.splitlines()[1].split()[:5] == [
        "order-id",
        "openai/gpt-4o-mini-2024-07-18",
        "6",
        "100.0%",
        "1.000",
    ]


def test_eval_runs_every_suite_without_names(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(
        project_dir,
        count=2,
        files={
            "evals/nested/inline.yaml": """\
            prompt: order-id
            cases:
              - {id: a, vars: {message: "ORD-12345 please"}, expected: ORD-12345}
            scorers: [{type: contains, value: ORD}]
        """
        },
    )
    result = cli("eval")
    assert result.code == 0, result.err
    assert sorted(results(project_dir)["suites"]) == ["nested/inline", "order-id"]


@pytest.mark.slow
def test_subprocess_eval_against_the_server(project_dir: Path, server: FakeOpenAI) -> None:
    write_project(project_dir, count=2)
    result = run_subprocess("eval", cwd=project_dir, env=dict(os.environ))
    assert result.code == 0, result.err
    assert result.out.splitlines()[1].startswith("order-id")


@pytest.mark.slow
def test_ctrl_c_keeps_finished_cases_and_a_rerun_resumes(project_dir: Path, server: FakeOpenAI) -> None:
    import signal

    returncode, err = interrupted_eval(project_dir, server, signal.SIGINT)
    assert returncode == 130, err
    assert "Traceback" not in err
    # typer turns KeyboardInterrupt into exit 130 itself; our line says what was kept
    finished = ids(results(project_dir))
    assert 4 <= len(finished) < 20
    assert (
        f"interrupted: {len(finished)} finished cases written to .promptops/runs/latest.json; "
        "their answers are cached, so a re-run resumes"
    ) in err
    before = server.count
    server.latency = 0.0
    result = run_subprocess("eval", cwd=project_dir, env=dict(os.environ))
    assert result.code == 0, result.err
    assert len(ids(results(project_dir))) == 20
    assert server.count - before <= 20 - len(finished)
    assert results(project_dir)["suites"]["order-id"]["cache"]["hits"] >= len(finished)


def test_llm_judge_through_the_server_and_cached(cli, project_dir: Path, server: FakeOpenAI) -> None:
    def answer(messages: list[dict]) -> str:
        if messages[0]["content"].startswith("You are a strict evaluator"):
            return (
                "I like it" if "ORD-10002" in messages[-1]["content"] else '{"score": 0.9, "reason": "fine"}'
            )
        return order_id_answer(messages)

    server.answers = answer
    write_project(
        project_dir,
        count=3,
        config=FAST_CONFIG + "gate: {max_error_rate: 0.5}\n",
        files={
            "evals/order-id.yaml": """\
            prompt: order-id
            dataset: data/order-id.jsonl
            scorers:
              - {type: llm_judge, model: openai/gpt-4o-2024-08-06, rubric: "Gives the id {{ expected }}"}
        """
        },
    )
    result = cli("eval")
    assert result.code == 0, result.err
    cases = {c["id"]: c for c in results(project_dir)["suites"]["order-id"]["cases"]}
    assert cases["c001"]["score"] == 0.9 and cases["c001"]["passed"] is True
    assert cases["c002"]["error"] == "scorer llm_judge: judge verdict could not be parsed: 'I like it'"
    assert cases["c002"]["passed"] is None
    judged = [r for r in server.requests if r.body["model"] == "gpt-4o-2024-08-06"]
    assert len(judged) == 3
    assert any("RUBRIC:\nGives the id ORD-10001\n" in r.body["messages"][1]["content"] for r in judged)
    assert server.count == 6
    assert cli("eval").code == 0
    assert server.count == 6


def test_python_scorer_through_eval(cli, project_dir: Path, server: FakeOpenAI) -> None:
    write_project(
        project_dir,
        count=2,
        files={
            "checks/__init__.py": "",
            "checks/orders.py": "def digits_ok(output, case):\n    return output[-5:].isdigit()\n",
            "evals/order-id.yaml": """\
            prompt: order-id
            dataset: data/order-id.jsonl
            scorers:
              - {type: python, function: "checks.orders:digits_ok"}
        """,
        },
    )
    result = cli("eval")
    assert result.code == 0, result.err
    assert results(project_dir)["suites"]["order-id"]["summary"]["pass_rate"] == 1.0
