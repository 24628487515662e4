"""Shadow mode: a version served to no one, called after the primary with the same variables."""

from __future__ import annotations

import threading
from typing import Any

from promptops.sdk.prompt import Prompt
from promptops.sdk.routing import BUCKETS, bucket
from promptops.sdk.spans import CURRENT_RUN

SHADOW_OFF = (
    "tools",
    "tool_choice",
    "functions",
    "function_call",
    "parallel_tool_calls",
    "stream",
    "fallbacks",
)
PAIR_KEY = "promptops.pair_id"
_SHADOW_SLOTS = threading.BoundedSemaphore(
    4
)  # shadow calls in flight at once; more are skipped, never queued


def new_pair_id() -> str:
    """Return a fresh id that pairs a primary call with its shadow call."""
    import uuid

    return uuid.uuid4().hex


def _attribute(kwargs: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    # attribution sits where the tracing metadata keeps it: a nested `metadata` dict when there is one
    metadata = kwargs.setdefault("metadata", {})
    nested = metadata.get("metadata") if isinstance(metadata.get("metadata"), dict) else metadata
    nested.update(found)
    tags = metadata.get("tags")
    if isinstance(tags, list) and "promptops.arm" in found:
        kept = [t for t in tags if not str(t).startswith("promptops.arm:")]
        metadata["tags"] = [*kept, f"promptops.arm:{found['promptops.arm']}"]
    return kwargs


def paired_kwargs(primary: Prompt, pair_id: str, **values: Any) -> dict[str, Any]:
    """Return the primary call's `litellm.completion` kwargs, carrying `pair_id` for its shadow."""
    return _attribute(primary.completion_kwargs(**values), {PAIR_KEY: pair_id})


def shadow_kwargs(shadow: Prompt, primary: Prompt, pair_id: str, **values: Any) -> dict[str, Any]:
    """Return the kwargs of the shadow call: the shadow version on the same variables, served to no one.

    Tools, streaming and fallbacks are off (a shadow must not act); the call is attributed to the primary's
    environment with arm `shadow`, purpose `shadow` and the primary's `pair_id`.
    """
    token = CURRENT_RUN.set(None)  # a shadow call is no step of the user's run
    try:
        kwargs = shadow.completion_kwargs(**values)
    finally:
        CURRENT_RUN.reset(token)
    for key in SHADOW_OFF:
        kwargs.pop(key, None)
    found = {
        PAIR_KEY: pair_id,
        "promptops.arm": "shadow",
        "promptops.purpose": "shadow",
        "promptops.environment": primary.environment,
    }
    return _attribute(kwargs, found)


def call_with_shadow(
    complete: Any,
    primary: Prompt,
    shadow: Prompt,
    *,
    rate: float = 1.0,
    timeout_s: float = 30.0,
    key: str | int | None = None,
    **values: Any,
) -> Any:
    """Return `complete(**kwargs)` of the primary; then, for a `rate` share, fire the shadow call.

    `complete` is the application's `litellm.completion` (the SDK imports no model client). The shadow call
    runs in a daemon thread after the primary has returned, with `timeout_s`; its result and its errors are
    dropped, never returned to the user; its record (written by the tracing callback) pairs by id. The
    primary goes without `fallbacks` (litellm would drop its tracing metadata); use `attempts()` for those.
    """
    pair_id = new_pair_id()
    kwargs = paired_kwargs(primary, pair_id, **values)
    kwargs.pop("fallbacks", None)  # litellm drops callbacks and metadata on its fallbacks path: no pairing
    result = complete(**kwargs)
    chosen = bucket(f"{primary.name}#shadow", key) < rate * BUCKETS if key is not None else _draw() < rate
    if chosen and _SHADOW_SLOTS.acquire(blocking=False):
        second = {**shadow_kwargs(shadow, primary, pair_id, **values), "timeout": timeout_s}
        threading.Thread(target=_fire, args=(complete, second), daemon=True, name="promptops-shadow").start()
    return result


def _draw() -> float:
    import random

    return random.random()  # noqa: S311 -- sampling traffic, not secrecy


def _fire(complete: Any, kwargs: dict[str, Any]) -> None:
    try:
        complete(**kwargs)
    except Exception:  # a failing shadow must never reach the application
        import logging

        logging.getLogger("promptops.shadow").debug("shadow call failed", exc_info=True)
    finally:
        _SHADOW_SLOTS.release()


# --- agents: the run and tool attribution of DESIGN §9.4 (OpenTelemetry optional: a no-op without it) ---
