"""Public pages for sharing practice: the case-study library and its case studies, the
current beacons and a beacon's page, upcoming events with their registration form, and
the page that cancels a registration. Nobody needs to sign in; each page is rate
limited per address, registrations more tightly."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from common.http import posted
from common.ratelimit import too_many_requests
from common.text import clean_text
from organisations.forms import apply_errors
from organisations.models import Sector

from . import beacons, case_studies, events
from .forms_sharing import RegistrationForm

# Requests one address may make a minute to the pages, and registrations an hour.
PAGE_RATE = "120/m"
REGISTRATION_RATE = "20/h"


def _rate_limited(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if too_many_requests(request, group="awards-public", rate=PAGE_RATE):
            return _too_many(request)
        return view(request, *args, **kwargs)

    return wrapper


def _too_many(request):
    return render(request, "awards/event_too_many.html", status=429)


def _sectors():
    return Sector.objects.order_by("name")


# The case-study library ---------------------------------------------------------------


@require_safe
@_rate_limited
def library(request):
    query = case_studies.LibraryQuery.from_params(request.GET)
    page = case_studies.library_search(query)
    context = {
        "query": query,
        "page": page,
        "query_string": query.params(),
        "sectors": _sectors(),
        "criteria": case_studies.library_criteria(),
        "beacon_ids": set(beacons.current_beacons().values_list("organisation_id", flat=True)),
    }
    return render(request, "awards/case_studies.html", context)


@require_safe
@_rate_limited
def case_study(request, case_study_pk):
    found = case_studies.published_case_study(case_study_pk)
    if found is None:
        raise Http404
    context = {
        "case_study": found,
        "elements": sorted(found.elements.all(), key=lambda e: e.position),
        "beacons": beacons.current_beacons_of(found.organisation),
    }
    return render(request, "awards/case_study.html", context)


# Beacons ------------------------------------------------------------------------------


@require_safe
@_rate_limited
def beacon_list(request):
    criterion = clean_text(request.GET.get("criterion", ""))[:50]
    sector = clean_text(request.GET.get("sector", ""))[:50]
    context = {
        "beacons": beacons.public_beacons(criterion_slug=criterion, sector_slug=sector),
        "criteria": case_studies.library_criteria(),
        "sectors": _sectors(),
        "chosen_criterion": criterion,
        "chosen_sector": sector,
    }
    return render(request, "awards/beacons.html", context)


@require_safe
@_rate_limited
def beacon(request, organisation_pk):
    page = beacons.beacon_page(organisation_pk)
    if page is None:
        raise Http404
    return render(request, "awards/beacon.html", {"page": page})


# Events -------------------------------------------------------------------------------


@require_safe
@_rate_limited
def event_list(request):
    rows = [(event, events.places_left(event)) for event in events.upcoming_events()[:100]]
    return render(request, "awards/events.html", {"rows": rows})


def _event_or_404(event_pk):
    event = events.public_event(event_pk)
    if event is None:
        raise Http404
    return event


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_rate_limited
def event(request, event_pk):
    event = _event_or_404(event_pk)
    form = RegistrationForm(posted(request))
    if request.method == "POST":
        if too_many_requests(request, group="awards-registration", rate=REGISTRATION_RATE):
            return _too_many(request)
        if form.is_valid():
            try:
                events.registration_create(event=event, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return redirect("awards:event_registered", event.pk)
    context = {"event": event, "form": form, "places_left": events.places_left(event)}
    return render(request, "awards/event.html", context)


@require_safe
@_rate_limited
def event_registered(request, event_pk):
    return render(request, "awards/event_registered.html", {"event": _event_or_404(event_pk)})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_rate_limited
def registration_cancel(request, token):
    registration = events.registration_by_token(clean_text(token)[:100])
    if registration is None:
        raise Http404
    if request.method == "POST" and registration.cancelled_at is None:
        registration = events.registration_cancel(registration=registration)
        messages.success(request, _("Your registration is cancelled."))
        return redirect("awards:registration_cancel", token)
    context = {"registration": registration, "event": registration.event}
    return render(request, "awards/event_cancel.html", context)
