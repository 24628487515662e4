"""Whether a record counts for the prompt version it names: the released version's content hash decides."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from promptops.errors import PromptOpsError
from promptops.observe.traces.record import PromptRef

if TYPE_CHECKING:
    from promptops.project import Project

# (name, version) -> the released content hash, or raise PromptOpsError saying why there is none
Released = Callable[[str, str], str]

NO_PROMPT = "no prompt name"
NO_VERSION = "no prompt version"


class Attribution:
    """Decides attribution per record, asking `released` once per prompt version."""

    def __init__(self, released: Released) -> None:
        self._released = released
        self._hashes: dict[tuple[str, str], str | None] = {}
        self._why: dict[tuple[str, str], str] = {}
        self.unhashed = 0  # attributed by version alone: the record carried no content hash

    def check(self, prompt: PromptRef) -> str | None:
        """Return None when the record is attributed to its version, else the reason it is not."""
        if not prompt.name:
            return NO_PROMPT
        if not prompt.version:
            return NO_VERSION
        key = (prompt.name, prompt.version)
        if key not in self._hashes:
            try:
                self._hashes[key] = self._released(*key)
            except PromptOpsError as exc:
                self._hashes[key] = None
                self._why[key] = exc.message
        expected = self._hashes[key]
        if expected is None:
            return self._why[key]
        if prompt.hash is None:
            self.unhashed += 1
            return None
        if prompt.hash != expected:
            return f"content hash differs from {prompt.name}@{prompt.version}'s"
        return None


def registry_hashes(project: Project) -> Released:
    """Return a `released` function reading tagged versions from the project's git history."""
    from promptops.formats import content_hash
    from promptops.prompts.registry import open_registry

    registry = open_registry(project)

    def released(name: str, version: str) -> str:
        return content_hash(registry.load(f"{name}@{version}").content())

    return released
