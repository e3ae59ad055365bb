"""Server-side SVG charts of a survey analysis, the same on the page and in the PDF.

No JavaScript and no inline styles (the Content-Security-Policy refuses them): the
geometry is worked out here and drawn by the templates in `surveys/charts/` with SVG
presentation attributes. Every chart comes with a data table of the same figures.

Use: `analysis = with_charts(cached_survey_analysis(survey))`, then in a template
`{% include "surveys/charts/satisfaction.html" with analysis=analysis %}`.
"""

from math import ceil, floor

from django.utils.translation import gettext as _

# GOV.UK colours. Bars and marks have at least 3:1 contrast with white.
BLUE = "#1d70b8"
BLACK = "#0b0c0c"
DARK_GREY = "#505a5f"
MID_GREY = "#b1b4b6"
LIGHT_GREY = "#f3f2f1"
GREEN = "#00703c"
RED = "#d4351c"

WIDTH = 640
FONT_SIZE = 16
LABEL_WIDTH = 190  # driver names end here
VALUE_WIDTH = 90  # figures at the right
ROW_HEIGHT = 40
BAR_HEIGHT = 22
AXIS_HEIGHT = 34


def with_charts(analysis: dict) -> dict:
    """The analysis with the geometry of its three charts under "charts"."""
    return {
        **analysis,
        "charts": {
            "satisfaction": satisfaction_chart(analysis["scores"]),
            "quadrants": quadrant_chart(analysis["kda"]),
            "change": change_chart(analysis["change"]),
        },
    }


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / (count - 1)
    return [low + step * i for i in range(count)]


def _tick_text(value: float, suffix: str = "") -> str:
    return f"{value:g}{suffix}" if value == int(value) else f"{value:.1f}{suffix}"


def row_chart_frame(
    rows: list[dict], *, row_height: int, plot_width: float, ticks: list[dict]
) -> dict:
    """What every chart of one row per label shares: its size, where the plot and the
    figures at the right stand, the axis under the rows and the colours of its lines and
    text. Each chart adds its own marks."""
    plot_height = len(rows) * row_height + 8
    return {
        "width": WIDTH,
        "height": plot_height + AXIS_HEIGHT,
        "plot_left": LABEL_WIDTH,
        "plot_right": LABEL_WIDTH + plot_width,
        "plot_height": plot_height,
        "value_x": WIDTH - 4,
        "ticks": ticks,
        "tick_y": plot_height + 22,
        "rows": rows,
        "whisker_colour": BLACK,
        "grid_colour": MID_GREY,
        "text_colour": BLACK,
        "muted_colour": DARK_GREY,
        "font_size": FONT_SIZE,
    }


# (a) Share satisfied per driver --------------------------------------------------------


def satisfaction_chart(scores: list[dict]) -> dict:
    """Horizontal bars of the share satisfied (0 to 100%) with 95% interval whiskers."""
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    rows = []
    for index, score in enumerate(scores):
        y = index * ROW_HEIGHT + 8
        row = {
            "label": score["label"],
            "y": y,
            "bar_y": y + (ROW_HEIGHT - BAR_HEIGHT) // 2 - 4,
            "middle_y": y + ROW_HEIGHT // 2 - 4,
            "text_y": y + ROW_HEIGHT // 2 + 2,
            "suppressed": score["suppressed"],
        }
        if score["suppressed"]:
            row["message"] = score["message"]
        else:
            scale = plot_width / 100
            row.update(
                bar_width=round(score["satisfied_pct"] * scale, 1),
                whisker_low=round(LABEL_WIDTH + score["satisfied_pct_low"] * scale, 1),
                whisker_high=round(LABEL_WIDTH + score["satisfied_pct_high"] * scale, 1),
                value=f"{score['satisfied_pct']:.1f}%",
            )
        rows.append(row)
    ticks = [
        {"x": LABEL_WIDTH + plot_width * t / 100, "text": _tick_text(t, "%")}
        for t in _ticks(0, 100)
    ]
    return {
        **row_chart_frame(rows, row_height=ROW_HEIGHT, plot_width=plot_width, ticks=ticks),
        "bar_height": BAR_HEIGHT,
        "colour": BLUE,
    }


