"""A support agent instrumented for promptops (docs/agents-in-production.md).

Each request is one workflow run: `workflow_span` opens it (an `invoke_workflow` span), `tool_span` wraps
each tool execution (an `execute_tool` span, with its result), and each model call is made with the
prompt's `completion_kwargs()`, which carries the prompt version, the run's id and the call's step in
litellm's metadata. Two producers record the calls: promptops' `TraceLogger` (litellm's own payloads, to
`litellm.jsonl`) and a GenAI `chat` span per call (what an OpenTelemetry GenAI instrumentation records),
exported with the SDK's spans as OTLP JSON (`spans.jsonl`). Import either file: they hold the same calls.

    python app.py --bundle prompts.lock.json --requests 40 --offline

`--offline` answers with litellm's own mock (`mock_tool_calls`, `mock_response`), so the demo needs no
key: version 1.0.0 looks the order up once; 1.1.0, the canary, looks it up twice (a step more per run)
and gives up (a timeout) on orders it cannot find.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ORDERS = {f"ORD-{n}": {"status": "shipped" if n % 3 else "in transit"} for n in range(10001, 10040)}
MAX_STEPS = 6


def search_orders(order_id: str) -> dict[str, Any]:
    """The agent's one tool: an order's status; LookupError for an unknown order."""
    if order_id not in ORDERS:
        raise LookupError(f"no order {order_id}")
    return ORDERS[order_id]


def offline_model(prompt: Any, message: str, step: int, last_tool: Any) -> dict[str, Any]:
    """Return litellm's mock arguments for this step: a tool call, or the answer."""
    order = (re.findall(r"ORD-\d{5}", message) or ["ORD-00000"])[0]
    lookups = 2 if prompt.version == "1.1.0" else 1
    if step < lookups:
        call = {"id": f"call-{step}", "type": "function"}
        call["function"] = {"name": "search_orders", "arguments": json.dumps({"order_id": order})}
        return {"mock_tool_calls": [call]}
    if isinstance(last_tool, dict) and "error" in last_tool:
        if prompt.version == "1.1.0":
            raise TimeoutError(f"gave up on {order}")
        return {"mock_response": f"I cannot find {order}."}
    return {"mock_response": f"{order} is {last_tool['status']}."}


def handle(prompt: Any, message: str, *, offline: bool) -> str:
    """Answer one request as one workflow run."""
    import litellm

    from promptops.sdk import tool_span, workflow_span

    with workflow_span("support-agent"):
        history: list[dict[str, Any]] = []
        last_tool: Any = None
        for step in range(MAX_STEPS):
            kwargs = prompt.completion_kwargs(message=message)
            kwargs.pop("fallbacks", None)  # litellm drops callbacks on its fallbacks path
            kwargs["messages"] += history
            mock = offline_model(prompt, message, step, last_tool) if offline else {}
            with chat_span(prompt, kwargs, message) as record:
                response = litellm.completion(**kwargs, **mock)
                record(response)
            reply = response.choices[0].message
            if not reply.tool_calls:
                return str(reply.content)
            history.append(reply.model_dump(exclude_none=True))
            for call in reply.tool_calls:
                arguments = json.loads(call.function.arguments)
                try:
                    with tool_span(call.function.name, call.id, arguments) as tool:
                        last_tool = search_orders(**arguments)
                        tool.result(last_tool)
                except LookupError as exc:
                    last_tool = {"error": str(exc)}
                history.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(last_tool)})
        raise TimeoutError(f"no answer in {MAX_STEPS} steps")


class chat_span:  # a context manager, like tracer.start_as_current_span
    """A GenAI `chat` span around one model call, as an OpenTelemetry GenAI instrumentation records it."""

    def __init__(self, prompt: Any, kwargs: dict[str, Any], message: str) -> None:
        self.prompt, self.kwargs, self.message = prompt, kwargs, message

    def __enter__(self) -> Any:
        from opentelemetry import trace

        self._scope = trace.get_tracer("support-agent").start_as_current_span(f"chat {self.kwargs['model']}")
        self.span = self._scope.__enter__()
        self.span.set_attributes(
            {
                # after completion_kwargs(): the version, the variables, the run and the call's step
                **self.prompt.span_attributes(message=self.message),
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": self.kwargs["model"].split("/", 1)[1],
            }
        )
        return self.record

    def record(self, response: Any) -> None:
        reply = response.choices[0].message
        parts = [
            {"type": "tool_call", "id": c.id, "name": c.function.name, "arguments": c.function.arguments}
            for c in reply.tool_calls or []
        ]
        if reply.content:
            parts.append({"type": "text", "content": reply.content})
        usage = response.usage
        self.span.set_attributes(
            {
                "gen_ai.response.model": response.model,
                "gen_ai.response.id": response.id,
                "gen_ai.usage.input_tokens": usage.prompt_tokens,
                "gen_ai.usage.output_tokens": usage.completion_tokens,
                "gen_ai.usage.cost": 0.0001 * (usage.prompt_tokens + 4 * usage.completion_tokens) / 100,
                "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": parts}]),
            }
        )

    def __exit__(self, *exc: Any) -> None:
        self._scope.__exit__(*exc)


class OtlpJsonFile:
    """An OpenTelemetry span exporter writing OTLP JSON lines (the Collector's file exporter format)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def export(self, spans: Sequence[Any]) -> Any:
        from google.protobuf.json_format import MessageToDict
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
        from opentelemetry.sdk.trace.export import SpanExportResult

        data = MessageToDict(encode_spans(spans))
        for resource in data["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in span:
                            import base64

                            span[key] = base64.b64decode(span[key]).hex()
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(data) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def serve(bundle: Path, requests: int, out: Path, *, offline: bool) -> dict[str, int]:
    """Answer `requests` requests as the environment splits them; return the runs per version."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from promptops import load_prompt

    provider = trace.get_tracer_provider()
    if not hasattr(provider, "add_span_processor"):
        provider = TracerProvider(shutdown_on_exit=False)
        trace.set_tracer_provider(provider)
    processor = BatchSpanProcessor(OtlpJsonFile(out / "spans.jsonl"))  # type: ignore[arg-type]
    provider.add_span_processor(processor)
    served: dict[str, int] = {}
    orders = [*ORDERS, "ORD-99999"]
    try:
        for n in range(requests):
            prompt = load_prompt("support-agent", env="production", bundle=bundle, key=f"user-{n}")
            message = f"Hi, this is jane.doe@example.com: where is my order {orders[n % len(orders)]}?"
            with contextlib.suppress(TimeoutError):  # the run span records it
                handle(prompt, message, offline=offline)
            processor.force_flush()  # one export per run, so its spans import together
            served[prompt.version] = served.get(prompt.version, 0) + 1
    finally:
        processor.shutdown()
    return served


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The instrumented support agent.")
    parser.add_argument("--bundle", type=Path, default=Path("prompts.lock.json"))
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--offline", action="store_true", help="litellm's mock answers, no key")
    args = parser.parse_args(argv)
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    from promptops.observe.traces.logger import TraceLogger

    litellm.callbacks = [TraceLogger(args.out / "litellm.jsonl")]  # litellm's payloads, one line a call
    served = serve(args.bundle, args.requests, args.out, offline=args.offline)
    print("served " + ", ".join(f"{n} runs by {v}" for v, n in sorted(served.items())))  # noqa: T201 -- the demo says what it served
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
