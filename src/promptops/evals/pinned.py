"""Datasets pinned by content (`dataset: {from: URI, sha256: ...}`): the file a URI names, its digest."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

from promptops.errors import FileFormatError, Problem


def local_path(uri: str, label: str, line: int | None) -> str:
    """Return the local path a dataset URI names: a plain path as given, `file://` as its absolute path."""
    parts = urlsplit(uri)
    if len(parts.scheme) <= 1:  # no scheme, or a Windows drive letter
        return uri
    if parts.scheme != "file":
        raise FileFormatError(
            [
                Problem(
                    file=label,
                    line=line,
                    path="dataset.from",
                    message=f"unsupported scheme '{parts.scheme}:'; expected a local path or a file:// URI",
                )
            ],
            hint="download the dataset first and point `from` at the local copy",
        )
    if parts.netloc not in ("", "localhost"):
        raise FileFormatError(
            [
                Problem(
                    file=label,
                    line=line,
                    path="dataset.from",
                    message=f"file:// URI names another host '{parts.netloc}'",
                )
            ]
        )
    return str(Path(unquote(parts.path)))


def digest(raw: bytes) -> str:
    """Return the sha256 of `raw` as 64 hex digits."""
    return hashlib.sha256(raw).hexdigest()
