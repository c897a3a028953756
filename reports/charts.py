"""Charts drawn on the server as SVG: no script, no CDN, no inline style (the CSP forbids them); colours
and sizes are SVG presentation attributes. Every chart is shown beside a table of the same numbers.

A `ChartSpec` is what a report describes: a line (trend) or grouped-bar chart, x labels, series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#1f6feb", "#d4a72c", "#1a7f37", "#cf222e", "#8250df", "#0a7d91", "#bc4c00", "#57606a"]
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56


@dataclass
class Series:
    label: str | Promise
    values: list[float | int | None]


@dataclass
class ChartSpec:
    kind: str  # "line" or "bar"
    title: str | Promise
    x_labels: list[str]
    series: list[Series] = field(default_factory=list)
    unit: str = ""  # shown after the axis numbers, e.g. "%"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def render_svg(spec: ChartSpec) -> SafeString:
    """The chart as an <svg> element (escaped text, attributes only)."""
    values = [v for s in spec.series for v in s.values if v is not None]
    top = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(spec.x_labels), 1)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * (value / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(spec.title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(spec.title)}</title>",
    ]
    for i in range(5):
        value = top * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="#57606a">'
            f"{escape(_number(value))}{escape(spec.unit)}</text>"
        )
    step = plot_w / n
    every = max(1, n // 12)  # at most about twelve x labels
    for i, label in enumerate(spec.x_labels):
        if i % every:
            continue
        x = LEFT + step * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="#57606a">'
            f"{escape(label)}</text>"
        )
    count = max(len(spec.series), 1)
    for k, series in enumerate(spec.series):
        colour = PALETTE[k % len(PALETTE)]
        if spec.kind == "bar":
            bar_w = step * 0.8 / count
            for i, value in enumerate(series.values):
                if value is None:
                    continue
                x = LEFT + step * i + step * 0.1 + bar_w * k
                parts.append(
                    f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar_w:.1f}" '
                    f'height="{TOP + plot_h - y(value):.1f}" fill="{colour}">'
                    f"<title>{escape(series.label)} {escape(spec.x_labels[i])}: {escape(_number(value))}"
                    f"{escape(spec.unit)}</title></rect>"
                )
        else:
            points = [
                f"{LEFT + step * (i + 0.5):.1f},{y(v):.1f}"
                for i, v in enumerate(series.values)
                if v is not None
            ]
            if points:
                parts.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
            for i, value in enumerate(series.values):
                if value is None:
                    continue
                parts.append(
                    f'<circle cx="{LEFT + step * (i + 0.5):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(series.label)} {escape(spec.x_labels[i])}: {escape(_number(value))}"
                    f"{escape(spec.unit)}</title></circle>"
                )
    # Legend along the bottom.
    x = LEFT
    for k, series in enumerate(spec.series):
        colour = PALETTE[k % len(PALETTE)]
        label = escape(series.label)
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 20}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 11}" fill="#24292f">{label}</text>'
        )
        x += 24 + 12 * len(str(series.label))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