# (b) Importance versus satisfaction ----------------------------------------------------

SCATTER_HEIGHT = 460
PLOT = {"left": 78, "right": WIDTH - 16, "top": 16, "bottom": SCATTER_HEIGHT - 70}


def _nice_step(span: float) -> float:
    for step in (1, 2, 5, 10, 20, 25):
        if span / step <= 6:
            return step
    return 50


def _axis(low: float, high: float) -> tuple[float, float, list[float]]:
    """A range widened to whole steps, and its ticks."""
    step = _nice_step(high - low)
    low, high = floor(low / step) * step, ceil(high / step) * step
    ticks = [low + step * i for i in range(round((high - low) / step) + 1)]
    return low, high, ticks


def _importance_domain(kda: dict):
    if kda["importance_source"] == "stated":
        return 1.0, 5.0, [1.0, 2.0, 3.0, 4.0, 5.0], ""
    top = max(d["importance"] for d in kda["drivers"])
    return (*_axis(0.0, max(10.0, top * 1.15)), "%")


def _satisfaction_domain(kda: dict):
    values = [d["satisfied_pct"] for d in kda["drivers"]]
    low, high, ticks = _axis(max(0.0, min(values) - 8), min(100.0, max(values) + 8))
    return max(0.0, low), min(100.0, high), [t for t in ticks if 0 <= t <= 100]


def _label_box(x, y, anchor, text):
    width = len(text) * FONT_SIZE * 0.55
    left = {"start": x, "end": x - width, "middle": x - width / 2}[anchor]
    return left, y - FONT_SIZE, left + width, y + 4


def _overlaps(box, other) -> bool:
    return box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]


def _clashes(candidate, text: str, own, taken) -> int:
    box = _label_box(*candidate, text)
    outside = box[0] < PLOT["left"] or box[2] > PLOT["right"]
    outside = outside or box[1] < PLOT["top"] or box[3] > PLOT["bottom"]
    return outside * 10 + sum(_overlaps(box, other) for other in taken if other != own)


def _place_labels(points: list[dict]) -> None:
    """Put each point's label beside, then above or below it, wherever it covers no
    other point, label or the plot's edge."""
    taken = [(p["x"] - 9, p["y"] - 9, p["x"] + 9, p["y"] + 9) for p in points]
    for point in sorted(points, key=lambda p: p["y"]):
        x, y = point["x"], point["y"]
        own = (x - 9, y - 9, x + 9, y + 9)
        candidates = [
            (x + 12, y + 5, "start"),
            (x - 12, y + 5, "end"),
            (x, y - 14, "middle"),
            (x, y + 26, "middle"),
            (x + 12, y + 24, "start"),
            (x - 12, y + 24, "end"),
            (x + 12, y - 12, "start"),
            (x - 12, y - 12, "end"),
        ]
        best = min(candidates, key=lambda c: _clashes(c, point["label"], own, taken))
        point["label_x"], point["label_y"], point["anchor"] = best
        taken.append(_label_box(*best, point["label"]))


