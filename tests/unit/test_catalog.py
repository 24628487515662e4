"""The model catalog: litellm's bundled price map read as data, floating aliases and their pins."""

from __future__ import annotations

import pytest

from promptops.prompts import catalog

SYNTHETIC = {
    "sample_spec": {"litellm_provider": "one of ..."},
    "gpt-9": {"litellm_provider": "openai"},
    "gpt-9-2031-01-02": {"litellm_provider": "openai"},
    "gpt-9-2030-05-06": {"litellm_provider": "openai"},
    "claude-x-20300101": {"litellm_provider": "anthropic"},
    "claude-x-20300101-v1:0": {"litellm_provider": "bedrock"},
    "claude-x": {"litellm_provider": "anthropic"},
    "vertex_ai/claude-x@20300101": {"litellm_provider": "vertex_ai"},
    "turbo-0613": {"litellm_provider": "openai"},
    "broken": "not a mapping",
}


@pytest.mark.parametrize(
    ("model", "alternatives"),
    [
        ("gpt-9", ("gpt-9-2031-01-02", "gpt-9-2030-05-06")),
        ("openai/gpt-9", ("openai/gpt-9-2031-01-02", "openai/gpt-9-2030-05-06")),
        ("anthropic/claude-x", ("anthropic/claude-x-20300101",)),  # not the bedrock snapshot
        ("vertex_ai/claude-x", ("vertex_ai/claude-x@20300101",)),
        ("turbo", ("turbo-0613",)),
        ("gpt-9-latest", ("gpt-9-2031-01-02", "gpt-9-2030-05-06")),
        ("unheard-of-latest", ()),
        ("ollama/llama3:latest", ()),
        ("gpt-9-2031-01-02", None),
        ("claude-x-20300101", None),
        ("turbo-0613", None),
        ("gemini-9-pro-002", None),
        ("unheard-of", None),
        ("groq/llama3-8b-8192", None),  # 8192 is not a date
    ],
)
def test_floating(model: str, alternatives: tuple[str, ...] | None) -> None:
    assert catalog.build(SYNTHETIC).floating(model) == alternatives


def test_the_installed_price_map_is_found_without_importing_litellm() -> None:
    path = catalog.price_map_path()
    assert path is not None
    assert path.name == "model_prices_and_context_window_backup.json"
    known = catalog.load()
    assert "openai/gpt-4o-2024-08-06" in (known.floating("openai/gpt-4o") or ())
    assert known.floating("openai/gpt-4o-mini-2024-07-18") is None


def test_without_litellm_the_catalog_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "find_spec", lambda name: None)
    catalog.load.cache_clear()
    catalog.entries.cache_clear()
    try:
        assert catalog.price_map_path() is None
        assert catalog.load().floating("gpt-4o") is None
        assert catalog.load().floating("gpt-4o-latest") == ()
    finally:
        catalog.load.cache_clear()
        catalog.entries.cache_clear()
