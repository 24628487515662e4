"""Which version a caller gets: stable buckets of a key, the canary's share of them."""

from __future__ import annotations

import hashlib

from promptops.deploy.environments import Assignment

BUCKETS = 10_000


def bucket(prompt: str, key: str | int) -> int:
    """Return the stable bucket (0..9999) of `key` for `prompt`: sha256, the same in every process."""
    digest = hashlib.sha256(f"{prompt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def choose(prompt: str, assignment: Assignment, key: str | int | None) -> tuple[str, bool]:
    """Return the version to serve and whether it is the canary (no key: the stable version)."""
    canary = assignment.canary
    if canary is None or key is None:
        return assignment.version, False
    if bucket(prompt, key) < round(canary.percent * BUCKETS / 100):
        return canary.version, True
    return assignment.version, False
