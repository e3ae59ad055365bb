"""The scheme dashboards' server-side SVG charts: horizontal bars, and lines over the
years. As in `surveys.charts`, the geometry is worked out here and drawn by templates
(`benchmarking/dashboards/_bar_chart.html`, `_line_chart.html`) with presentation
attributes only; every chart sits beside a table of the same figures."""

from surveys.charts import (
    BLACK,
    BLUE,
    DARK_GREY,
    FONT_SIZE,
    GREEN,
    LABEL_WIDTH,
    MID_GREY,
    RED,
    ROW_HEIGHT,
    VALUE_WIDTH,
    WIDTH,
    _axis,
    _tick_text,
    row_chart_frame,
)

BAR_HEIGHT = 22
# Distinct GOV.UK colours for lines, each at least 3:1 against white; each line is also
# named at its end beside a swatch, so that none is told apart by colour alone.
LINE_COLOURS = [BLUE, RED, GREEN, "#4c2c92", BLACK, "#912b88", "#003078", DARK_GREY, "#6f72af"]
LINE_HEIGHT = 360
LINE_PLOT = {"left": 56, "right": WIDTH - 190, "top": 16, "bottom": LINE_HEIGHT - 50}


def bar_chart(rows: list[tuple[str, float, str]], *, suffix: str = "") -> dict:
    """Bars from zero for (label, value, text shown at the end) rows."""
    top = max((value for _, value, _ in rows), default=0)
    _, high, ticks = _axis(0.0, max(top, 1.0))
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale = plot_width / high
    bars = []
    for index, (label, value, text) in enumerate(rows):
        y = index * ROW_HEIGHT + 8
        bars.append(
            {
                "label": label,
                "bar_y": y + (ROW_HEIGHT - BAR_HEIGHT) // 2 - 4,
                "text_y": y + ROW_HEIGHT // 2 + 2,
                "bar_width": round(value * scale, 1),
                "value": text,
            }
        )
    axis = [{"x": round(LABEL_WIDTH + t * scale, 1), "text": _tick_text(t, suffix)} for t in ticks]
    return {
        **row_chart_frame(bars, row_height=ROW_HEIGHT, plot_width=plot_width, ticks=axis),
        "bar_height": BAR_HEIGHT,
        "colour": BLUE,
    }


def line_chart(years: list[int], series: list[tuple[str, list[float | None]]]) -> dict | None:
    """Lines over `years`, one per (label, values) series, on a 0 to 100 axis fitted to
    the values; a missing value breaks the line. None when there is nothing to draw."""
    values = [v for _, points in series for v in points if v is not None]
    if not years or not values:
        return None
    low, high, ticks = _axis(max(0.0, min(values) - 5), min(100.0, max(values) + 5))
    left, right = LINE_PLOT["left"], LINE_PLOT["right"]
    top, bottom = LINE_PLOT["top"], LINE_PLOT["bottom"]
    step = (right - left) / max(len(years) - 1, 1)

    def x_at(index):
        return round(left + index * step if len(years) > 1 else (left + right) / 2, 1)

    def y_at(value):
        return round(bottom - (value - low) / (high - low) * (bottom - top), 1)

    lines = []
    for number, (label, points) in enumerate(series):
        colour = LINE_COLOURS[number % len(LINE_COLOURS)]
        marks = [{"x": x_at(i), "y": y_at(v)} for i, v in enumerate(points) if v is not None]
        segments = _segments(
            [(x_at(i), y_at(v) if v is not None else None) for i, v in enumerate(points)]
        )
        if marks:
            lines.append(
                {"label": label, "colour": colour, "marks": marks, "segments": segments,
                 "label_y": int(marks[-1]["y"]) + 5}
            )  # fmt: skip
    _spread_labels(lines)
    return {
        "width": WIDTH,
        "height": LINE_HEIGHT,
        "plot": LINE_PLOT,
        "lines": lines,
        "label_x": right + 10,
        "x_ticks": [{"x": x_at(i), "text": str(year)} for i, year in enumerate(years)],
        "y_ticks": [{"y": y_at(t), "text": _tick_text(t)} for t in ticks],
        "tick_label_y": bottom + 24,
        "grid_colour": MID_GREY,
        "text_colour": BLACK,
        "muted_colour": DARK_GREY,
        "font_size": FONT_SIZE,
    }


def _segments(points: list[tuple[float, float | None]]) -> list[str]:
    """SVG polyline point lists for the runs of years that have a value."""
    runs, run = [], []
    for x, y in points:
        if y is None:
            if len(run) > 1:
                runs.append(run)
            run = []
        else:
            run.append(f"{x},{y}")
    if len(run) > 1:
        runs.append(run)
    return [" ".join(run) for run in runs]


def _spread_labels(lines: list[dict]) -> None:
    """Move end labels apart vertically so that none overlaps the next."""
    gap = FONT_SIZE + 2
    placed = sorted(lines, key=lambda line: line["label_y"])
    for before, after in zip(placed, placed[1:], strict=False):
        if after["label_y"] - before["label_y"] < gap:
            after["label_y"] = before["label_y"] + gap
