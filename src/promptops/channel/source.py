"""Where a channel is read from: a static HTTP(S) host (stdlib urllib) or a directory."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from promptops.channel.pointer import BUNDLES, POINTERS

MAX_BUNDLE_BYTES = 50_000_000
_CHUNK = 65_536


class UnreachableError(Exception):
    """The channel did not answer (or answered with an error): a transient failure, retried next poll."""


@dataclass(frozen=True, kw_only=True)
class Fetched:
    data: bytes
    tag: str | None  # the ETag (HTTP) or modification time and size (directory) for the next poll


class Source(Protocol):
    @property
    def label(self) -> str: ...

    def pointer(self, env: str, tag: str | None) -> Fetched | None:
        """Return the pointer's bytes, or None when unchanged since `tag`; raise UnreachableError."""
        ...

    def bundle(self, digest: str) -> bytes:
        """Return `bundles/<digest>.json`; raise UnreachableError (a missing bundle is transient)."""
        ...


def open_source(channel: str | os.PathLike[str], timeout_s: float) -> Source:
    """Return the source of `channel`: an http(s):// URL, a file:// URL or a directory path."""
    text = os.fspath(channel)
    if text.startswith(("http://", "https://")):
        return HttpSource(base=text if text.endswith("/") else text + "/", timeout_s=timeout_s)
    if text.startswith("file://"):
        text = urllib.parse.unquote(urllib.parse.urlparse(text).path)
    return DirSource(root=Path(text))


@dataclass(frozen=True, kw_only=True)
class HttpSource:
    base: str
    timeout_s: float

    @property
    def label(self) -> str:
        return self.base

    def pointer(self, env: str, tag: str | None) -> Fetched | None:
        headers = {"If-None-Match": tag} if tag else {}
        return self._get(f"{POINTERS}/{urllib.parse.quote(env)}.json", headers, 64_000)

    def bundle(self, digest: str) -> bytes:
        found = self._get(f"{BUNDLES}/{digest}.json", {}, MAX_BUNDLE_BYTES)
        assert found is not None  # no If-None-Match: never 304
        return found.data

    def _get(self, rel: str, headers: dict[str, str], limit: int) -> Fetched | None:
        url = urllib.parse.urljoin(self.base, rel)
        request = urllib.request.Request(url, headers={"Cache-Control": "no-cache", **headers})  # noqa: S310
        deadline = time.monotonic() + self.timeout_s
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                data = _read(response, limit, deadline, url)
                return Fetched(data=data, tag=response.headers.get("ETag"))
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return None
            raise UnreachableError(f"{url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise UnreachableError(f"{url}: {reason}") from None


def _read(response: object, limit: int, deadline: float, url: str) -> bytes:
    # a slow host that trickles bytes must not hold a poll past timeout_s
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(_CHUNK)  # type: ignore[attr-defined]
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise UnreachableError(f"{url}: larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise UnreachableError(f"{url}: timed out")
        chunks.append(chunk)


@dataclass(frozen=True, kw_only=True)
class DirSource:
    root: Path

    @property
    def label(self) -> str:
        return str(self.root)

    def pointer(self, env: str, tag: str | None) -> Fetched | None:
        path = self.root / POINTERS / f"{env}.json"
        try:
            info = path.stat()
            stamp = f"{info.st_mtime_ns}:{info.st_size}"
            if stamp == tag:
                return None
            return Fetched(data=path.read_bytes()[:64_001], tag=stamp)
        except OSError as exc:
            raise UnreachableError(f"{path}: {exc.strerror or exc}") from None

    def bundle(self, digest: str) -> bytes:
        path = self.root / BUNDLES / f"{digest}.json"
        try:
            with path.open("rb") as handle:
                return handle.read(MAX_BUNDLE_BYTES + 1)
        except OSError as exc:
            raise UnreachableError(f"{path}: {exc.strerror or exc}") from None
