"""The scheme unit's statistical dashboards: certification-body consistency and the
effectiveness of the standard. They read only the stored DashboardFigure rows (worked
out at the refresh), so each page costs the same few queries however large the field.
Every table downloads as CSV with `?format=csv&table=...`, carrying the page's filters."""

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common.csv_download import csv_download
from organisations.views import scheme_required
from standard.scales import RATINGS

from . import consistency, effectiveness
from .forms_dashboards import DashboardFilterForm
from .models import DashboardFigure, Measure
from .views_dashboards import dated_filename, render_dashboard

FILTERS = ("sector", "period")
NIGHTLY = "benchmarks-nightly"

WIDTH = 640
LABEL_WIDTH = 200
ROW_HEIGHT = 30
BAR_HEIGHT = 20
LEGEND_FONT_SIZE = 13
LEGEND_SWATCH = 18  # the colour box and the space after it, before the label
LEGEND_GAP = 20
LEGEND_LINE = 24


def stored_figure(kind: str, filters) -> DashboardFigure | None:
    """The stored figure of a kind for the chosen sector (or all) and year (or all)."""
    return DashboardFigure.objects.filter(
        kind=kind, sector=filters.sector, year=filters.year or 0
    ).first()


def next_refresh() -> timezone.datetime | None:
    """When the nightly refresh runs next, from the beat schedule."""
    entry = settings.CELERY_BEAT_SCHEDULE.get(NIGHTLY)
    if entry is None:
        return None
    now = timezone.now()
    return now + entry["schedule"].remaining_estimate(now)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _number(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


# Consistency --------------------------------------------------------------------------


def _rating_labels() -> list[str]:
    return [str(rating.label) for rating in RATINGS]


def _comparison_rows(entries: list[dict]) -> list[list]:
    rows = []
    for entry in entries:
        n = entry["findings"] or 1
        row = [entry["key"], entry["title"], entry["body"], entry["findings"]]
        row += [_percent(count / n) for count in entry["counts"]]
        if entry["tested"]:
            others_n = entry["others_findings"] or 1
            row += [_percent(count / others_n) for count in entry["others"]]
            row += [_number(entry["cramers_v"], 2), _p(entry["p_adjusted"])]
            row.append(_("Stands out") if entry["flagged"] else _("No clear difference"))
        else:
            untested = len(RATINGS) + 2  # the other bodies' shares, Cramér's V and p
            row += ["–"] * untested + [_("Too few findings to test")]
        rows.append(row)
    return rows


def _comparison_header(level: str) -> list[str]:
    first = _("Criterion") if level == "criterion" else _("Element")
    labels = _rating_labels()
    return [
        first,
        _("Title"),
        _("Certification body"),
        _("Findings"),
        *[_("%(rating)s, this body") % {"rating": label} for label in labels],
        *[_("%(rating)s, other bodies") % {"rating": label} for label in labels],
        _("Cramér's V"),
        _("Adjusted p"),
        _("Result"),
    ]


def _assessor_rows(assessors: list[dict]) -> list[list]:
    rows = []
    for entry in assessors:
        row = [entry["assessor"], entry["body"], entry["findings"]]
        for measure in ("plus", "gaps"):
            share = entry[measure]
            row.append(
                _("%(share)s (%(low)s to %(high)s)")
                % {
                    "share": _percent(share["share"]),
                    "low": _percent(share["low"]),
                    "high": _percent(share["high"]),
                }
            )
            for against in ("body_others", "pool"):
                other = share.get(against)
                row.append(
                    "–"
                    if other is None
                    else f"{_percent(other['share'])} ({_p(other['p_adjusted'])})"
                )
        row.append(_("Stands out") if entry["flagged"] else _("No clear difference"))
        rows.append(row)
    return rows


def _assessor_header() -> list[str]:
    return [
        _("Assessor"),
        _("Certification body"),
        _("Findings"),
        _("Compliance plus (95% interval)"),
        _("Compliance plus, body's other assessors (adjusted p)"),
        _("Compliance plus, all other assessors (adjusted p)"),
        _("Partial or non-compliant (95% interval)"),
        _("Partial or non-compliant, body's other assessors (adjusted p)"),
        _("Partial or non-compliant, all other assessors (adjusted p)"),
        _("Result"),
    ]


def _consistency_tables(data: dict) -> dict:
    return {
        "criteria": (_comparison_header("criterion"), _comparison_rows(data["criteria"])),
        "elements": (_comparison_header("element"), _comparison_rows(data["elements"])),
        "assessors": (_assessor_header(), _assessor_rows(data["assessors"])),
    }


def distribution_chart(data: dict) -> dict | None:
    """Stacked bars of each body's ratings (all criteria together) beside the other
    bodies' pooled ratings, as shares of 100%."""
    comparisons = [entry for entry in data["criteria"] if entry["tested"]]
    if not comparisons:
        return None
    totals = {}
    for entry in comparisons:
        zeros = ([0] * len(RATINGS), [0] * len(RATINGS))
        own, others = totals.setdefault(entry["body_id"], (entry["body"], *zeros))[1:]
        for index in range(len(RATINGS)):
            own[index] += entry["counts"][index]
            others[index] += entry["others"][index]
    plot_width = WIDTH - LABEL_WIDTH - 10
    rows, y = [], 8
    for name, own, others in sorted(totals.values()):
        for label, counts in ((name, own), (_("Other bodies"), others)):
            rows.append(
                {"label": label, "y": y, "text_y": y + 15, "parts": _parts(counts, plot_width)}
            )
            y += ROW_HEIGHT
        y += 12
    legend = _legend([(rating.label, rating.chart_colour) for rating in RATINGS], top=y)
    return {
        "width": WIDTH,
        "height": max(item["y"] for item in legend) + 30,
        "plot_left": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "rows": rows,
        "legend": legend,
    }


def _legend_width(label: str) -> float:
    """A generous estimate of a legend item's width, so that no label runs into the next
    colour box, whatever the language."""
    return LEGEND_SWATCH + len(label) * LEGEND_FONT_SIZE * 0.6


def _legend(items: list[tuple[str, str]], *, top: int) -> list[dict]:
    """Legend items (label, colour) spaced by the length of their labels: in line under the
    bars where they fit, else from the chart's left edge, on as many lines as they need."""
    widths = [_legend_width(label) for label, _colour in items]
    total = sum(widths) + LEGEND_GAP * (len(items) - 1)
    left = LABEL_WIDTH if LABEL_WIDTH + total <= WIDTH else 4
    legend, x, y = [], left, top + 10
    for (label, colour), width in zip(items, widths, strict=True):
        if x > left and x + width > WIDTH:
            x, y = left, y + LEGEND_LINE
        legend.append({"x": round(x), "y": y, "text_y": y + 12, "colour": colour, "label": label})
        x += width + LEGEND_GAP
    return legend


def _parts(counts: list[int], plot_width: float) -> list[dict]:
    total = sum(counts) or 1
    parts, x = [], LABEL_WIDTH
    for rating, count in zip(RATINGS, counts, strict=True):
        width = round(count / total * plot_width, 1)
        parts.append({"x": round(x, 1), "width": width, "colour": rating.chart_colour})
        x += width
    return parts


def _table_download(request, tables: dict, dashboard: str):
    """The table named by `?table=` as a CSV file named after the dashboard and the day."""
    table = request.GET.get("table")
    if table not in tables:
        raise Http404
    header, rows = tables[table]
    return csv_download(dated_filename(f"{dashboard}-{table}"), header, rows)


@require_safe
@scheme_required
def consistency_dashboard(request):
    form = DashboardFilterForm(request.GET, fields=FILTERS)
    figure = (
        stored_figure(DashboardFigure.Kind.CONSISTENCY, form.filters) if form.is_valid() else None
    )
    tables = _consistency_tables(figure.data) if figure else {}
    if figure and request.GET.get("format") == "csv":
        return _table_download(request, tables, "consistency")
    context = {"figure": figure, "next_refresh": next_refresh()}
    if figure:
        data = figure.data
        context.update(
            data=data,
            statements=consistency.consistency_statements(data),
            chart=distribution_chart(data),
            criteria=tables["criteria"],
            flagged_elements=[e for e in data["elements"] if e["flagged"]],
            assessors=tables["assessors"],
            rules=data["rules"],
            csv_queries={name: form.filters.params(format="csv", table=name) for name in tables},
        )
    return render_dashboard(
        request,
        "benchmarking/dashboards/consistency.html",
        current="consistency",
        title=_("Certification body consistency"),
        form=form,
        **context,
    )


# Effectiveness ------------------------------------------------------------------------


def forest_plot(entries: list[dict], minimum: int) -> dict:
    """Each measure's difference (points on 0 to 100) with its 95% interval, from zero."""
    results = [entry["result"] for entry in entries if entry["enough"]]
    extremes = [abs(r[key]) for r in results for key in ("low", "high") if r[key] is not None]
    limit = max(5.0, -(-max(extremes, default=5.0) // 5) * 5)
    plot_width = WIDTH - LABEL_WIDTH - 80
    zero = LABEL_WIDTH + plot_width / 2
    scale = plot_width / 2 / limit
    rows = []
    for index, entry in enumerate(entries):
        y = index * 36 + 8
        row = {"label": Measure(entry["measure"]).label, "y": y + 16, "text_y": y + 21}
        result = entry.get("result")
        if not entry["enough"]:
            row["message"] = _("Fewer than %(n)s organisations") % {"n": minimum}
        elif result["low"] is None:
            row["message"] = _("No interval")
        else:
            row.update(
                x=round(zero + result["difference"] * scale, 1),
                low=round(zero + result["low"] * scale, 1),
                high=round(zero + result["high"] * scale, 1),
                value=f"{result['difference']:+.1f}",
            )
        rows.append(row)
    height = len(rows) * 36 + 16
    ticks = [-limit, -limit / 2, 0, limit / 2, limit]
    return {
        "width": WIDTH,
        "height": height + 30,
        "plot_height": height,
        "zero_x": round(zero, 1),
        "value_x": WIDTH - 4,
        "plot_left": LABEL_WIDTH,
        "ticks": [{"x": round(zero + t * scale, 1), "text": f"{t:g}"} for t in ticks],
        "tick_y": height + 20,
        "rows": rows,
    }


def _holder_rows(entries: list[dict]) -> list[list]:
    rows = []
    for entry in entries:
        label = Measure(entry["measure"]).label
        if not entry["enough"]:
            rows.append([label, entry["holders"], entry["non_holders"]] + ["–"] * 6)
            continue
        r = entry["result"]
        rows.append([
            label, r["holders"], r["non_holders"], _number(r["holder_mean"]),
            _number(r["non_holder_mean"]), _number(r["difference"]),
            f"{_number(r['low'])} to {_number(r['high'])}", _p(r["p"]),
            f"{_number(r['g'], 2)} ({_number(r['g_low'], 2)} to {_number(r['g_high'], 2)})",
        ])  # fmt: skip
    return rows


def _holder_header() -> list[str]:
    return [
        _("Measure"),
        _("Holders"),
        _("Non-holders"),
        _("Holders' mean score"),
        _("Non-holders' mean score"),
        _("Difference (points)"),
        _("95% interval"),
        _("p"),
        _("Hedges' g (95% interval)"),
    ]


def _strata_rows(entries: list[dict]) -> list[list]:
    return [
        [Measure(entry["measure"]).label, stratum["label"], *row[1:]]
        for entry in entries
        if entry["enough"]
        for stratum in entry["strata"]
        for row in _holder_rows([{"measure": entry["measure"], "enough": True, "result": stratum}])
    ]


def _before_after_rows(entries: list[dict]) -> list[list]:
    rows = []
    for entry in entries:
        label = Measure(entry["measure"]).label
        if not entry["enough"]:
            rows.append([label, entry["pairs"]] + ["–"] * 6)
            continue
        r = entry["result"]
        rows.append([
            label, r["pairs"], _number(r["before_mean"]), _number(r["after_mean"]),
            _number(r["difference"]), f"{_number(r['low'])} to {_number(r['high'])}", _p(r["p"]),
            f"{_number(r['d_z'], 2)} ({_number(r['d_z_low'], 2)} to {_number(r['d_z_high'], 2)})",
        ])  # fmt: skip
    return rows


def _effectiveness_tables(data: dict) -> dict:
    return {
        "holders": (_holder_header(), _holder_rows(data["holders"])),
        "strata": (
            [_("Measure"), _("Sector or year"), *_holder_header()[1:]],
            _strata_rows(data["holders"]),
        ),
        "before_after": (
            [
                _("Measure"),
                _("Organisations"),
                _("Mean score before"),
                _("Mean score after"),
                _("Change (points)"),
                _("95% interval"),
                _("p"),
                _("d_z (95% interval)"),
            ],
            _before_after_rows(data["before_after"]),
        ),
    }


def _table(tables: dict, queries: dict, name: str, caption: str) -> dict:
    header, rows = tables[name]
    return {"caption": caption, "header": header, "rows": rows, "csv_query": queries[name]}


def _effectiveness_sections(data: dict, tables: dict, queries: dict) -> list[dict]:
    minimum = data["minimum"]
    holders = {
        "id": "holders",
        "heading": _("Holders against comparable non-holders"),
        "statements": [effectiveness.holder_statement(e, minimum=minimum) for e in data["holders"]],
        "note": _(
            "Only sectors and years with at least %(n)s holders and %(n)s non-holders count. "
            "Where several do, their differences are combined by a weighted mean (random "
            "effects), so holders are only ever compared with their own sector. For all "
            "years, each organisation counts once, with its latest scores."
        )
        % {"n": minimum},
        "chart": forest_plot(data["holders"], minimum),
        "chart_title": _("Difference between holders and non-holders, by measure"),
        "tables": [
            _table(tables, queries, "holders", _("Holders against non-holders, by measure")),
            _table(tables, queries, "strata", _("Holders against non-holders, by sector and year")),
        ],
    }
    before_after = {
        "id": "before-after",
        "heading": _("Before and after certification"),
        "statements": [
            effectiveness.before_after_statement(e, minimum=minimum) for e in data["before_after"]
        ],
        "note": _(
            "Each organisation's latest score in a year before its first certificate is paired "
            "with its earliest score in a year after it; the year of the certificate itself is "
            "left out. For a single year, the organisations first certified that year."
        ),
        "chart": forest_plot(data["before_after"], minimum),
        "chart_title": _("Change from before to after the first certificate, by measure"),
        "tables": [
            _table(
                tables,
                queries,
                "before_after",
                _("Before and after the first certificate, by measure"),
            )
        ],
    }
    return [holders, before_after]


@require_safe
@scheme_required
def effectiveness_dashboard(request):
    form = DashboardFilterForm(request.GET, fields=FILTERS)
    kind = DashboardFigure.Kind.EFFECTIVENESS
    figure = stored_figure(kind, form.filters) if form.is_valid() else None
    tables = _effectiveness_tables(figure.data) if figure else {}
    if figure and request.GET.get("format") == "csv":
        return _table_download(request, tables, "effectiveness")
    context = {"figure": figure, "next_refresh": next_refresh()}
    if figure:
        queries = {name: form.filters.params(format="csv", table=name) for name in tables}
        context["sections"] = _effectiveness_sections(figure.data, tables, queries)
    return render_dashboard(
        request,
        "benchmarking/dashboards/effectiveness.html",
        current="effectiveness",
        title=_("Effectiveness of the standard"),
        form=form,
        **context,
    )
