"""The scheme unit's dashboards (take-up, certifications, the pipeline of reviews,
satisfaction) and the departments' customer-experience dashboard. Every table downloads
as CSV with `?format=csv` (and `table=` where a page has several), carrying the same
filters as the page."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common.csv_download import csv_download
from organisations.models import Organisation
from organisations.policy import get_visible_or_404
from organisations.views import membership_required, scheme_required

from . import charts_dashboards, dashboards
from .forms_dashboards import DashboardFilterForm
from .models import Measure

PERIODLESS = ("sector", "region", "legal_form")


def render_dashboard(request, template: str, *, current: str, title: str, form, **context):
    """A dashboard page: the shared heading, sub-navigation, filters and the date its
    figures were worked out, around the page's own `dashboard` block."""
    context.update(
        page_title=title,
        current=current,
        filter_form=form,
        filters=form.filters,
        csv_query=form.filters.params(format="csv"),
    )
    if "refreshed" not in context:
        context["refreshed"] = dashboards.latest_refresh()
    return render(request, template, context)


def _wants_csv(request, form) -> bool:
    return request.GET.get("format") == "csv" and form.is_valid()


def dated_filename(name: str) -> str:
    """A CSV file's name: `name` and today's date."""
    return f"{name}-{timezone.localdate().isoformat()}.csv"


@require_safe
@scheme_required
def take_up(request):
    form = DashboardFilterForm(request.GET)
    data = dashboards.take_up(request.membership, form.filters)
    if _wants_csv(request, form):
        return csv_download(dated_filename("take-up"), data["csv_header"], data["csv_rows"])
    if data["with_share"]:
        bars = [(r.sector, (r.share or 0) * 100, dashboards.percent(r.share)) for r in data["rows"]]
        chart = charts_dashboards.bar_chart(bars, suffix="%")
    else:
        bars = [(r.sector, r.holders, str(r.holders)) for r in data["rows"]]
        chart = charts_dashboards.bar_chart(bars)
    return render_dashboard(
        request,
        "benchmarking/dashboards/take_up.html",
        current="take_up",
        title=_("Take-up by sector"),
        form=form,
        take_up=data,
        chart=chart,
        refreshed=None,
        live=True,
    )


CERTIFICATION_TABLES = ("years", "sectors", "regions")


@require_safe
@scheme_required
def certifications(request):
    form = DashboardFilterForm(request.GET)
    data = dashboards.certifications(request.membership, form.filters)
    table = request.GET.get("table", "years")
    if _wants_csv(request, form) and table in CERTIFICATION_TABLES:
        chosen = data[table]
        return csv_download(
            dated_filename(f"certifications-by-{table}"),
            chosen["header"],
            dashboards.table_csv_rows(chosen),
        )
    bars = [(row["label"], row["cells"][2], str(row["cells"][2])) for row in data["years"]["rows"]]
    return render_dashboard(
        request,
        "benchmarking/dashboards/certifications.html",
        current="certifications",
        title=_("Certifications per year"),
        form=form,
        certifications=data,
        csv_queries={
            table: form.filters.params(format="csv", table=table) for table in CERTIFICATION_TABLES
        },
        chart=charts_dashboards.bar_chart(bars) if bars else None,
        refreshed=None,
        live=True,
    )


@require_safe
@scheme_required
def pipeline(request):
    form = DashboardFilterForm(request.GET, fields=PERIODLESS)
    data = dashboards.pipeline(request.membership, form.filters)
    if _wants_csv(request, form):
        return csv_download(
            dated_filename("review-pipeline"), data["header"], dashboards.table_csv_rows(data)
        )
    due = _("Due within %(days)s days") % {"days": data["due_soon_days"]}
    labels = [due, _("Overdue"), _("Suspended"), _("Lapsed")]
    bars = [(label, n, str(n)) for label, n in zip(labels, data["total"]["cells"], strict=True)]
    return render_dashboard(
        request,
        "benchmarking/dashboards/pipeline.html",
        current="pipeline",
        title=_("Pipeline of reviews"),
        form=form,
        pipeline=data,
        chart=charts_dashboards.bar_chart(bars),
        refreshed=None,
        live=True,
    )


@require_safe
@scheme_required
def satisfaction(request):
    form = DashboardFilterForm(request.GET)
    data = dashboards.satisfaction(form.filters)
    if _wants_csv(request, form):
        header, rows = dashboards.satisfaction_csv(data)
        return csv_download(dated_filename("satisfaction"), header, rows)
    return render_dashboard(
        request,
        "benchmarking/dashboards/satisfaction.html",
        current="satisfaction",
        title=_("Satisfaction by sector and driver"),
        form=form,
        satisfaction=data,
        chart=_satisfaction_chart(data, single_sector=bool(form.filters.sector)),
    )


def _satisfaction_chart(data: dict, *, single_sector: bool) -> dict | None:
    """One sector: a line per measure. Several: overall satisfaction, a line per sector."""
    series = []
    for block in data["sectors"]:
        for row in block["rows"]:
            if single_sector or row["value"] == Measure.OVERALL:
                label = row["measure"] if single_sector else block["sector"].name
                series.append((label, [cell.get("median") for cell in row["cells"]]))
    return charts_dashboards.line_chart(data["years"], series)


# Departments and agencies -------------------------------------------------------------


def _may_see_departments(membership) -> bool:
    return membership.is_scheme or membership.organisation.is_headquarters


@require_safe
@membership_required
def departments(request):
    membership = request.membership
    if not _may_see_departments(membership):
        raise Http404
    if not membership.is_scheme:
        return redirect("benchmarking:department", organisation_pk=membership.organisation_id)
    return render(
        request,
        "benchmarking/dashboards/departments.html",
        {"headquarters": dashboards.headquarters_list(membership)},
    )


@require_safe
@membership_required
def department(request, organisation_pk):
    membership = request.membership
    if not _may_see_departments(membership):
        raise Http404
    headquarters = get_visible_or_404(
        Organisation.objects.filter(kind=Organisation.Kind.APPLICANT, parent__isnull=True),
        membership,
        pk=organisation_pk,
    )
    if not headquarters.is_headquarters:
        raise Http404
    if not membership.is_scheme and headquarters.pk != membership.organisation_id:
        raise Http404
    data = dashboards.department(membership, headquarters)
    if request.GET.get("format") == "csv":
        header, rows = dashboards.department_csv(data)
        return csv_download(dated_filename(f"customer-experience-{headquarters.pk}"), header, rows)
    return render(
        request,
        "benchmarking/dashboards/department.html",
        {"department": data, "today": timezone.localdate(), "is_scheme": membership.is_scheme},
    )
