"""Inline SVG charts for the HTML report: base-vs-head histograms and grouped bars (pure, escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from promptops.wording import money

WIDTH, HEIGHT, PAD, LEFT = 360, 170, 24, 34
BASE_COLOR, HEAD_COLOR = "#8a94a6", "#2f6fde"


def histogram(
    title: str,
    base: Sequence[float],
    head: Sequence[float],
    *,
    unit: str = "",
    bins: int = 10,
    bounds: tuple[float, float] | None = None,
) -> str:
    """Return an SVG of base and head values binned side by side (counts on the y axis)."""
    values = [*base, *head]
    if not values:
        return _empty(title)
    low, high = bounds if bounds is not None else (min(values), max(values))
    if high <= low:
        high = low + 1.0
    width = (high - low) / bins

    def counts(side: Sequence[float]) -> list[int]:
        out = [0] * bins
        for v in side:
            out[min(bins - 1, max(0, int((v - low) / width)))] += 1
        return out

    labels = [_tick(low + i * width, unit) for i in range(bins)]
    return bars(
        title,
        labels,
        counts(base),
        counts(head),
        axis=f"cases per bin ({_tick(low, unit)} to {_tick(high, unit)})",
    )


def bars(
    title: str,
    labels: Sequence[str],
    base: Sequence[float | None],
    head: Sequence[float | None],
    *,
    axis: str = "",
    top: float | None = None,
    percent: bool = False,
) -> str:
    """Return an SVG of grouped bars, base (grey) and head (blue) per label."""
    if not labels:
        return _empty(title)
    peak = top if top is not None else max([v for v in (*base, *head) if v is not None] or [1.0]) or 1.0
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - 2 * PAD - 14
    group = plot_w / len(labels)
    bar = max(1.0, group * 0.4)
    parts = [_frame(title), f'<text class="axis" x="{LEFT}" y="{HEIGHT - 4}">{escape(axis)}</text>']
    for i, label in enumerate(labels):
        x0 = LEFT + i * group + group * 0.1
        for offset, value, color in ((0.0, base[i], BASE_COLOR), (bar, head[i], HEAD_COLOR)):
            if value is None:
                continue
            h = plot_h * value / peak
            if percent:  # a tag at 0% stays visible as a sliver
                h = max(1.5, h)
            shown = f"{value:.0%}" if percent else f"{value:g}"
            parts.append(
                f'<rect x="{x0 + offset:.1f}" y="{PAD + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{escape(label)}: {shown}</title></rect>'
            )
        if len(labels) <= 6 or i % 2 == 0:
            parts.append(
                f'<text class="tick" x="{x0 + bar:.1f}" y="{PAD + plot_h + 12}" text-anchor="middle">'
                f"{escape(_short(label))}</text>"
            )
    top_label = f"{peak:.0%}" if percent else f"{peak:g}"
    parts.append(f'<text class="tick" x="2" y="{PAD + 4}">{escape(top_label)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{PAD + plot_h}" x2="{WIDTH - 8}" y2="{PAD + plot_h}" class="base"/>')
    return "".join(parts) + "</svg>"


def _frame(title: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)}"><text class="title" x="{LEFT}" y="14">{escape(title)}</text>'
    )


def _empty(title: str) -> str:
    return _frame(title) + f'<text class="axis" x="{LEFT}" y="{HEIGHT // 2}">no data</text></svg>'


def _short(label: str) -> str:
    return label if len(label) <= 11 else label[:10] + "…"


def _tick(value: float, unit: str) -> str:
    if unit == "usd":
        return money(value)
    if unit == "ms":
        return f"{value:.0f}ms"
    return f"{value:.1f}"
