"""promptops: a git-native prompt registry and CI eval gate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from promptops.version import __version__

if TYPE_CHECKING:
    from promptops.sdk import Prompt, load_prompt

__all__ = ["Prompt", "__version__", "load_prompt"]


def __getattr__(name: str) -> Any:
    # The SDK is loaded on first use so `import promptops` stays light for the CLI.
    if name in {"load_prompt", "Prompt"}:
        from promptops import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'promptops' has no attribute {name!r}")
