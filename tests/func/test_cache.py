"""The response cache: keys, hit/miss counts, --no-cache, and a damaged cache file."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptops.errors import InputError
from promptops.evals.cache import cache_key, open_cache
from promptops.evals.calls import CallRequest, Reply

REQUEST = CallRequest(model="openai/m", messages=(("user", "hi"),), params={"temperature": 0})


def test_key_covers_model_messages_params_and_repeat() -> None:
    base = cache_key(REQUEST, 0)
    assert cache_key(REQUEST, 0) == base
    assert cache_key(REQUEST, 1) != base
    assert (
        cache_key(CallRequest(model="openai/n", messages=REQUEST.messages, params=REQUEST.params), 0) != base
    )
    assert (
        cache_key(CallRequest(model="openai/m", messages=(("user", "hi!"),), params=REQUEST.params), 0)
        != base
    )
    assert (
        cache_key(CallRequest(model="openai/m", messages=REQUEST.messages, params={"temperature": 1}), 0)
        != base
    )


def test_round_trip_and_counts(tmp_path: Path) -> None:
    cache = open_cache(tmp_path)
    key = cache_key(REQUEST, 0)
    assert cache.get(key) is None
    reply = Reply(text="hello", input_tokens=3, output_tokens=1, cost_usd=None, latency_ms=12.5)
    cache.put(key, REQUEST.model, reply)
    cache.close()
    again = open_cache(tmp_path)
    assert again.get(key) == reply
    assert (again.hits, again.misses) == (1, 0)
    fresh = open_cache(tmp_path, read=False)
    assert fresh.get(key) is None
    assert fresh.stats().misses == 1
    assert (tmp_path / "cache" / "responses.sqlite3").is_file()


def test_damaged_cache_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "responses.sqlite3"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError) as info:
        open_cache(tmp_path).get("k")
    assert info.value.message == f"cannot open the response cache {path}: file is not a database"
    assert info.value.hint == "delete the file: it only holds cached answers"
