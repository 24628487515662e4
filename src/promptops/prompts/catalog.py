"""The model catalog: litellm's bundled price map read as data (litellm itself is never imported)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

PRICE_MAP_FILE = "model_prices_and_context_window_backup.json"

# A snapshot date (2024-08-06, 20241022, 0613) or a numbered revision (gemini-1.5-pro-002).
_DATE = r"(?:20\d{2}-\d{2}-\d{2}|20\d{6}|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
_PINNED = re.compile(rf"(?:^|[-@_.:]){_DATE}(?=$|[-@_.:])|-0\d\d$")
_DATED = re.compile(rf"^(?P<stem>.+?)[-@](?P<date>{_DATE})(?:-v\d+(?::\d+)?)?$")
_FLOATING_SUFFIX = re.compile(r"[-:]latest$")


@dataclass(frozen=True, kw_only=True)
class Catalog:
    """Known models (name -> litellm provider) and the dated snapshots of each undated name."""

    providers: Mapping[str, str]
    snapshots: Mapping[str, tuple[str, ...]]

    def floating(self, model: str) -> tuple[str, ...] | None:
        """Return the pinned alternatives when `model` is a floating alias, else None."""
        if is_pinned(model):
            return None
        stem = _FLOATING_SUFFIX.sub("", model)
        latest = stem != model
        for prefix, name in _spellings(stem):
            found = self.snapshots.get(name)
            if found:
                provider = self.providers.get(name)
                same = [s for s in found if provider is None or self.providers.get(s) == provider]
                return tuple(prefix + s for s in _newest_first(same or list(found)))
        return () if latest else None


def is_pinned(model: str) -> bool:
    """Return whether the model name carries a snapshot date or revision number."""
    return _PINNED.search(model.rsplit("/", 1)[-1]) is not None


def _spellings(model: str) -> list[tuple[str, str]]:
    # `openai/gpt-4o` is listed as `gpt-4o`: try the name with each leading provider segment removed
    parts = model.split("/")
    return [("/".join(parts[:i]) + ("/" if i else ""), "/".join(parts[i:])) for i in range(len(parts))]


def _newest_first(names: list[str]) -> list[str]:
    def key(name: str) -> tuple[str, str]:
        match = _DATED.match(name)
        date = match.group("date").replace("-", "") if match else ""
        return (date if len(date) == 8 else f"0000{date}", name)

    return sorted(names, key=key, reverse=True)


def price_map_path() -> Path | None:
    """Return the price-map JSON inside the installed litellm package, without importing litellm."""
    try:
        spec = find_spec("litellm")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / PRICE_MAP_FILE
        if candidate.is_file():
            return candidate
    return None


def build(entries: Mapping[str, Any]) -> Catalog:
    """Return the catalog of a price map's entries."""
    providers: dict[str, str] = {}
    snapshots: dict[str, list[str]] = {}
    for name, info in entries.items():
        if not isinstance(info, dict) or name == "sample_spec":
            continue
        providers[name] = str(info.get("litellm_provider", ""))
        match = _DATED.match(name)
        if match:
            snapshots.setdefault(match.group("stem"), []).append(name)
    return Catalog(providers=providers, snapshots={k: tuple(v) for k, v in snapshots.items()})


@cache
def entries() -> Mapping[str, Any]:
    """Return the installed litellm's price map as data (empty when litellm or its map is missing)."""
    path = price_map_path()
    if path is None:
        return {}
    try:
        loaded = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


@cache
def load() -> Catalog:
    """Return the catalog of the installed litellm (empty when litellm or its map is missing)."""
    return build(entries())


def token_prices(model: str) -> tuple[float, float] | None:
    """Return (input, output) USD per token for `model` from the price map, as litellm prices it."""
    for _, name in _spellings(model)[:2]:  # `openai/gpt-4o` is listed as `gpt-4o`
        info = entries().get(name)
        if isinstance(info, dict):
            prices = info.get("input_cost_per_token"), info.get("output_cost_per_token")
            if all(isinstance(p, int | float) and not isinstance(p, bool) for p in prices):
                return float(prices[0]), float(prices[1])  # type: ignore[arg-type]
    return None


def capabilities(model: str) -> Mapping[str, bool]:
    """Return the `supports_*` flags litellm's model map lists for `model` (empty when unknown)."""
    for _, name in _spellings(model)[:2]:
        info = entries().get(name)
        if isinstance(info, dict):
            return {k: v for k, v in info.items() if k.startswith("supports_") and isinstance(v, bool)}
    return {}
