"""Deterministic JSON text: fixed float precision, sorted keys, content hashes (formats re-exports them)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

FLOAT_DIGITS = 6


def normalize(value: Any) -> Any:
    """Return `value` with floats rounded to fixed precision and tuples as lists."""
    if isinstance(value, float):
        if value != 0 and abs(value) < 10**-FLOAT_DIGITS * 1000:
            # tiny amounts (a call's cost in USD) keep 6 significant digits instead of becoming 0
            return float(f"{value:.{FLOAT_DIGITS}g}")
        rounded = round(value, FLOAT_DIGITS)
        return 0.0 if rounded == 0 else rounded
    if isinstance(value, Mapping):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    return value


def dump_json(value: Any) -> str:
    """Return deterministic JSON: sorted keys, fixed float precision, trailing newline.

    The text is that of `json.dumps(normalize(value), sort_keys=True, indent=2, ensure_ascii=False)`,
    written in one pass: json's indenting encoder is pure Python and 3x slower on a results file.
    """
    out: list[str] = []
    _write_json(value, "\n", out)
    out.append("\n")
    return "".join(out)


_encode_str: Any = json.encoder.encode_basestring


def _write_json(value: Any, newline: str, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_encode_str(value))
    elif value is None or value is True or value is False:
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float_text(normalize(value)))
    elif isinstance(value, Mapping):
        items = {str(k): v for k, v in value.items()}
        if not items:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key in sorted(items):
            out.append(separator + _encode_str(key) + ": ")
            _write_json(items[key], inner, out)
            separator = "," + inner
        out.append(newline + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _write_json(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    else:
        out.append(json.dumps(value))  # raises TypeError for what JSON cannot hold, as json.dumps does


def _float_text(value: float) -> str:
    if math.isfinite(value):
        return float.__repr__(value)
    return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"


def content_hash(value: Any) -> str:
    """Return `sha256:<hex>` of the canonical JSON of `value`."""
    canonical = json.dumps(normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def decoded(value: Any) -> Any:
    """Return `value` parsed when it is JSON text, else as it is (a tool result may be JSON or plain text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
