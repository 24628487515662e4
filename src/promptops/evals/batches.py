"""Batch evals (`eval --batch`, `batch status`, `batch collect`): the calls a run still needs, sent as one
OpenAI Batch per model at half price, and their answers brought back into the response cache, so that the
run then finishes exactly as a normal eval (cached answers; whatever the batch did not answer, online).

The Files and Batches endpoints of an OpenAI-compatible API are spoken with the standard library
(`urllib`), as the fast path (evals.openai_http) is configured: OPENAI_BASE_URL, OPENAI_API_KEY. Each
request's `custom_id` is its cache key, so an answer lands exactly where a later run looks for it. A
submitted batch is recorded in `.promptops/batches/ID.json`.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from promptops.errors import InputError, UnavailableError
from promptops.evals.cache import CACHE_FILE, cache_key, open_cache
from promptops.evals.calls import CallRequest, Reply, call_cost
from promptops.evals.cases import Suite
from promptops.evals.openai_http import DEFAULT_BASE_URL, PREFIX, forced_litellm, listed_cost, serves
from promptops.evals.runner import RunOptions, plan_suite, request_for
from promptops.formats import dump_json
from promptops.project import Project, write_atomic

BATCH_DIR = "batches"
BATCH_DISCOUNT = 0.5  # OpenAI's Batch API bills half the listed price
DONE = frozenset({"completed", "expired", "failed", "cancelled"})


@dataclass(frozen=True, kw_only=True)
class BatchRecord:
    """A submitted batch: its id, model, the suites it serves and how many requests it holds."""

    id: str
    model: str
    suites: tuple[str, ...]
    requests: int
    status: str = "validating"
    collected: bool = False
    answered: int = 0
    override: str | None = None  # the run's --model, so collect runs the same calls
    repeats: int | None = None  # the run's --repeats


def submit(
    project: Project, planned: Sequence[tuple[Suite, RunOptions]], use_cache: bool = True
) -> list[BatchRecord]:
    """Send the calls each (suite, options) still needs (not in the cache) as one batch per model; record
    each batch. `eval` passes its suites with one options, `compare` one pair per candidate."""
    for suite, _ in planned:
        if suite.workflow is not None:  # many calls per case, each depending on the one before
            raise InputError(
                f"--batch: suite '{suite.name}' is a workflow; its calls cannot wait for a batch",
                hint="run it without --batch",
            )
    plans = [(plan_suite(project, suite, own), own) for suite, own in planned]
    cache = open_cache(project.state_dir, read=use_cache)
    lines: dict[str, list[dict[str, Any]]] = {}
    served: dict[str, list[str]] = {}
    chosen: dict[str, RunOptions] = {}
    try:
        for plan, own in plans:
            chosen.setdefault(plan.model, own)
            for case in plan.cases:
                for repeat in range(plan.repeats):
                    request = request_for(plan, case)
                    _check_served(request)
                    key = cache_key(request, repeat)
                    if cache.get(key) is not None:
                        continue
                    body: dict[str, Any] = {
                        "model": plan.model[len(PREFIX) :],
                        "messages": request.message_dicts(),
                        **request.params,
                        **request.extras(),
                    }
                    line = {"custom_id": key, "method": "POST", "url": "/v1/chat/completions", "body": body}
                    lines.setdefault(plan.model, []).append(line)
                    served.setdefault(plan.model, [])
                    if plan.suite.name not in served[plan.model]:
                        served[plan.model].append(plan.suite.name)
    finally:
        cache.close()
    records = []
    for model, batch in lines.items():
        unique = list({line["custom_id"]: line for line in batch}.values())  # a judge may repeat a call
        payload = "".join(json.dumps(line, sort_keys=True) + "\n" for line in unique).encode("utf-8")
        file_id = _call("POST", "/files", _multipart(payload))["id"]
        created = _call(
            "POST",
            "/batches",
            _json({"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"}),
        )
        record = BatchRecord(
            id=str(created["id"]),
            model=model,
            suites=tuple(served[model]),
            requests=len(unique),
            status=str(created.get("status") or "validating"),
            override=chosen[model].model,
            repeats=chosen[model].repeats,
        )
        _write(project, record)
        records.append(record)
    return records


def _check_served(request: CallRequest) -> None:
    if forced_litellm() or not serves(request):
        provider = request.model.split("/", 1)[0] if "/" in request.model else request.model
        raise InputError(
            f"--batch: {request.model} is not served by the OpenAI-compatible Batch API "
            f"(provider '{provider}'); batch evals need an openai/... model on the fast path",
            hint="run this suite without --batch",
        )


def pending(project: Project) -> list[BatchRecord]:
    """Return every recorded batch not yet collected, oldest first."""
    folder = project.state_dir / BATCH_DIR
    found = [_read(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]
    return [r for r in found if not r.collected]


def refresh(project: Project, record: BatchRecord) -> BatchRecord:
    """Return `record` with the provider's current status (recorded)."""
    data = _call("GET", f"/batches/{record.id}")
    updated = replace(record, status=str(data.get("status") or record.status))
    _write(project, updated)
    return updated


