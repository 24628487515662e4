"""Workflow runs and tool calls in the trace store (DESIGN §9.4), from spans the SDK helpers produce on the
OpenTelemetry SDK: import, the record's `workflow` and `tool_calls`, `traces stats --workflows|--by tool`."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from promptops import Prompt, load_prompt
from promptops.formats import schema
from promptops.observe.traces.store import Query, TraceStore
from support import agent_traces, litellm_callbacks, releases
from support.fixtures import CLI, GitRepo

ENVS = "production:\n  order-id: {version: 1.0.0, canary: {version: 1.1.0, percent: 50}}\n"


@pytest.fixture
def bundle(git_repo: GitRepo, cli: CLI) -> Path:
    return releases.bundled(git_repo, cli, ENVS)


def both_arms(bundle: Path) -> tuple[Prompt, Prompt]:
    loaded = [load_prompt("order-id", env="production", bundle=bundle, key=k) for k in range(40)]
    return next(p for p in loaded if not p.canary), next(p for p in loaded if p.canary)


def stored(root: Path) -> list[Any]:
    """Return the stored records in run order (ORD-1, ORD-2, ORD-3), each run's steps in order."""
    with TraceStore.open(root / ".promptops/traces") as store:
        found = list(store.records(Query(attributed=None)))

    def order(record: Any) -> tuple[str, int]:
        about = record.output or record.tool_calls[0].arguments["order_id"]
        return about[:5], record.workflow.step or 0

    return sorted(found, key=order)


def wait_for(check: Callable[[], bool]) -> None:
    for _ in range(100):  # litellm runs the callbacks of a sync call on a worker thread
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("litellm did not report the calls")


def produce(bundle: Path, one_line: bool) -> Path:
    control, canary = both_arms(bundle)
    exporter = agent_traces.exporter()
    agent_traces.agent_run(control, "ORD-1")
    agent_traces.agent_run(control, "ORD-2", fail_tool=True)
    agent_traces.agent_run(canary, "ORD-3", timeout=True)
    spans = exporter.get_finished_spans()
    file = bundle.parent / "agent.jsonl"
    lines = [agent_traces.otlp_line(spans)] if one_line else [agent_traces.otlp_line([s]) for s in spans]
    file.write_text("\n".join(lines) + "\n")
    return file


def test_workflow_and_tool_spans_join_their_chat_calls(bundle: Path, cli: CLI) -> None:
    produce(bundle, one_line=True)
    result = cli("traces", "import", "agent.jsonl")
    assert result.code == 0, result.err
    assert result.err.splitlines()[:2] == [
        "imported 5 new records (5 read, 0 already in the store)",
        "attributed to a released prompt version: 5 of 5",
    ]
    records = stored(bundle.parent)
    runs = [r.workflow for r in records]
    assert [w.name for w in runs] == ["support-agent"] * 5
    assert [w.step for w in runs] == [1, 2, 1, 2, 1]
    assert [w.status for w in runs] == ["ok", "ok", "ok", "ok", "error"]
    assert runs[4].error_type == "timeout"
    assert len({w.id for w in runs}) == 3
    asked = records[0].tool_calls[0]
    assert (asked.name, asked.id, asked.arguments, asked.status, asked.result) == (
        "search_orders",
        "call-ORD-1",
        {"order_id": "ORD-1"},
        "ok",
        {"status": "shipped", "email": "jane.doe@example.com"},
    )
    assert asked.latency_ms is not None and asked.latency_ms >= 0
    failed = records[2].tool_calls[0]
    assert (failed.status, failed.error_type) == ("error", "LookupError")
    assert records[1].tool_calls == ()
    segment = bundle.parent / ".promptops/traces/segments/000001.jsonl"
    data = [json.loads(line) for line in segment.read_text().splitlines()]
    for line in data:
        jsonschema.validate(line, schema("trace"))


def test_the_sdk_attribution_keeps_runs_whole_when_spans_come_one_a_line(bundle: Path, cli: CLI) -> None:
    produce(bundle, one_line=False)
    assert cli("traces", "import", "agent.jsonl").code == 0
    records = stored(bundle.parent)
    assert len({r.workflow.id for r in records}) == 3
    # the spans carry no step (no completion_kwargs() call) and each export holds one span: no numbers
    assert [r.workflow.step for r in records] == [None] * 5
    assert [r.workflow.status for r in records] == [None] * 5  # the run spans came in other exports
    groups = json.loads(cli("traces", "stats", "--workflows", "--format", "json").out)["workflows"]
    # the store's run index still has each run span's outcome: the canary's run timed out
    assert [(g["arm"], g["runs"], g["rates"]["timeout"]["value"]) for g in groups] == [
        ("control", 2, 0.0),
        ("canary", 1, 1.0),
    ]


