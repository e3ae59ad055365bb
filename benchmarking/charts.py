"""Server-side SVG charts of a benchmark report, the same on the page and in the PDF.

Like the survey charts (`surveys.charts`), whose palette and axes they share: the
geometry is worked out here and drawn by the templates in `benchmarking/report/` with
SVG presentation attributes, and every chart comes with a table of the same figures.

Use: `report = with_charts(organisation_benchmark(organisation))`.
"""

from surveys.charts import (
    BLACK,
    BLUE,
    DARK_GREY,
    FONT_SIZE,
    LABEL_WIDTH,
    MID_GREY,
    VALUE_WIDTH,
    WIDTH,
    _axis,
    _tick_text,
    row_chart_frame,
)

ROW_HEIGHT = 44
BOX_HEIGHT = 24
BAND_HEIGHT = 10


def with_charts(report: dict) -> dict:
    """The report with the geometry of its charts: one position chart per comparison
    (under the comparison's "chart") and the trend chart under "trend_chart"."""
    comparisons = [
        {
            **comparison,
            "chart": position_chart(comparison["rows"]),
            "chart_id": _chart_id(comparison),
        }
        for comparison in report["comparisons"]
    ]
    return {**report, "comparisons": comparisons, "trend_chart": trend_chart(report["trend"])}


def _chart_id(comparison: dict) -> str:
    if comparison["kind"] == "peer_group":
        return f"peer-group-{comparison['pk']}"
    return "sector"


def _domain(values: list[float]) -> tuple[float, float, list[float]]:
    """A 0 to 100 range around the values, widened to whole steps, and its ticks."""
    if not values:
        return 0.0, 100.0, [0.0, 25.0, 50.0, 75.0, 100.0]
    low, high, ticks = _axis(max(0.0, min(values) - 5), min(100.0, max(values) + 5))
    low, high = max(0.0, low), min(100.0, high)
    return low, high, [tick for tick in ticks if low <= tick <= high]


# Where the organisation stands, per measure -------------------------------------------


def _position_values(rows: list[dict]) -> list[float]:
    values = []
    for row in rows:
        own, figure = row["own"], row["figure"]
        if not own["suppressed"]:
            values += [own["score_100"], own["score_100_low"], own["score_100_high"]]
        if figure["shown"]:
            values += [figure["lower_quartile"], figure["upper_quartile"], *figure["deciles"]]
    return [value for value in values if value is not None]


def position_chart(rows: list[dict]) -> dict:
    """Per measure: the middle 80% of the organisations' scores (10th to 90th
    percentile) as a thin band, the middle half (quartiles) as a box, the median as a
    thick line, and the organisation's own score as a dot with its 95% interval."""
    low, high, ticks = _domain(_position_values(rows))
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def x_at(value):
        return round(LABEL_WIDTH + (value - low) / (high - low) * plot_width, 1)

    lines = []
    for index, row in enumerate(rows):
        top = index * ROW_HEIGHT + 8
        middle = top + ROW_HEIGHT // 2 - 4
        line = {
            "label": row["label"],
            "middle_y": middle,
            "text_y": middle + 6,
            "box_y": middle - BOX_HEIGHT // 2,
            "band_y": middle - BAND_HEIGHT // 2,
            "figure_shown": row["figure"]["shown"],
            "own_shown": not row["own"]["suppressed"],
            "message": row["figure"]["message"] or row["own"].get("message", ""),
        }
        figure, own = row["figure"], row["own"]
        if figure["shown"]:
            deciles = figure["deciles"] or [figure["lower_quartile"], figure["upper_quartile"]]
            box_left, box_right = x_at(figure["lower_quartile"]), x_at(figure["upper_quartile"])
            line.update(
                band_x=x_at(deciles[0]),
                band_width=max(1.0, round(x_at(deciles[-1]) - x_at(deciles[0]), 1)),
                box_x=box_left,
                box_width=max(1.0, round(box_right - box_left, 1)),
                median_x=x_at(figure["median"]),
            )
        if line["own_shown"]:
            score = own["score_100"]
            # An interval needs two answers at least; a lone answer gets none.
            low, high = own["score_100_low"], own["score_100_high"]
            line.update(
                own_x=x_at(score),
                whisker_low=x_at(score if low is None else low),
                whisker_high=x_at(score if high is None else high),
                value=f"{score:.1f}",
            )
        lines.append(line)
    axis = [{"x": x_at(tick), "text": _tick_text(tick)} for tick in ticks]
    return {
        **row_chart_frame(lines, row_height=ROW_HEIGHT, plot_width=plot_width, ticks=axis),
        "box_height": BOX_HEIGHT,
        "band_height": BAND_HEIGHT,
        "own_colour": BLUE,
        "band_colour": MID_GREY,
        "box_colour": DARK_GREY,
        "median_colour": BLACK,
    }


