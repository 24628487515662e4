"""litellm callbacks for one block of a test, and none left behind for later tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

# litellm promotes `callbacks` into four more lists and skips a second logger of a type it already holds
LISTS = (
    "callbacks",
    "success_callback",
    "failure_callback",
    "_async_success_callback",
    "_async_failure_callback",
)


@contextlib.contextmanager
def installed(*callbacks: Any) -> Iterator[None]:
    """Make `callbacks` litellm's callbacks for the block, then put every list back as it was.

    A callback of the same type that an earlier test left in the lists is taken out for the block,
    or litellm would skip the new one and give that one this test's calls."""
    import litellm

    saved = {name: list(getattr(litellm, name)) for name in LISTS}
    kinds = tuple({type(c) for c in callbacks})
    for name in LISTS:
        setattr(litellm, name, [c for c in getattr(litellm, name) if not isinstance(c, kinds)])
    litellm.callbacks = list(callbacks)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(litellm, name, value)