def test_stats_per_workflow_run_and_per_tool(bundle: Path, cli: CLI) -> None:
    produce(bundle, one_line=True)
    assert cli("traces", "import", "agent.jsonl").code == 0
    result = cli("traces", "stats", "--workflows", "--format", "json")
    assert result.code == 0, result.err
    groups = json.loads(result.out)["workflows"]
    assert [(g["version"], g["arm"], g["runs"]) for g in groups] == [
        ("1.0.0", "control", 2),
        ("1.1.0", "canary", 1),
    ]
    control, canary = groups
    assert control["steps_per_run"]["median"]["value"] == 2
    assert control["tool_calls_per_run"]["value"] == 1
    assert control["rates"]["success"]["value"] == 1.0
    assert control["rates"]["success"]["interval"] == [pytest.approx(0.342, abs=1e-3), 1.0]
    assert control["cost_per_run"]["value"] == pytest.approx(0.002)
    assert canary["rates"]["timeout"]["value"] == 1.0
    assert (canary["mixed"], canary["cost_per_run"]["value"]) == (0, pytest.approx(0.001))

    text = cli("traces", "stats", "--workflows")
    assert text.code == 0
    assert text.out.splitlines()[0].split()[:6] == ["prompt", "workflow", "version", "arm", "runs", "mixed"]
    assert "order-id  support-agent  1.0.0    control  2     0" in text.out

    tools = cli("traces", "stats", "--by", "tool", "--format", "json")
    control_tool, canary_tool = json.loads(tools.out)["tools"]
    assert (control_tool["version"], control_tool["tool"], control_tool["calls"]) == (
        "1.0.0",
        "search_orders",
        2,
    )
    assert control_tool["error_rate"]["value"] == 0.5
    assert (canary_tool["version"], canary_tool["calls"], canary_tool["error_rate"]["value"]) == (
        "1.1.0",
        1,
        0.0,
    )
    table = cli("traces", "stats", "--by", "tool")
    assert table.out.splitlines()[0].split() == [
        "prompt",
        "version",
        "tool",
        "calls",
        "error",
        "rate",
        "p50",
        "ms",
        "p95",
        "ms",
    ]
    assert table.out.splitlines()[1].startswith("order-id  1.0.0    search_orders  2      50.0% [9.5, 90.5]")


def test_without_opentelemetry_the_helpers_are_a_no_op(monkeypatch: pytest.MonkeyPatch, bundle: Path) -> None:
    import sys

    from promptops.sdk import tool_span, workflow_span

    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # `import opentelemetry` raises ImportError
    control, _ = both_arms(bundle)
    with workflow_span("support-agent") as run:
        first = control.completion_kwargs(message="Where is ORD-1?")
        with tool_span("search_orders", "call-1") as tool:
            tool.result({"status": "shipped"})
        second = control.completion_kwargs(message="Where is ORD-1?")
    nested = [kwargs["metadata"]["metadata"] for kwargs in (first, second)]
    assert [n["promptops.workflow.step"] for n in nested] == [1, 2]
    assert {n["promptops.workflow.id"] for n in nested} == {run.id}
    assert first["litellm_trace_id"] == run.id
    assert "promptops.workflow.id" not in control.completion_kwargs(message="x")["metadata"]["metadata"]


def test_litellm_payloads_of_a_run_carry_its_id_step_and_tool_calls(bundle: Path, cli: CLI) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    from promptops.observe.traces.logger import TraceLogger
    from promptops.sdk import tool_span, workflow_span

    control, _ = both_arms(bundle)
    file = bundle.parent / "litellm.jsonl"
    asked = {
        "id": "call-1",
        "type": "function",
        "function": {"name": "search_orders", "arguments": '{"order_id": "ORD-1"}'},
    }
    with litellm_callbacks.installed(TraceLogger(file)), workflow_span("support-agent") as run:
        kwargs = control.completion_kwargs(message="Where is ORD-1?")
        del kwargs["fallbacks"]
        first = litellm.completion(**kwargs, mock_tool_calls=[asked])
        with tool_span("search_orders", "call-1", {"order_id": "ORD-1"}) as tool:
            tool.result({"status": "shipped"})
        kwargs = control.completion_kwargs(message="Where is ORD-1?")
        del kwargs["fallbacks"]
        kwargs["messages"] += [
            first.choices[0].message.model_dump(),
            {"role": "tool", "tool_call_id": "call-1", "content": '{"status": "shipped"}'},
        ]
        litellm.completion(**kwargs, mock_response="ORD-1 has shipped")
        wait_for(lambda: file.exists() and len(file.read_text().splitlines()) == 2)
    result = cli("traces", "import", "litellm.jsonl")
    assert result.code == 0, result.err
    one, two = sorted(stored(bundle.parent), key=lambda r: r.workflow.step)
    assert (one.workflow.id, one.workflow.name, one.workflow.step, two.workflow.step) == (
        run.id,
        "support-agent",
        1,
        2,
    )
    assert one.trace_id == two.trace_id == run.id  # litellm groups a run's payloads by trace_id
    [call] = one.tool_calls
    assert (call.name, call.id, call.arguments) == ("search_orders", "call-1", {"order_id": "ORD-1"})
    groups = json.loads(cli("traces", "stats", "--workflows", "--format", "json").out)["workflows"]
    assert [
        (g["runs"], g["llm_calls_per_run"]["value"], g["tool_calls_per_run"]["value"]) for g in groups
    ] == [(1, 2.0, 1.0)]