def wait(project: Project, record: BatchRecord, poll_s: float, say: Callable[[str], None]) -> BatchRecord:
    """Poll until the batch is done (completed, expired, failed or cancelled)."""
    while True:
        record = refresh(project, record)
        if record.status in DONE:
            return record
        say(f"batch {record.id}: {record.status}")
        time.sleep(poll_s)


def collect(project: Project, record: BatchRecord) -> BatchRecord:
    """Put the batch's answers into the response cache (at the batch price) and mark it collected.

    Safe to repeat: an interrupted collect is resumed by running it again (answers already cached are
    written again, unchanged). Requests the batch did not answer (expired, failed) stay out of the cache,
    so the eval that follows makes them online.
    """
    data = _call("GET", f"/batches/{record.id}")
    status = str(data.get("status") or record.status)
    if status not in DONE:
        raise InputError(f"batch {record.id} is {status}; collect it when it is done (or use --wait)")
    prices = project.config.prices
    project.contained(project.state_dir / "cache" / CACHE_FILE)
    cache = open_cache(project.state_dir, read=True)
    answered = 0
    try:
        output = data.get("output_file_id")
        raw = _content(str(output)) if output else b""
        for line in raw.decode("utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            response = item.get("response") or {}
            if response.get("status_code") != 200:
                continue
            reply = _reply(record.model, response.get("body") or {}, prices)
            if reply is not None:
                cache.put(str(item["custom_id"]), record.model, reply)
                answered += 1
    finally:
        cache.close()
    done = replace(record, status=status, collected=True, answered=answered)
    _write(project, done)
    return done


def _reply(model: str, body: dict[str, Any], prices: Any) -> Reply | None:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message") or {}
    text = message.get("content") if isinstance(message, dict) else None
    found = body.get("usage")
    usage: dict[str, Any] = found if isinstance(found, dict) else {}
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    input_tokens = prompt if isinstance(prompt, int) else None
    output_tokens = completion if isinstance(completion, int) else None
    full = call_cost(prices, model, input_tokens, output_tokens, listed_cost)
    return Reply(
        text=text if isinstance(text, str) else "",
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=None if full is None else full * BATCH_DISCOUNT,
    )


# --- the Files and Batches endpoints ---------------------------------------------------------------


def _base() -> str:
    base = os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or DEFAULT_BASE_URL
    return base.rstrip("/")


def _json(data: dict[str, Any]) -> tuple[bytes, str]:
    return json.dumps(data).encode("utf-8"), "application/json"


def _multipart(payload: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="promptops-batch.jsonl"\r\n'
        "Content-Type: application/jsonl\r\n\r\n"
    ).encode()
    return head + payload + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _request(method: str, path: str, body: tuple[bytes, str] | None = None) -> bytes:
    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        raise UnavailableError(
            "--batch: OPENAI_API_KEY is not set", hint="set the provider's API key variable"
        )
    request = urllib.request.Request(_base() + path, method=method, data=body[0] if body else None)  # noqa: S310
    request.add_header("Authorization", f"Bearer {key}")
    if body is not None:
        request.add_header("Content-Type", body[1])
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (the configured base URL)
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise UnavailableError(f"batch API {method} {path}: HTTP {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise UnavailableError(f"batch API {method} {path}: {exc}") from None


def _call(method: str, path: str, body: tuple[bytes, str] | None = None) -> dict[str, Any]:
    data = json.loads(_request(method, path, body))
    if not isinstance(data, dict):
        raise UnavailableError(f"batch API {method} {path}: the answer is not an object")
    return data


def _content(file_id: str) -> bytes:
    return _request("GET", f"/files/{file_id}/content")


def _write(project: Project, record: BatchRecord) -> None:
    path = project.state_dir / BATCH_DIR / f"{record.id}.json"
    data = {
        "id": record.id,
        "model": record.model,
        "suites": list(record.suites),
        "requests": record.requests,
        "status": record.status,
        "collected": record.collected,
        "answered": record.answered,
        "override": record.override,
        "repeats": record.repeats,
    }
    write_atomic(path, dump_json(data))


def _read(text: str) -> BatchRecord:
    data = json.loads(text)
    return BatchRecord(
        id=data["id"],
        model=data["model"],
        suites=tuple(data["suites"]),
        requests=data["requests"],
        status=data["status"],
        collected=data["collected"],
        answered=data["answered"],
        override=data.get("override"),
        repeats=data.get("repeats"),
    )