# The trend: one small panel per measure -----------------------------------------------

COLUMNS = 2
PANEL_WIDTH = WIDTH // COLUMNS
PANEL_HEIGHT = 200
LEGEND_HEIGHT = 40
PANEL_PLOT = {"left": 48, "right": PANEL_WIDTH - 24, "top": 34, "bottom": PANEL_HEIGHT - 44}


def _trend_values(trend: dict) -> list[float]:
    return [
        value
        for row in trend["rows"]
        for point in row["points"]
        for value in (point["score"], point["sector_median"])
        if value is not None
    ]


def _segments(points: list[tuple[float, float] | None]) -> list[str]:
    """SVG polyline point lists, broken where a year has no value."""
    segments, current = [], []
    for point in points:
        if point is None:
            if len(current) > 1:
                segments.append(" ".join(f"{x},{y}" for x, y in current))
            current = []
        else:
            current.append(point)
    if len(current) > 1:
        segments.append(" ".join(f"{x},{y}" for x, y in current))
    return segments


def trend_chart(trend: dict) -> dict | None:
    """Per measure a small panel of the organisation's score each year (solid line,
    dots) and the sector's median (dashed line, squares), on one scale for all."""
    years = trend["years"]
    if not years:
        return None
    low, high, ticks = _domain(_trend_values(trend))
    span_x = PANEL_PLOT["right"] - PANEL_PLOT["left"]
    span_y = PANEL_PLOT["bottom"] - PANEL_PLOT["top"]

    def x_at(index):
        if len(years) == 1:
            return round(PANEL_PLOT["left"] + span_x / 2, 1)
        return round(PANEL_PLOT["left"] + index / (len(years) - 1) * span_x, 1)

    def y_at(value):
        return round(PANEL_PLOT["bottom"] - (value - low) / (high - low) * span_y, 1)

    panels = []
    for number, row in enumerate(trend["rows"]):
        own = [
            None if p["score"] is None else (x_at(i), y_at(p["score"]))
            for i, p in enumerate(row["points"])
        ]
        median = [
            None if p["sector_median"] is None else (x_at(i), y_at(p["sector_median"]))
            for i, p in enumerate(row["points"])
        ]
        panels.append(
            {
                "label": row["label"],
                "x": (number % COLUMNS) * PANEL_WIDTH,
                "y": LEGEND_HEIGHT + (number // COLUMNS) * PANEL_HEIGHT,
                "own_lines": _segments(own),
                "own_points": [{"x": x, "y": y} for x, y in filter(None, own)],
                "median_lines": _segments(median),
                "median_points": [
                    {"x": round(x - 4, 1), "y": round(y - 4, 1)} for x, y in filter(None, median)
                ],
            }
        )
    rows_of_panels = -(-len(panels) // COLUMNS)
    return {
        "width": WIDTH,
        "height": LEGEND_HEIGHT + rows_of_panels * PANEL_HEIGHT,
        "plot": PANEL_PLOT,
        "panels": panels,
        "years": [{"x": x_at(i), "text": str(year)} for i, year in enumerate(years)],
        "ticks": [
            {"y": y_at(tick), "label_y": y_at(tick) + 4, "text": _tick_text(tick)} for tick in ticks
        ],
        "tick_label_y": PANEL_PLOT["bottom"] + 22,
        "own_colour": BLUE,
        "median_colour": BLACK,
        "grid_colour": MID_GREY,
        "text_colour": BLACK,
        "muted_colour": DARK_GREY,
        "font_size": FONT_SIZE,
        "small_font_size": FONT_SIZE - 2,
    }