def test_cost_project_for_a_workflow_prompt_is_per_run(bundle: Path, cli: CLI) -> None:
    produce(bundle, one_line=True)
    assert cli("traces", "import", "agent.jsonl").code == 0
    result = cli("cost", "project", "order-id", "--traces", "--qps", "0.1", "--format", "json")
    assert result.code == 0, result.err
    [projection] = json.loads(result.out)["projections"]
    [run_line] = projection["lines"]
    assert (run_line["purpose"], run_line["calls"]) == ("run", 3)
    assert run_line["per_call_usd"]["value"] == 0.001667  # runs of 2, 2 and 1 calls at $0.001
    text = cli("cost", "project", "order-id", "--traces", "--qps", "0.1").out
    assert "a month from 3 runs" in text and "per run: mean" in text


def test_secrets_in_tool_arguments_results_and_errors_are_redacted_before_storage(
    bundle: Path, cli: CLI
) -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwx1234"
    line = {
        "id": "r1",
        "ts_start": "2026-12-01T10:00:00.000Z",
        "prompt": {"name": "order-id", "version": "1.0.0"},
        "workflow": {"id": "run-1", "name": "support-agent", "step": 1},
        "tool_calls": [
            {"name": "login", "arguments": {"token": key}, "status": "error", "error_type": f"bad {key}"},
            {"name": "search_orders", "arguments": {"order_id": "ORD-1"}, "result": {"echo": key}},
        ],
    }
    (bundle.parent / "calls.jsonl").write_text(json.dumps(line) + "\n")
    assert cli("traces", "import", "calls.jsonl").code == 0
    stored_line = (bundle.parent / ".promptops/traces/segments/000001.jsonl").read_text()
    assert key not in stored_line
    assert json.loads(stored_line)["tool_calls"] == [
        {
            "name": "login",
            "arguments": {"token": "[REDACTED]"},
            "status": "error",
            "error_type": "bad [REDACTED]",
        },
        {"name": "search_orders", "arguments": {"order_id": "ORD-1"}, "result": {"echo": "[REDACTED]"}},
    ]


def _step(rid: str, run: str, step: int, second: int, version: str, arm: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "ts_start": f"2026-12-01T10:00:{second:02d}.000Z",
        "prompt": {"name": "order-id", "version": version, "environment": "production", "arm": arm},
        "cost_usd": 0.001,
        "workflow": {"id": run, "name": "support-agent", "step": step},
        **extra,
    }


def test_a_run_is_counted_once_at_its_first_call_whatever_the_import_order(bundle: Path, cli: CLI) -> None:
    later = [
        _step("a2", "run-a", 2, 5, "1.1.0", "canary"),  # run-a mixes versions: counted at its first call
        _step("b2", "run-b", 2, 7, "1.0.0", "control", status="error", error_type="litellm.Timeout"),
    ]
    first = [
        _step("a1", "run-a", 1, 1, "1.0.0", "control", cost_usd=None),
        _step("b1", "run-b", 1, 2, "1.0.0", "control"),
    ]
    for name, lines in (("later.jsonl", later), ("first.jsonl", first), ("later.jsonl", later)):
        (bundle.parent / name).write_text("".join(json.dumps(r) + "\n" for r in lines))
        assert cli("traces", "import", name).code == 0
    [group] = json.loads(cli("traces", "stats", "--workflows", "--format", "json").out)["workflows"]
    assert (group["version"], group["arm"], group["runs"], group["mixed"]) == ("1.0.0", "control", 2, 1)
    assert group["steps_per_run"]["median"]["value"] == 2  # the repeated import added nothing
    assert group["rates"]["timeout"]["value"] == 0.5  # run-b's last call timed out
    assert (group["cost_per_run"]["value"], group["cost_per_run"]["runs_priced"]) == (0.002, 1)


