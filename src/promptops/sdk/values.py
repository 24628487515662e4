"""Values as an application's prompt hands them out: deep-frozen, or plain JSON for logs and spans."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


def frozen(value: Any) -> Any:
    """Return `value` deep-frozen: mappings read-only, lists as tuples (callers cannot edit a version)."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    return value


def plain(values: dict[str, Any]) -> dict[str, Any]:
    # variables travel as JSON (a log line, a span attribute): anything else becomes its text
    simple = str | int | float | bool | None
    return {str(k): v if isinstance(v, simple) else json_safe(v) for k, v in values.items()}


def json_safe(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):
        return str(value)
