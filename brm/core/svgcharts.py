"""Line and bar charts as inline SVG, drawn on the server: for documents that run no script.

The pages draw their charts with Chart.js on a canvas; a PDF renderer (WeasyPrint) runs no
JavaScript, so a printed page draws the same series here instead. One place for it: callers give
labels and series, these functions give markup.

Accessibility (WAI-ARIA graphics, SVG 2 `title`/`desc`): the root is `role="img"` labelled by its
`<title>` and described by a `<desc>` that states each series' first, last, lowest and highest
value, so a screen reader or a text extractor gets the figures without the picture. Every piece
of text is escaped. Missing values (None) leave a gap in a line and no bar.

Shapes: `labels` is a list of N strings (the x axis); each `Series.values` holds N numbers or
None, in the chart's unit (`unit`, e.g. "%" or ""). Sizes are SVG user units (CSS px).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

_ids = itertools.count(1)

PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 36, 12, 8, 40
LEGEND_ROW = 16


@dataclass(frozen=True)
class Series:
    """One line or one set of bars: a label for the legend, N values, a CSS colour, an optional
    SVG dash pattern ("6 3")."""

    label: str
    values: Sequence[float | None]
    color: str
    dash: str = ""


def _fmt(value: float) -> str:
    """A figure as the description reads it: whole numbers without decimals, else one decimal
    (with the active language's decimal mark)."""
    decimals = 0 if float(value).is_integer() else 1
    return str(number_format(round(float(value), decimals), decimals))


def describe(labels: Sequence[str], series: Sequence[Series], unit: str = "") -> str:
    """The chart in words: per series, its first and last point and its range."""
    if not labels:
        return gettext("No data.")
    parts = []
    for s in series:
        points = [(lbl, v) for lbl, v in zip(labels, s.values, strict=False) if v is not None]
        if not points:
            parts.append(gettext("%(series)s: no data.") % {"series": s.label})
            continue
        (first_l, first_v), (last_l, last_v) = points[0], points[-1]
        values = [v for _, v in points]
        if len(points) == 1:
            parts.append(
                gettext("%(series)s: %(value)s (%(label)s).")
                % {"series": s.label, "value": _fmt(first_v) + unit, "label": first_l}
            )
        else:
            parts.append(
                gettext(
                    "%(series)s: %(first)s on %(first_label)s, %(last)s on %(last_label)s "
                    "(lowest %(lowest)s, highest %(highest)s)."
                )
                % {
                    "series": s.label,
                    "first": _fmt(first_v) + unit,
                    "first_label": first_l,
                    "last": _fmt(last_v) + unit,
                    "last_label": last_l,
                    "lowest": _fmt(min(values)) + unit,
                    "highest": _fmt(max(values)) + unit,
                }
            )
    return " ".join(parts)


def _scale_max(series: Sequence[Series], y_max: float | None) -> float:
    if y_max is not None:
        return y_max
    top = max((v for s in series for v in s.values if v is not None), default=0.0)
    return float(top) if top > 0 else 1.0


def _frame(
    *,
    title: str,
    desc: str,
    width: int,
    height: int,
    y_max: float,
    labels: Sequence[str],
    series: Sequence[Series],
    body: list[str],
    x_at: list[float],
) -> SafeString:
    """The axes, grid, x labels (at most about eight), legend and accessible names around `body`."""
    uid = f"svgchart-{next(_ids)}"
    plot_h = height - PAD_TOP - PAD_BOTTOM
    bottom = PAD_TOP + plot_h
    legend_y = height + 4
    total_h = height + LEGEND_ROW * len(series) + 4
    out: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart" role="img" '
            'width="{}" height="{}" viewBox="0 0 {} {}" aria-labelledby="{}-t {}-d">'
            '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
            width,
            total_h,
            width,
            total_h,
            uid,
            uid,
            uid,
            title,
            uid,
            desc,
        )
    ]
    out.append('<g font-family="sans-serif" font-size="10" fill="#333">')
    for i in range(5):  # gridlines at 0, 25, 50, 75, 100 % of the scale
        value = y_max * i / 4
        y = bottom - plot_h * i / 4
        out.append(
            f'<line x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{PAD_LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{_fmt(value)}</text>'
        )
    step = max(1, -(-len(labels) // 8))
    for i in range(0, len(labels), step):
        # A label on the plot's edge (a line's first and last point) leans inwards, uncut.
        anchor = "middle"
        if x_at[i] <= PAD_LEFT + 1 and len(labels) > 1:
            anchor = "start"
        elif x_at[i] >= width - PAD_RIGHT - 1:
            anchor = "end"
        out.append(
            f'<text x="{x_at[i]:.1f}" y="{bottom + 14}" text-anchor="{anchor}">'
            f"{escape(labels[i])}</text>"
        )
    out.extend(body)
    for row, s in enumerate(series):
        y = legend_y + row * LEGEND_ROW
        dash = f' stroke-dasharray="{escape(s.dash)}"' if s.dash else ""
        out.append(
            f'<line x1="{PAD_LEFT}" x2="{PAD_LEFT + 20}" y1="{y + 6}" y2="{y + 6}" '
            f'stroke="{escape(s.color)}" stroke-width="3"{dash}/>'
            f'<text x="{PAD_LEFT + 26}" y="{y + 10}">{escape(s.label)}</text>'
        )
    out.append("</g></svg>")
    return mark_safe("".join(out))  # noqa: S308 - every variable part above is escaped


# What a chart kind draws inside the frame, given (y_top, plot_w, plot_h) in the chart's unit and
# px: its SVG elements and the x (px) of each label.
_Plot = Callable[[float, float, float], tuple[list[str], list[float]]]


def _chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str,
    y_max: float | None,
    width: int,
    height: int,
    plot: _Plot,
) -> SafeString:
    """The part line and bar charts share: the y scale (0 to `y_max`, default the largest value),
    the plot area inside the padding, then `_frame` (axes, grid, labels, legend, accessible
    description) around what `plot` draws."""
    y_top = _scale_max(series, y_max)
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = height - PAD_TOP - PAD_BOTTOM
    body, x_at = plot(y_top, plot_w, plot_h)
    return _frame(
        title=title,
        desc=describe(labels, series, unit),
        width=width,
        height=height,
        y_max=y_top,
        labels=labels,
        series=series,
        body=body,
        x_at=x_at,
    )


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    y_max: float | None = None,
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Lines over a shared x axis (evenly spaced labels); y from 0 to `y_max` (default: the
    largest value). A None value breaks the line; a lone point is drawn as a dot."""

    def plot(y_top: float, plot_w: float, plot_h: float) -> tuple[list[str], list[float]]:
        n = len(labels)
        x_at = [PAD_LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]

        def y_of(v: float) -> float:
            return PAD_TOP + plot_h - plot_h * min(max(float(v), 0.0), y_top) / y_top

        body = []
        for s in series:
            runs: list[list[tuple[float, float]]] = [[]]
            for x, v in zip(x_at, s.values, strict=False):
                if v is None:
                    runs.append([])
                else:
                    runs[-1].append((x, y_of(v)))
            dash = f' stroke-dasharray="{escape(s.dash)}"' if s.dash else ""
            color = escape(s.color)
            for run in runs:
                if len(run) == 1:
                    body.append(
                        f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="2.5" '
                        f'fill="{color}"/>'
                    )
                elif run:
                    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                    body.append(
                        f'<polyline points="{points}" fill="none" stroke="{color}" '
                        f'stroke-width="2"{dash}/>'
                    )
        return body, x_at

    return _chart(
        labels,
        series,
        title=title,
        unit=unit,
        y_max=y_max,
        width=width,
        height=height,
        plot=plot,
    )


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    y_max: float | None = None,
    width: int = 640,
    height: int = 240,
) -> SafeString:
    """Grouped bars, one group per label and one bar per series; y from 0 to `y_max` (default:
    the largest value). A None value draws no bar."""

    def plot(y_top: float, plot_w: float, plot_h: float) -> tuple[list[str], list[float]]:
        n = max(len(labels), 1)
        group_w = plot_w / n
        bar_w = group_w * 0.8 / max(len(series), 1)
        x_at = [PAD_LEFT + group_w * (i + 0.5) for i in range(len(labels))]
        body = []
        for k, s in enumerate(series):
            color = escape(s.color)
            for i, v in enumerate(s.values[: len(labels)]):
                if v is None:
                    continue
                h = plot_h * min(max(float(v), 0.0), y_top) / y_top
                x = PAD_LEFT + group_w * i + group_w * 0.1 + bar_w * k
                body.append(
                    f'<rect x="{x:.1f}" y="{PAD_TOP + plot_h - h:.1f}" width="{bar_w:.1f}" '
                    f'height="{h:.1f}" fill="{color}"/>'
                )
        return body, x_at

    return _chart(
        labels,
        series,
        title=title,
        unit=unit,
        y_max=y_max,
        width=width,
        height=height,
        plot=plot,
    )