def test_bad_tool_calls_and_workflow_blocks_are_named_by_line(bundle: Path, cli: CLI) -> None:
    good = _step("ok", "run-1", 1, 1, "1.0.0", "control")
    bad = [
        {**good, "id": "b1", "tool_calls": {"name": "x"}},
        {**good, "id": "b2", "tool_calls": [{"arguments": {}}]},
        {**good, "id": "b3", "tool_calls": [{"name": "x", "latency_ms": "fast"}]},
        {**good, "id": "b4", "workflow": {"name": "support-agent"}},
        {**good, "id": "b5", "workflow": {"id": "r", "step": -1}},
        {**good, "id": "b6", "workflow": {"id": "r", "status": "timeout"}},
    ]
    (bundle.parent / "bad.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [good, *bad]))
    result = cli("traces", "import", "bad.jsonl")
    assert result.code == 2
    assert [line for line in result.err.splitlines() if line.startswith("error")] == [
        "error: bad.jsonl:2: tool_calls: expected a list",
        "error: bad.jsonl:3: tool_calls[0].name: required",
        "error: bad.jsonl:4: tool_calls[0].latency_ms: expected a number",
        "error: bad.jsonl:5: workflow.id: required",
        "error: bad.jsonl:6: workflow.step: expected a whole number",
        "error: bad.jsonl:7: workflow.status: 'timeout' is not one of ok, error",
    ]
    assert "imported 1 new record" in result.err


def test_a_run_call_with_tokens_only_is_priced_from_the_price_map(bundle: Path, cli: CLI) -> None:
    from promptops.prompts.catalog import token_prices

    served = {"requested": "openai/gpt-4o-mini-2024-07-18", "served": "gpt-4o-mini-2024-07-18"}
    usage = {"input": 1000, "output": 100}
    lines = [
        _step("p1", "run-p", 1, 1, "1.0.0", "control", cost_usd=None, model=served, usage=usage),
        _step("p2", "run-p", 2, 2, "1.0.0", "control", cost_usd=0.001),
        _step("q1", "run-q", 1, 3, "1.0.0", "control", cost_usd=None),  # no tokens: unknown
    ]
    (bundle.parent / "priced.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert cli("traces", "import", "priced.jsonl").code == 0
    per_token = token_prices("gpt-4o-mini-2024-07-18")
    assert per_token is not None  # litellm's price map, read as data
    [group] = json.loads(cli("traces", "stats", "--workflows", "--format", "json").out)["workflows"]
    expected = 1000 * per_token[0] + 100 * per_token[1] + 0.001
    assert group["cost_per_run"]["value"] == pytest.approx(expected, abs=1e-6)
    assert group["cost_per_run"]["runs_priced"] == 1  # run-q has a call of unknown cost
    first = json.loads(
        (bundle.parent / ".promptops/traces/segments/000001.jsonl").read_text().splitlines()[0]
    )
    assert first["cost_source"] == "computed"


def test_litellm_mcp_tool_call_payloads_are_not_counted_as_llm_calls(bundle: Path, cli: CLI) -> None:
    payload = {
        "id": "mcp-1",
        "litellm_call_id": "mcp-1",
        "call_type": "call_mcp_tool",
        "startTime": 1796000000.0,
        "endTime": 1796000000.2,
        "status": "success",
        "metadata": {"mcp_tool_call_metadata": {"name": "search_orders", "arguments": {"order_id": "ORD-1"}}},
    }
    (bundle.parent / "mcp.jsonl").write_text(json.dumps(payload) + "\n")
    result = cli("traces", "import", "mcp.jsonl")
    assert result.code == 0, result.err
    assert result.err.splitlines()[:2] == [
        "imported 0 new records (0 read, 0 already in the store)",
        "skipped 1 spans that are not LLM calls",
    ]


def test_a_thumbs_down_on_a_call_of_a_run_fails_the_run(bundle: Path, cli: CLI) -> None:
    lines = [_step("f1", "run-f", 1, 1, "1.0.0", "control"), _step("f2", "run-f", 2, 2, "1.0.0", "control")]
    (bundle.parent / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert cli("traces", "import", "runs.jsonl").code == 0

    def failure() -> float:
        [group] = json.loads(cli("traces", "stats", "--workflows", "--format", "json").out)["workflows"]
        return float(group["rates"]["failure"]["value"])

    assert failure() == 0.0
    (bundle.parent / "thumbs.jsonl").write_text(json.dumps({"record_id": "f1", "thumb": "down"}) + "\n")
    assert cli("feedback", "import", "thumbs.jsonl").code == 0
    assert failure() == 1.0
