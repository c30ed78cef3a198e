"""Server-drawn bar charts: the geometry is computed here, the SVG is a template
(templates/charts/bar_chart.html) styled by CSS classes only. Every chart on a page is
also given as a table of the same numbers."""

import textwrap
from dataclasses import dataclass
from decimal import Decimal

from . import languages

WIDTH = 420
BAR_AREA = 270
BAR_HEIGHT = 16
LINE_HEIGHT = 18  # of a label line (15 units of text: site.css)
LABEL_LINE = 46  # characters of a label line: longer labels wrap, never cut
ROW_GAP = 14
CHAR_WIDTH = 8  # average width of a character of the value text, in SVG units


@dataclass
class Bar:
    label: str
    # None: nothing to draw (a period with only its target), `text` says why.
    value: Decimal | None
    text: str
    base: Decimal | None = None
    marker: Decimal | None = None
    marker_text: str = ""
    css: str = ""
    # The label's language where it is not the visitor's (grants.languages.marked).
    lang: str | None = None


def _lines(label):
    """A label in lines that fit the chart's width, whole words kept."""
    return textwrap.wrap(str(label), LABEL_LINE, break_long_words=False) or [""]


def _coord(number):
    # Attributes must not be localized (202,5 would break the SVG in Spanish).
    return f"{number:.1f}"


def bar_chart(bars, *, chart_id, title, description, marker_legend=""):
    """Horizontal bars, one per row, scaled to the largest value or marker. Negative
    values are drawn as empty bars (their numbers are in the table)."""
    scale_max = max(
        [max(bar.value, 0) for bar in bars if bar.value is not None]
        + [max(bar.marker, 0) for bar in bars if bar.marker is not None]
        + [max(bar.base, 0) for bar in bars if bar.base is not None]
        + [Decimal(0)]
    )

    def length(number):
        if not scale_max or number is None or number <= 0:
            return 0.0
        return float(number / scale_max) * BAR_AREA

    rows = []
    top = 0
    for bar in bars:
        # (text, in the label's own language): a label shown in another language
        # than the visitor's is marked on a line of its own, so it wraps as well.
        lines = [(line, True) for line in _lines(bar.label)]
        if bar.lang:
            lines.append((f"({languages.only_in(bar.lang)})", False))
        label_height = len(lines) * LINE_HEIGHT
        bar_width = length(bar.value)
        marker_x = length(bar.marker) if bar.marker is not None else 0.0
        value_x = max(bar_width, marker_x) + 6
        # (Without a value there is no bar to write in: the text fits after the
        # marker, which is at most BAR_AREA.)
        value_inside = (
            bar.value is not None and value_x + len(bar.text) * CHAR_WIDTH > WIDTH
        )
        if value_inside:
            # No room after the bar: write the value inside it, from its end.
            value_x = bar_width - 6
        bar_top = top + label_height + 4
        row = {
            "label": bar.label,
            "label_lines": [
                (line, _coord(top + 14 + n * LINE_HEIGHT), own)
                for n, (line, own) in enumerate(lines)
            ],
            "lang": bar.lang,
            "text": bar.text,
            "css": bar.css,
            "bar_y": _coord(bar_top),
            "bar_w": _coord(max(bar_width, 1.0)) if bar.value is not None else None,
            "value_x": _coord(value_x),
            "value_inside": value_inside,
            "value_y": _coord(bar_top + BAR_HEIGHT - 3),
            "base_w": _coord(length(bar.base)) if bar.base else None,
            "marker_x": None,
        }
        if bar.marker is not None:
            row.update(
                {
                    "marker_x": _coord(marker_x),
                    "marker_y1": _coord(bar_top - 3),
                    "marker_y2": _coord(bar_top + BAR_HEIGHT + 3),
                    "marker_text": bar.marker_text,
                }
            )
        rows.append(row)
        top = bar_top + BAR_HEIGHT + ROW_GAP
    return {
        "id": chart_id,
        "title": title,
        "description": description,
        "marker_legend": marker_legend,
        "width": WIDTH,
        "height": _coord(max(top, 46) + 4),
        "bar_height": BAR_HEIGHT,
        "rows": rows,
    }


# Step lines over time (an agreement's committed and disbursed totals) -------------

STEP_WIDTH, STEP_HEIGHT = 420, 230  # of the whole step chart
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 4, 416, 28, 196


@dataclass
class Series:
    label: str
    css: str
    # (date, total to date) in date order: the level holds until the next point.
    points: list


def step_chart(series, *, chart_id, title, description, top_text):
    """Cumulative totals as step lines on one time axis, scaled to the largest
    total. `top_text` labels the top of the scale (the largest total, in words)."""
    dates = [day for line in series for day, _value in line.points]
    if not dates:
        return None
    first, last = min(dates), max(dates)
    span = (last - first).days
    top = max([value for line in series for _d, value in line.points] + [Decimal(0)])

    def x(day):
        if not span:
            return (PLOT_LEFT + PLOT_RIGHT) / 2
        return PLOT_LEFT + (day - first).days / span * (PLOT_RIGHT - PLOT_LEFT)

    def y(value):
        if top <= 0:
            return PLOT_BOTTOM
        share = float(max(value, 0) / top)
        return PLOT_BOTTOM - share * (PLOT_BOTTOM - PLOT_TOP)

    lines = []
    for line in series:
        if not line.points:
            continue
        start_x = x(line.points[0][0])
        path = [f"M{_coord(start_x)} {_coord(y(0))}"]
        for day, value in line.points:
            path.append(f"H{_coord(x(day))} V{_coord(y(value))}")
        path.append(f"H{_coord(x(last))}")
        lines.append({"label": line.label, "css": line.css, "path": " ".join(path)})
    return {
        "id": chart_id,
        "title": title,
        "description": description,
        "width": STEP_WIDTH,
        "height": STEP_HEIGHT,
        "lines": lines,
        "top_text": top_text,
        "top_y": _coord(PLOT_TOP - 8),
        "top_line_y": _coord(PLOT_TOP),
        "axis_y": _coord(PLOT_BOTTOM),
        "left": PLOT_LEFT,
        "right": PLOT_RIGHT,
        "first_label": first.year,
        "last_label": last.year,
        "date_y": _coord(PLOT_BOTTOM + 22),
    }
