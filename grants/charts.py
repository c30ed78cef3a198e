"""Server-drawn bar charts: the geometry is computed here, the SVG is a template
(templates/charts/bar_chart.html) styled by CSS classes only. Every chart on a page is
also given as a table of the same numbers."""

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 420
BAR_AREA = 270
ROW_HEIGHT = 46
BAR_HEIGHT = 16
LABEL_MAX = 52
CHAR_WIDTH = 7.4  # average width of a character of the value text, in SVG units


@dataclass
class Bar:
    label: str
    value: Decimal
    text: str
    base: Decimal | None = None
    marker: Decimal | None = None
    marker_text: str = ""
    css: str = ""


def _short(label):
    label = str(label)
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _coord(number):
    # Attributes must not be localized (202,5 would break the SVG in Spanish).
    return f"{number:.1f}"


def bar_chart(bars, *, chart_id, title, description, marker_legend=""):
    """Horizontal bars, one per row, scaled to the largest value or marker. Negative
    values are drawn as empty bars (their numbers are in the table)."""
    scale_max = max(
        [max(bar.value, 0) for bar in bars]
        + [max(bar.marker, 0) for bar in bars if bar.marker is not None]
        + [max(bar.base, 0) for bar in bars if bar.base is not None]
        + [Decimal(0)]
    )

    def length(number):
        if not scale_max or number is None or number <= 0:
            return 0.0
        return float(number / scale_max) * BAR_AREA

    rows = []
    for index, bar in enumerate(bars):
        top = index * ROW_HEIGHT
        bar_width = length(bar.value)
        marker_x = length(bar.marker) if bar.marker is not None else 0.0
        value_x = max(bar_width, marker_x) + 6
        value_inside = value_x + len(bar.text) * CHAR_WIDTH > WIDTH
        if value_inside:
            # No room after the bar: write the value inside it, from its end.
            value_x = bar_width - 6
        row = {
            "label": _short(bar.label),
            "full_label": bar.label,
            "text": bar.text,
            "css": bar.css,
            "label_y": _coord(top + 14),
            "bar_y": _coord(top + 20),
            "bar_w": _coord(max(bar_width, 1.0)),
            "value_x": _coord(value_x),
            "value_inside": value_inside,
            "value_y": _coord(top + 20 + BAR_HEIGHT - 3),
            "base_w": _coord(length(bar.base)) if bar.base else None,
            "marker_x": None,
        }
        if bar.marker is not None:
            row.update(
                {
                    "marker_x": _coord(marker_x),
                    "marker_y1": _coord(top + 17),
                    "marker_y2": _coord(top + 20 + BAR_HEIGHT + 3),
                    "marker_text": bar.marker_text,
                }
            )
        rows.append(row)
    return {
        "id": chart_id,
        "title": title,
        "description": description,
        "marker_legend": marker_legend,
        "width": WIDTH,
        "height": _coord(max(len(rows), 1) * ROW_HEIGHT + 4),
        "bar_height": BAR_HEIGHT,
        "rows": rows,
    }
