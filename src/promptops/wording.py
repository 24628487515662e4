"""How numbers and lists read in messages and reports: money (per call and a month), id lists."""

from __future__ import annotations

import math
from collections.abc import Sequence

# Below a millionth of a cent an amount is float noise (the difference of two equal sums), not money.
MONEY_NOISE = 1e-12


def money(value: float, *, signed: bool = False) -> str:
    """Return USD with three significant digits, never in exponent form: $0.00000306, $0.0100, $12.3;
    `signed` puts + or - in front (a delta). Float noise reads as $0.00."""
    sign = "+" if signed else ""
    if not math.isfinite(value):
        return f"{sign}${value:.2f}"
    if abs(value) < MONEY_NOISE:
        return f"{sign}$0.00"
    digits = max(2, 2 - math.floor(math.log10(abs(value))))
    return f"{'-' if value < 0 else sign}${abs(value):.{digits}f}"


def usd_month(value: float | None) -> str:
    """Return a monthly amount as a reader scans it: $1,240 (whole dollars from $100), else $0.305."""
    if value is None:
        return "unknown"
    if abs(value) >= 100:
        return f"{'-' if value < 0 else ''}${abs(value):,.0f}"
    return money(value)


def signed_month(value: float | None) -> str:
    """Return a monthly difference with its sign: +$1,240, -$12.0, unknown."""
    if value is None:
        return "unknown"
    return ("+" if value >= 0 else "") + usd_month(value)


def change(ratio: float) -> str:
    """Return a relative change as a signed whole percent (+12%), never `-0%`."""
    rounded = round(ratio * 100)
    return f"{'+' if rounded >= 0 else '-'}{abs(rounded)}%"


def ids_text(ids: Sequence[str], limit: int = 10) -> str:
    """Return ids joined by commas, with `and N more` past `limit`."""
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")
