"""Regulators' reliance pages: the organisations of the sector that consented, one page
per organisation, and the CSV of what they show. Only regulators reach them; an
organisation that has not consented (or is of another sector) answers 404."""

from functools import wraps

from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header, urlencode
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from organisations.policy import is_regulator
from organisations.views import membership_required

from . import reliance

ORGANISATIONS_PER_PAGE = 50
NAME_MAX = 200


def regulator_required(view):
    @wraps(view)
    @membership_required
    def wrapper(request, *args, **kwargs):
        if not is_regulator(request.membership):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _name(request) -> str:
    return request.GET.get("name", "").strip()[:NAME_MAX]


def _organisation(request, organisation_pk):
    return get_object_or_404(reliance.relied_on(request.membership), pk=organisation_pk)


@require_safe
@regulator_required
def index(request):
    name = _name(request)
    organisations = reliance.relied_on(request.membership, name=name)
    page = Paginator(organisations, ORGANISATIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = {"name": name} if name else {}
    context = {
        "regulator": request.membership.organisation,
        "name": name,
        "page": page,
        "profiles": reliance.profiles(request.membership, page.object_list),
        "page_query": urlencode(query) + "&" if query else "",
        "csv_query": urlencode(query),
    }
    return render(request, "reliance/index.html", context)


@require_safe
@regulator_required
def organisation(request, organisation_pk):
    relied = _organisation(request, organisation_pk)
    (profile,) = reliance.profiles(request.membership, [relied])
    return render(request, "reliance/organisation.html", {"profile": profile})


def _csv_response(request, organisations, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        reliance.reliance_csv(request.membership, organisations),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_safe
@never_cache
@regulator_required
def csv_export(request):
    organisations = reliance.relied_on(request.membership, name=_name(request))
    regulator = slugify(request.membership.organisation.name)[:60] or "regulator"
    return _csv_response(request, organisations, f"reliance-{regulator}.csv")


@require_safe
@never_cache
@regulator_required
def organisation_csv(request, organisation_pk):
    relied = _organisation(request, organisation_pk)
    organisations = reliance.relied_on(request.membership).filter(pk=relied.pk)
    name = slugify(relied.name)[:60] or "organisation"
    return _csv_response(request, organisations, f"reliance-{name}.csv")
