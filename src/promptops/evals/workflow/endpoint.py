"""An `http:` target: the application already runs as a service; each case run is one POST to it.

The body is the suite's `body` with its strings templated against the case's variables; the answer's
`output` field (a dotted path; without it, the whole body) is the case run's output. The request carries
`traceparent` (the case run's trace context) and `x-promptops-base-url` (the case run's address on the
proxy), so a service that sends its model calls there has them recorded with the case. A refused
connection or an error status fails the case run with `target:crash`, no answer in time with
`target:timeout`, an answer without the output with `target:bad-output`.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from promptops.errors import PromptOpsError
from promptops.evals.workflow.target import MAX_RESULT_BYTES, STDERR_TAIL, TargetOutcome
from promptops.evals.workflow_config import Target
from promptops.prompts.render import render_text


def _templated(value: Any, context: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return render_text(value, context, "target.http.body") if "{" in value else value
    if isinstance(value, Mapping):
        return {k: _templated(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [_templated(v, context) for v in value]
    return value


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 -- the suite's URL
            return int(response.status), response.read(MAX_RESULT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(STDERR_TAIL)


async def call_endpoint(
    target: Target, *, variables: Mapping[str, Any], trace: str, base_url: str, timeout_s: float
) -> TargetOutcome:
    """Return what one POST to the service answered, or the reason the case run failed."""
    assert target.url is not None
    started = time.perf_counter()
    try:
        body = _templated(target.body if target.body is not None else dict(variables), dict(variables))
    except PromptOpsError as exc:
        return TargetOutcome(output=None, failure="target:bad-output", stderr=f"body: {exc.message}")
    headers = {"Content-Type": "application/json", "traceparent": trace, "x-promptops-base-url": base_url}
    try:
        status, raw = await asyncio.wait_for(
            asyncio.to_thread(_post, target.url, json.dumps(body).encode(), headers, timeout_s), timeout_s + 1
        )
    except (TimeoutError, OSError) as exc:
        wall = (time.perf_counter() - started) * 1000
        if isinstance(exc, TimeoutError) or "timed out" in str(exc):
            return TargetOutcome(
                output=None,
                failure="target:timeout",
                stderr=f"no answer within {timeout_s:g} s",
                wall_ms=wall,
            )
        return TargetOutcome(
            output=None, failure="target:crash", stderr=f"POST {target.url}: {exc}", wall_ms=wall
        )
    wall = (time.perf_counter() - started) * 1000
    text = raw.decode("utf-8", errors="replace")
    if not 200 <= status < 300:
        return TargetOutcome(
            output=None, failure="target:crash", stderr=f"HTTP {status}: {text[-STDERR_TAIL:]}", wall_ms=wall
        )
    if target.output is None:
        return TargetOutcome(output=text, wall_ms=wall)
    try:
        value: Any = json.loads(text)
    except ValueError:
        return TargetOutcome(
            output=None, failure="target:bad-output", stderr="the answer is not JSON", wall_ms=wall
        )
    for part in target.output.split("."):
        if not isinstance(value, Mapping) or part not in value:
            why = f"the answer has no `{target.output}`"
            return TargetOutcome(output=None, failure="target:bad-output", stderr=why, wall_ms=wall)
        value = value[part]
    output = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return TargetOutcome(output=output, wall_ms=wall)
