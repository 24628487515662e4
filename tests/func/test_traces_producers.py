"""Trace files made by real producers: the shipped TraceLogger on real litellm calls, spans from the
OpenTelemetry SDK written with the official OTLP encoding, and litellm's own `otel` callback."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from promptops import Prompt, load_prompt
from promptops.formats import schema
from promptops.observe.traces.store import Query, TraceStore
from support import litellm_callbacks, releases
from support.fixtures import CLI, GitRepo
from support.openai_server import FakeOpenAI

ENVS = "production:\n  order-id: {version: 1.0.0, canary: {version: 1.1.0, percent: 50}}\n"


@pytest.fixture
def bundle(git_repo: GitRepo, cli: CLI) -> Path:
    return releases.bundled(git_repo, cli, ENVS)


def both_arms(bundle: Path) -> tuple[Prompt, Prompt]:
    loaded = [load_prompt("order-id", env="production", bundle=bundle, key=k) for k in range(40)]
    control = next(p for p in loaded if not p.canary)
    canary = next(p for p in loaded if p.canary)
    return control, canary


def wait_for(check: Callable[[], bool]) -> None:
    for _ in range(100):  # litellm runs the callbacks of a sync call on a worker thread
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("litellm did not report the calls")


def stored(root: Path) -> list[Any]:
    with TraceStore.open(root / ".promptops/traces") as store:
        return list(store.records(Query(attributed=None)))


def otlp_line(spans: Any, hex_ids: bool) -> str:
    data = MessageToDict(encode_spans(spans))  # protobuf's JSON mapping: ids as base64
    if hex_ids:  # as the Collector's file exporter writes them
        for resource in data["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in span:
                            span[key] = base64.b64decode(span[key]).hex()
    return json.dumps(data)


def test_the_shipped_logger_records_real_litellm_calls(
    bundle: Path, openai_server: FakeOpenAI, cli: CLI
) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    from promptops.observe.traces.logger import TraceLogger

    control, canary = both_arms(bundle)
    openai_server.answers = {"ORD-1": "ORD-1"}
    openai_server.fail("400", match="broken")
    file = bundle.parent / "traces.jsonl"
    with litellm_callbacks.installed(TraceLogger(file)):
        for prompt, message in (
            (control, "Where is ORD-1?"),
            (canary, "Where is ORD-1?"),
            (control, "broken"),
        ):
            kwargs = prompt.completion_kwargs(message=message)
            del kwargs[
                "fallbacks"
            ]  # litellm 1.106 drops callbacks on its fallbacks path (BerriAI/litellm#9540)
            with contextlib.suppress(litellm.BadRequestError):  # the failure is recorded too
                litellm.completion(**kwargs, num_retries=0)
        wait_for(lambda: file.exists() and len(file.read_text().splitlines()) == 3)
    lines = [json.loads(line) for line in file.read_text().splitlines()]
    for line in lines:
        jsonschema.validate(line, schema("trace"))
    by_status = sorted(lines, key=lambda r: (r["status"], r["prompt"]["version"]))
    failed, ok, ok_canary = by_status
    assert ok["prompt"] == {
        "name": "order-id",
        "version": "1.0.0",
        "hash": releases.prompt_hash("1.0.0"),
        "environment": "production",
        "arm": "control",
        "pair_id": None,
    }
    assert ok_canary["prompt"]["arm"] == "canary" and ok_canary["prompt"]["version"] == "1.1.0"
    assert ok["model"] == {
        "requested": "openai/gpt-4o-mini-2024-07-18",
        "served": "gpt-4o-mini-2024-07-18",
        "provider": "openai",
    }
    assert (ok["source"], ok["output"], ok["finish_reason"], ok["cost_source"]) == (
        "litellm",
        "ORD-1",
        "stop",
        "computed",
    )
    assert ok["variables"] == {"message": "Where is ORD-1?"} and ok["response_id"].startswith("chatcmpl-")
    assert ok["usage"]["input"] > 0 and ok["cost_usd"] > 0 and ok["latency_ms"] > 0
    assert (failed["status"], failed["error_type"]) == ("error", "BadRequestError")

    result = cli("traces", "import", str(file))
    assert result.code == 0, result.err
    assert "attributed to a released prompt version: 3 of 3" in result.err
    stats = json.loads(cli("traces", "stats", "--by", "arm", "--format", "json").out)
    assert [(g["group"], g["calls"], g["errors"]) for g in stats["groups"]] == [
        ("canary", 1, 0),
        ("control", 2, 1),
    ]


def test_spans_from_the_opentelemetry_sdk_in_otlp_json(bundle: Path, cli: CLI) -> None:
    control, canary = both_arms(bundle)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("shop")
    with tracer.start_as_current_span("request"):  # a parent span that is no LLM call
        with tracer.start_as_current_span("chat gpt-4o-mini") as span:  # current GenAI semantic conventions
            span.set_attributes(
                {
                    **control.span_attributes(message="Where is ORD-1?"),
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                    "gen_ai.usage.input_tokens": 812,
                    "gen_ai.usage.output_tokens": 9,
                    "gen_ai.response.finish_reasons": ("stop",),
                    "gen_ai.response.id": "chatcmpl-9",
                    "gen_ai.usage.cost": 0.00013,
                }
            )
        with tracer.start_as_current_span("chat") as span:  # the older names, and a failure
            span.set_attributes(
                {
                    **canary.span_attributes(),
                    "gen_ai.system": "openai",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.usage.prompt_tokens": 700,
                    "gen_ai.usage.completion_tokens": 0,
                    "gen_ai.prompt.0.role": "user",
                    "gen_ai.prompt.0.content": "Where is ORD-2?",
                }
            )
            span.record_exception(TimeoutError("upstream timed out"))
            span.set_status(Status(StatusCode.ERROR))
    spans = exporter.get_finished_spans()
    file = bundle.parent / "otlp.jsonl"
    file.write_text(otlp_line(spans[:1], hex_ids=True) + "\n" + otlp_line(spans[1:], hex_ids=False) + "\n")

    result = cli("traces", "import", "otlp.jsonl")
    assert result.code == 0, result.err
    assert result.err.splitlines()[:3] == [
        "imported 2 new records (2 read, 0 already in the store)",
        "skipped 1 spans that are not LLM calls",
        "attributed to a released prompt version: 2 of 2",
    ]
    new, old = sorted(stored(bundle.parent), key=lambda r: r.prompt.version)
    assert new.id == format(spans[0].context.span_id, "016x")
    assert new.trace_id == format(spans[0].context.trace_id, "032x")
    assert (new.prompt.version, new.prompt.arm, new.prompt.hash) == ("1.0.0", "control", control.content_hash)
    assert (new.model.provider, new.model.requested, new.model.served) == (
        "openai",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
    )
    assert (new.usage.input, new.usage.output, new.cost_usd, new.cost_source) == (812, 9, 0.00013, "reported")
    assert (new.finish_reason, new.response_id, new.status) == ("stop", "chatcmpl-9", "ok")
    assert new.variables == {"message": "Where is ORD-1?"}
    assert new.latency_ms == pytest.approx((spans[0].end_time - spans[0].start_time) / 1e6)
    assert (old.prompt.version, old.prompt.arm, old.model.provider) == ("1.1.0", "canary", "openai")
    assert (old.usage.input, old.usage.output, old.cost_source) == (700, 0, "unknown")
    assert (old.status, old.error_type) == ("error", "TimeoutError")
    assert old.input_messages == [{"role": "user", "content": "Where is ORD-2?"}]
    assert cli("traces", "import", "otlp.jsonl", "--format", "otlp").err.startswith("imported 0 new records")


def test_spans_from_litellm_own_otel_callback(bundle: Path, openai_server: FakeOpenAI, cli: CLI) -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm
    from litellm.integrations.opentelemetry import OpenTelemetry, OpenTelemetryConfig

    control, _ = both_arms(bundle)
    exporter = InMemorySpanExporter()
    with litellm_callbacks.installed(
        OpenTelemetry(config=OpenTelemetryConfig(exporter=exporter, skip_set_global=True))
    ):
        kwargs = control.completion_kwargs(message="Where is ORD-1?")
        del kwargs["fallbacks"]
        litellm.completion(**kwargs)
        wait_for(lambda: any(s.name == "litellm_request" for s in exporter.get_finished_spans()))
    file = bundle.parent / "otlp.jsonl"
    file.write_text(otlp_line(exporter.get_finished_spans(), hex_ids=True) + "\n")
    result = cli("traces", "import", "otlp.jsonl")
    assert result.code == 0, result.err
    assert "attributed to a released prompt version: 1 of 1" in result.err
    [record] = stored(bundle.parent)
    assert (record.prompt.name, record.prompt.version, record.prompt.arm) == ("order-id", "1.0.0", "control")
    assert record.prompt.hash == control.content_hash
    assert (record.model.provider, record.usage.input is not None, record.status) == ("openai", True, "ok")
