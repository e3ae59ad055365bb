"""The public register's pages: the search with its counts, a holder's page, the
certificate check, the organisations committed to the standard, the certification bodies
and the open data CSV. Nobody needs to sign in; every page is rate limited per address
(behind a proxy, RATELIMIT_IP_META_KEY names the header that holds it)."""

from functools import wraps

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from common.ratelimit import too_many_requests
from common.text import clean_text

from . import register, register_export
from .models import Certificate

# Requests one address may make a minute to the pages, and an hour to the full export.
PAGE_RATE = "120/m"
EXPORT_RATE = "20/h"


def _rate_limited(group: str, rate: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if too_many_requests(request, group=group, rate=rate):
                return render(request, "register/too_many.html", status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _page_url(request, query: register.RegisterQuery, page: int) -> str:
    return f"{request.path}?{query.params(page=page)}"


@require_safe
@_rate_limited("register", PAGE_RATE)
def index(request):
    result = register.search(register.RegisterQuery.from_params(request.GET))
    query = result.query
    context = {
        "result": result,
        "query": query,
        "previous_url": _page_url(request, query, result.page - 1),
        "next_url": _page_url(request, query, result.page + 1),
        "export_query": query.params(),
        "today": timezone.localdate(),
    }
    return render(request, "register/index.html", context)


@require_safe
@_rate_limited("register-export", EXPORT_RATE)
def export_csv(request):
    query = register.RegisterQuery.from_params(request.GET)
    response = StreamingHttpResponse(
        register_export.register_csv(query), content_type="text/csv; charset=utf-8"
    )
    filename = f"customer-voice-register-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_safe
@_rate_limited("register", PAGE_RATE)
def holder(request, holder_pk):
    page = register.holder_page(holder_pk)
    if page is None:
        raise Http404
    # Those who may read a certificate's record (its holder, its body, the scheme unit)
    # are offered its PDF; the page itself is the same for everyone.
    downloadable = set()
    if request.membership is not None and page.certificates:
        downloadable = set(
            Certificate.objects.visible_to(request.membership)
            .filter(holder=page.holder)
            .values_list("pk", flat=True)
        )
    context = {"page": page, "holder": page.holder, "downloadable": downloadable}
    return render(request, "register/holder.html", context)


def _check_page(request, number: str, *, status_if_unknown: int):
    certificate = register.certificate_check(number) if number else None
    context = {
        "number": number,
        "normalised": register.normalise_number(number),
        "certificate": certificate,
        "standing": register.certificate_standing(certificate) if certificate else None,
    }
    status = status_if_unknown if number and certificate is None else 200
    return render(request, "register/check.html", context, status=status)


@require_safe
@_rate_limited("register-check", PAGE_RATE)
def check(request):
    number = clean_text(request.GET.get("number", ""))[:40]
    return _check_page(request, number, status_if_unknown=200)


@require_safe
@_rate_limited("register-check", PAGE_RATE)
def check_number(request, number):
    """The address printed on a certificate and in its QR code."""
    return _check_page(request, clean_text(number)[:40], status_if_unknown=404)


@require_safe
@_rate_limited("register", PAGE_RATE)
def committed(request):
    q = clean_text(request.GET.get("q", ""))[: register.MAX_QUERY_LENGTH]
    page = register.committed_organisations(q, request.GET.get("page", 1))
    return render(request, "register/committed.html", {"page": page, "q": q})


@require_safe
@_rate_limited("register", PAGE_RATE)
def bodies(request):
    return render(request, "register/bodies.html", {"rows": register.certification_bodies()})
