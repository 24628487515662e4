"""How numbers and lists read in messages and reports: money, id lists."""

from __future__ import annotations

import math
from collections.abc import Sequence


def money(value: float) -> str:
    """Return USD with three significant digits, never in exponent form: $0.00000306, $0.0100, $12.3."""
    if value == 0 or not math.isfinite(value):
        return f"${value:.2f}"
    digits = max(2, 2 - math.floor(math.log10(abs(value))))
    return f"{'-' if value < 0 else ''}${abs(value):.{digits}f}"


def ids_text(ids: Sequence[str], limit: int = 10) -> str:
    """Return ids joined by commas, with `and N more` past `limit`."""
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
