"""The on-disk response cache: SQLite in .promptops/cache, keyed by model, messages, params,
tools, tool choice, response format and repeat."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from promptops.errors import InputError
from promptops.evals.calls import CallRequest, Reply
from promptops.evals.records import CacheStats
from promptops.formats import content_hash

CACHE_FILE = "responses.sqlite3"
FORMAT = 1  # bump when a cached Reply changes meaning; old rows are then ignored


def cache_key(request: CallRequest, repeat: int) -> str:
    """Return the key of one answer: the model, rendered messages, params, tools, tool choice, response
    format and the repeat index (a request without tools keeps the key it had before they existed)."""
    return content_hash({"format": FORMAT, "request": request.identity(), "repeat": repeat})


@dataclass
class ResponseCache:
    """Answers by key. `read=False` (--no-cache) skips lookups but still stores fresh answers."""

    path: Path
    read: bool = True
    hits: int = 0
    misses: int = 0
    # told once when the cache fails mid-run (a full disk): the run goes on without it
    warn: Callable[[str], None] | None = None
    failed: str | None = None
    _db: sqlite3.Connection | None = field(default=None, repr=False)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, model TEXT NOT NULL, "
                    "reply TEXT NOT NULL)"
                )
            except sqlite3.Error as exc:
                raise InputError(
                    f"cannot open the response cache {self.path}: {exc}",
                    hint="delete the file: it only holds cached answers",
                ) from None
            self._db = db
        return self._db

    def get(self, key: str) -> Reply | None:
        """Return the cached answer for `key` (and count a hit or a miss)."""
        if not self.read or self.failed is not None:
            self.misses += 1
            return None
        try:
            row = self._conn().execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            self._fail(exc)
            row = None
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return Reply.from_dict(json.loads(row[0]))

    def put(self, key: str, model: str, reply: Reply) -> None:
        """Store an answer at once, so an interrupted run keeps it (secrets redacted: CI caches this file)."""
        if self.failed is not None:
            return
        try:
            self._conn().execute(
                "INSERT OR REPLACE INTO replies (key, model, reply) VALUES (?, ?, ?)",
                (key, model, json.dumps(reply.redacted().to_dict(), sort_keys=True)),
            )
        except sqlite3.Error as exc:
            self._fail(exc)

    def _fail(self, exc: sqlite3.Error) -> None:
        # answers already paid for must not be lost to a cache problem: go on without the cache
        self.failed = f"the response cache {self.path} failed ({exc}); going on without it"
        if self.warn is not None:
            self.warn(self.failed)
        with contextlib.suppress(sqlite3.Error):
            self.close()

    def stats(self) -> CacheStats:
        return CacheStats(hits=self.hits, misses=self.misses)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def open_cache(
    state_dir: Path, read: bool = True, warn: Callable[[str], None] | None = None
) -> ResponseCache:
    """Return the project's response cache (created on first write)."""
    return ResponseCache(state_dir / "cache" / CACHE_FILE, read=read, warn=warn)
