"""An organisation's benchmark report: the page and the scheme unit's way in (its PDF is
built in the background: views_reports.py).

Applicant members see their own organisation's report (a headquarters its units' too);
the scheme unit finds any applicant's; anyone else gets "Page not found".
"""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from organisations.models import Organisation
from organisations.views import membership_required

from . import charts, selectors

ORGANISATIONS_PER_PAGE = 50


@require_safe
@membership_required
def index(request):
    """Your organisation's report; for the scheme unit, a search for an organisation's."""
    organisation = request.membership.organisation
    if organisation.kind == Organisation.Kind.APPLICANT:
        own = get_object_or_404(
            selectors.benchmarked_organisations(request.membership).select_related("sector"),
            pk=organisation.pk,
        )
        return _report_page(request, own)
    if organisation.kind == Organisation.Kind.SCHEME_UNIT:
        return _finder(request)
    raise Http404


@require_safe
@membership_required
def organisation_report(request, organisation_pk):
    return _report_page(request, organisation_or_404(request, organisation_pk))


def requested_year(query) -> int | None:
    """The year asked for, or None (the latest) for anything that is not a year."""
    value = query.get("year", "")
    return int(value) if value.isdigit() and 1900 < int(value) < 3000 else None


def organisation_or_404(request, organisation_pk) -> Organisation:
    """An organisation whose report the person may read, or "Page not found"."""
    return get_object_or_404(
        selectors.benchmarked_organisations(request.membership).select_related("sector"),
        pk=organisation_pk,
    )


def _report_page(request, organisation: Organisation):
    membership = request.membership
    year = requested_year(request.GET)
    report = charts.with_charts(selectors.organisation_benchmark(organisation, year=year))
    pdf_start_url = reverse("benchmark_reports:start", args=[organisation.pk])
    if report["year"]:
        pdf_start_url += "?" + urlencode({"year": report["year"]})
    others = Organisation.objects.none()
    if not membership.is_scheme:
        others = selectors.benchmarked_organisations(membership).exclude(pk=organisation.pk)
    context = {
        "organisation": organisation,
        "report": report,
        "pdf_start_url": pdf_start_url,
        "others": others.order_by("name"),
        "is_scheme": membership.is_scheme,
        "may_run_surveys": membership.organisation_id in (organisation.pk, organisation.parent_id),
    }
    return render(request, "benchmarking/report/page.html", context)


def _finder(request):
    query = request.GET.get("q", "").strip()
    organisations = selectors.benchmarked_organisations(request.membership).select_related("sector")
    if query:
        organisations = organisations.filter(
            Q(name__icontains=query) | Q(sector__name__icontains=query)
        )
    page = Paginator(organisations.order_by("name", "pk"), ORGANISATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "query": query,
        "page": page,
        "previous_url": _page_url(query, page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": _page_url(query, page.next_page_number()) if page.has_next() else "",
    }
    return render(request, "benchmarking/report/finder.html", context)


def _page_url(query: str, number: int) -> str:
    return "?" + urlencode({"q": query, "page": number} if query else {"page": number})
