"""A streamed answer as it arrives: its text, its chunks, when the first chunk and the first content token
came (`eval --latency-profile`). Both provider paths read their streams into a `Stream`."""

from __future__ import annotations

import json
import time
from typing import Any

from promptops.evals.calls import ProviderError, Reply, broken_stream


class Stream:
    """The chunks of one streamed chat completion read so far, timed from the request's start."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.start = time.perf_counter()
        self.chunks = 0
        self.parts: list[str] = []
        self.first_chunk_ms: float | None = None
        self.ttft_ms: float | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.done = False

    def chunk(self, contents: list[object], usage: Any = None) -> None:
        """Count one chunk holding `contents` (its choices' delta contents) and maybe the usage."""
        now = self._elapsed_ms()
        self.chunks += 1
        if self.first_chunk_ms is None:
            self.first_chunk_ms = now
        prompt = _get(usage, "prompt_tokens")
        completion = _get(usage, "completion_tokens")
        if _count(prompt) is not None and _count(completion) is not None:
            self.input_tokens, self.output_tokens = _count(prompt), _count(completion)
        for content in contents:
            if isinstance(content, str) and content:
                if self.ttft_ms is None:
                    self.ttft_ms = now
                self.parts.append(content)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def broken(self) -> ProviderError:
        """Return the error of this stream ending before its end marker, quoting what arrived."""
        return broken_stream(self.model, self.chunks, self.text)

    def reply(self, cost_usd: float | None) -> Reply:
        """Return the whole answer, its total latency measured now."""
        return Reply(
            text=self.text,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=cost_usd,
            latency_ms=self._elapsed_ms(),
            first_chunk_ms=self.first_chunk_ms,
            ttft_ms=self.ttft_ms,
        )

    def _elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000


def server_sent(stream: Stream, line: bytes) -> None:
    """Read one line of an OpenAI-style server-sent event stream into `stream`."""
    text = line.decode("utf-8", "replace").strip()
    if not text.startswith("data:"):
        return  # blank separators, comments and `event:` lines
    payload = text[len("data:") :].strip()
    if payload == "[DONE]":
        stream.done = True
        return
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise ProviderError(stream.model, "malformed", str(exc)) from None
    if not isinstance(data, dict):
        raise ProviderError(stream.model, "malformed", "a stream chunk is not an object")
    if data.get("error"):
        error = data["error"]
        detail = error.get("message") if isinstance(error, dict) else error
        raise ProviderError(stream.model, "server", str(detail or "error chunk"))
    choices = data.get("choices") or []
    deltas = [c.get("delta") for c in choices if isinstance(c, dict)]
    stream.chunk([d.get("content") for d in deltas if isinstance(d, dict)], data.get("usage"))


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