def quadrant_chart(kda: dict) -> dict | None:
    """Each driver placed by importance (across) and share satisfied (up), with lines
    at the drivers' averages that make the four quadrants."""
    if not kda.get("available"):
        return None
    x_low, x_high, x_ticks, x_suffix = _importance_domain(kda)
    y_low, y_high, y_ticks = _satisfaction_domain(kda)

    def x_at(value):
        return PLOT["left"] + (value - x_low) / (x_high - x_low) * (PLOT["right"] - PLOT["left"])

    def y_at(value):
        return PLOT["bottom"] - (value - y_low) / (y_high - y_low) * (PLOT["bottom"] - PLOT["top"])

    points = [
        {
            "label": driver["label"],
            "x": round(x_at(driver["importance"]), 1),
            "y": round(y_at(driver["satisfied_pct"]), 1),
        }
        for driver in kda["drivers"]
    ]
    _place_labels(points)
    split_x, split_y = x_at(kda["importance_mean"]), y_at(kda["satisfaction_mean"])
    return {
        "width": WIDTH,
        "height": SCATTER_HEIGHT,
        "plot": PLOT,
        "plot_width": PLOT["right"] - PLOT["left"],
        "plot_height": PLOT["bottom"] - PLOT["top"],
        "split_x": round(split_x, 1),
        "split_y": round(split_y, 1),
        "points": points,
        "quadrants": _quadrant_labels(),
        "x_ticks": [{"x": round(x_at(t), 1), "text": _tick_text(t, x_suffix)} for t in x_ticks],
        "y_ticks": [{"y": round(y_at(t), 1), "text": _tick_text(t, "%")} for t in y_ticks],
        "x_title": _("Stated importance (average, 1 to 5)")
        if kda["importance_source"] == "stated"
        else _("Importance (share of the variation explained, %)"),
        "y_title": _("Satisfied (%)"),
        "x_title_y": SCATTER_HEIGHT - 14,
        "tick_label_y": PLOT["bottom"] + 24,
        "y_title_x": 18,
        "y_title_y": (PLOT["top"] + PLOT["bottom"]) / 2,
        "colour": BLUE,
        "grid_colour": MID_GREY,
        "text_colour": BLACK,
        "muted_colour": DARK_GREY,
        "font_size": FONT_SIZE,
    }


def _quadrant_labels() -> list[dict]:
    inset = 10
    return [
        {"text": _("Possible overkill"), "x": PLOT["left"] + inset, "y": PLOT["top"] + 22,
         "anchor": "start"},
        {"text": _("Keep up the good work"), "x": PLOT["right"] - inset, "y": PLOT["top"] + 22,
         "anchor": "end"},
        {"text": _("Low priority"), "x": PLOT["left"] + inset, "y": PLOT["bottom"] - 12,
         "anchor": "start"},
        {"text": _("Concentrate here"), "x": PLOT["right"] - inset, "y": PLOT["bottom"] - 12,
         "anchor": "end"},
    ]  # fmt: skip


# (c) Change since the last survey ------------------------------------------------------


def _change_limit(rows: list[dict]) -> float:
    extremes = [
        max(abs(row["satisfied_points_low"]), abs(row["satisfied_points_high"]))
        for row in rows
        if not row["suppressed"]
    ]
    return max(5.0, ceil(max(extremes, default=5.0) / 5) * 5)


def change_chart(change: dict) -> dict | None:
    """Bars of the change in share satisfied (percentage points) from zero, with 95%
    interval whiskers. A real change is a solid bar; one within the margin of error is
    an outline, so the difference does not rest on colour alone."""
    if not change.get("available"):
        return None
    limit = _change_limit(change["rows"])
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 10
    zero = LABEL_WIDTH + plot_width / 2
    scale = plot_width / 2 / limit
    rows = []
    for index, source in enumerate(change["rows"]):
        y = index * ROW_HEIGHT + 8
        row = {
            "label": source["label"],
            "bar_y": y + (ROW_HEIGHT - BAR_HEIGHT) // 2 - 4,
            "middle_y": y + ROW_HEIGHT // 2 - 4,
            "text_y": y + ROW_HEIGHT // 2 + 2,
            "suppressed": source["suppressed"],
        }
        if source["suppressed"]:
            row["message"] = source["message"]
        else:
            points = source["satisfied_points"]
            real = source["real_change"]
            colour = (GREEN if points > 0 else RED) if real else DARK_GREY
            row.update(
                bar_x=round(min(zero, zero + points * scale), 1),
                bar_width=max(1.0, round(abs(points) * scale, 1)),
                whisker_low=round(zero + source["satisfied_points_low"] * scale, 1),
                whisker_high=round(zero + source["satisfied_points_high"] * scale, 1),
                fill=colour if real else "#ffffff",
                stroke=colour,
                value=f"{points:+.1f}",
            )
        rows.append(row)
    ticks = [
        {"x": round(zero + t * scale, 1), "text": _tick_text(t)} for t in _ticks(-limit, limit)
    ]
    return {
        **row_chart_frame(rows, row_height=ROW_HEIGHT, plot_width=plot_width, ticks=ticks),
        "zero_x": round(zero, 1),
        "bar_height": BAR_HEIGHT,
    }
