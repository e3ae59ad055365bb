"""Signed-in pages for sharing practice. Holders' administrators and editors: their case
studies, written, changed and submitted. The scheme unit: case studies to approve,
beacons, events and their registrations (administrators act, analysts read).

Case studies are read through `visible_to`, so another organisation's answers 404;
scheme pages answer 404 outside the scheme unit."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from common.http import form_page, posted
from organisations.forms import apply_errors
from organisations.models import Organisation, Role
from organisations.policy import get_visible_or_404
from organisations.views import applicant_required, membership_required, scheme_required
from standard.selectors import current_standard

from . import beacons, case_studies, events
from .forms_sharing import BeaconForm, CaseStudyForm, EndForm, EventForm, ReviewForm
from .models import Beacon, CaseStudy, Event

FORM_METHODS = ["GET", "HEAD", "POST"]


def scheme_admin_required(view):
    """The scheme unit's administrators; its analysts only read."""

    @wraps(view)
    @scheme_required
    def wrapper(request, *args, **kwargs):
        if request.membership.role != Role.SCHEME_ADMIN:
            raise PermissionDenied(_("Only scheme administrators can do this."))
        return view(request, *args, **kwargs)

    return wrapper


# A holder's case studies --------------------------------------------------------------


def _case_study_or_404(request, case_study_pk) -> CaseStudy:
    queryset = CaseStudy.objects.select_related("organisation", "criterion__standard")
    return get_visible_or_404(queryset, request.membership, pk=case_study_pk)


def _input(form) -> case_studies.CaseStudyInput:
    data = form.cleaned_data
    return case_studies.CaseStudyInput(
        criterion=data["criterion"],
        elements=list(data["elements"]),
        title=data["title"],
        summary=data["summary"],
        body=data["body"],
        contact=data["contact"],
    )


@require_safe
@applicant_required
def own_case_studies(request):
    membership = request.membership
    rows = (
        CaseStudy.objects.visible_to(membership)
        .select_related("organisation", "criterion")
        .order_by("-updated_at", "-pk")
    )
    context = {
        "case_studies": rows,
        "can_write": case_studies.may_write(membership, membership.organisation),
        "is_holder": case_studies.is_holder(membership.organisation),
    }
    return render(request, "awards/case_studies_own.html", context)


@require_http_methods(FORM_METHODS)
@applicant_required
def case_study_create(request):
    membership = request.membership
    if not case_studies.may_write(membership, membership.organisation):
        raise PermissionDenied(_("Only the organisation's administrators and editors can do this."))
    standard = current_standard()
    if standard is None:
        raise Http404
    form = CaseStudyForm(posted(request), standard=standard)
    if request.method == "POST" and form.is_valid():
        try:
            case_study = case_studies.case_study_create(membership=membership, data=_input(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your draft is saved. Submit it when it is ready."))
            return redirect("awards:case_study_draft", case_study.pk)
    return form_page(
        request,
        form,
        title=_("Write a case study"),
        back_url=reverse("awards:own_case_studies"),
        lead=_(
            "Tell others what you did, and what changed for your customers. The scheme unit "
            "reads it before it is published in the public library."
        ),
    )


@require_safe
@membership_required
def case_study_draft(request, case_study_pk):
    case_study = _case_study_or_404(request, case_study_pk)
    may_write = case_studies.may_write(request.membership, case_study.organisation)
    context = {
        "case_study": case_study,
        "elements": case_study.elements.select_related("criterion").order_by("position"),
        "can_edit": may_write and case_study.status in case_studies.EDITABLE,
    }
    return render(request, "awards/case_study_draft.html", context)


@require_http_methods(FORM_METHODS)
@membership_required
def case_study_edit(request, case_study_pk):
    case_study = _case_study_or_404(request, case_study_pk)
    if not case_studies.may_write(request.membership, case_study.organisation):
        raise PermissionDenied(_("Only the organisation's administrators and editors can do this."))
    if case_study.status not in case_studies.EDITABLE:
        messages.error(request, _("This case study is waiting for approval or published."))
        return redirect("awards:case_study_draft", case_study.pk)
    initial = {
        "criterion": case_study.criterion_id,
        "elements": list(case_study.elements.values_list("pk", flat=True)),
        "title": case_study.title,
        "summary": case_study.summary,
        "body": case_study.body,
        "contact": case_study.contact,
    }
    form = CaseStudyForm(posted(request), initial=initial, standard=case_study.criterion.standard)
    form.helper.inputs[0].value = _("Save changes")
    if request.method == "POST" and form.is_valid():
        try:
            case_studies.case_study_update(
                membership=request.membership, case_study=case_study, data=_input(form)
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("awards:case_study_draft", case_study.pk)
    return form_page(
        request,
        form,
        title=_("Change the case study"),
        caption=case_study.title,
        back_url=reverse("awards:case_study_draft", args=[case_study.pk]),
    )


@require_POST
@membership_required
def case_study_submit(request, case_study_pk):
    case_study = _case_study_or_404(request, case_study_pk)
    try:
        case_studies.case_study_submit(membership=request.membership, case_study=case_study)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Submitted: the scheme unit will read it and tell you."))
    return redirect("awards:case_study_draft", case_study.pk)


# The scheme unit: case studies to approve ---------------------------------------------


@require_safe
@scheme_required
def case_study_reviews(request):
    decided = (
        CaseStudy.objects.visible_to(request.membership)
        .exclude(status__in=[CaseStudy.Status.DRAFT, CaseStudy.Status.SUBMITTED])
        .select_related("organisation", "criterion")
        .order_by("-updated_at", "-pk")[:50]
    )
    context = {"waiting": case_studies.awaiting_review(), "decided": decided}
    return render(request, "awards/case_studies_review.html", context)


@require_http_methods(FORM_METHODS)
@scheme_required
def case_study_review(request, case_study_pk):
    case_study = _case_study_or_404(request, case_study_pk)
    can_review = (
        request.membership.role == Role.SCHEME_ADMIN
        and case_study.status == CaseStudy.Status.SUBMITTED
    )
    if request.method == "POST" and not can_review:
        raise PermissionDenied(_("This case study is not waiting for your decision."))
    form = ReviewForm(posted(request)) if can_review else None
    if form is not None and request.method == "POST" and form.is_valid():
        decide = (
            case_studies.case_study_approve
            if form.cleaned_data["decision"] == "approve"
            else case_studies.case_study_return
        )
        try:
            decide(
                membership=request.membership, case_study=case_study, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Published in the library.")
                if form.cleaned_data["decision"] == "approve"
                else _("Returned to the author."),
            )
            return redirect("awards:case_study_reviews")
    context = {
        "case_study": case_study,
        "elements": case_study.elements.select_related("criterion").order_by("position"),
        "form": form,
    }
    return render(request, "awards/case_study_review.html", context)


# The scheme unit: beacons -------------------------------------------------------------


@require_safe
@scheme_required
def beacon_admin(request):
    rows = [(beacon, beacons.is_current(beacon)) for beacon in beacons.beacons_for_scheme()[:200]]
    context = {
        "rows": rows,
        "today": timezone.localdate(),
        "can_act": request.membership.role == Role.SCHEME_ADMIN,
    }
    return render(request, "awards/beacon_admin.html", context)


@require_http_methods(FORM_METHODS)
@scheme_admin_required
def beacon_designate(request):
    standard = current_standard()
    if standard is None:
        raise Http404
    form = BeaconForm(
        posted(request),
        organisations=beacons.candidate_organisations(),
        criteria=standard.criteria.order_by("number"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            beacon, grounds = beacons.beacon_designate(
                membership=request.membership,
                organisation=data["organisation"],
                criterion=data["criterion"],
                reason=data["reason"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("%(organisation)s is a beacon for %(criterion)s. Grounds: %(grounds)s.")
                % {
                    "organisation": beacon.organisation.name,
                    "criterion": beacon.criterion.title,
                    "grounds": grounds.describe(),
                },
            )
            return redirect("awards:beacon_admin")
    return form_page(
        request,
        form,
        title=_("Designate a beacon"),
        back_url=reverse("awards:beacon_admin"),
        lead=_(
            "An organisation can be a beacon for a criterion when it won a published award "
            "on it, or its latest decided assessment found elements of it at compliance plus. "
            "The service checks which, and refuses otherwise."
        ),
    )


@require_http_methods(FORM_METHODS)
@scheme_admin_required
def beacon_end(request, beacon_pk):
    beacon = get_visible_or_404(
        Beacon.objects.select_related("organisation", "criterion"), request.membership, pk=beacon_pk
    )
    form = EndForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            beacons.beacon_end(
                membership=request.membership, beacon=beacon, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The designation has ended."))
            return redirect("awards:beacon_admin")
    return form_page(
        request,
        form,
        title=_("End the designation early"),
        caption=_("%(organisation)s, beacon for %(criterion)s")
        % {"organisation": beacon.organisation.name, "criterion": beacon.criterion.title},
        back_url=reverse("awards:beacon_admin"),
    )


# The scheme unit: events --------------------------------------------------------------


def _event_or_404(event_pk) -> Event:
    return get_object_or_404(events.events_for_scheme(), pk=event_pk)


def _event_input(form) -> events.EventInput:
    data = form.cleaned_data
    return events.EventInput(
        kind=data["kind"],
        title=data["title"],
        description=data["description"],
        starts_at=form.starts_at(),
        location=data["location"],
        capacity=data["capacity"],
        host=data["host"],
        cycle=data["cycle"],
    )


def _hosts():
    return Organisation.objects.filter(kind=Organisation.Kind.APPLICANT).order_by("name")


@require_safe
@scheme_required
def event_admin(request):
    rows = events.events_for_scheme()[:200]
    context = {
        "rows": rows,
        "now": timezone.now(),
        "can_act": request.membership.role == Role.SCHEME_ADMIN,
    }
    return render(request, "awards/event_admin.html", context)


@require_http_methods(FORM_METHODS)
@scheme_admin_required
def event_create(request):
    form = EventForm(posted(request), hosts=_hosts())
    if request.method == "POST" and form.is_valid():
        try:
            event = events.event_create(membership=request.membership, data=_event_input(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The event is saved. Publish it when it is ready."))
            return redirect("awards:event_manage", event.pk)
    return form_page(
        request, form, title=_("Create an event"), back_url=reverse("awards:event_admin")
    )


@require_http_methods(FORM_METHODS)
@scheme_admin_required
def event_edit(request, event_pk):
    event = _event_or_404(event_pk)
    form = EventForm(posted(request), initial=EventForm.initial_for(event), hosts=_hosts())
    form.helper.inputs[0].value = _("Save changes")
    if request.method == "POST" and form.is_valid():
        try:
            events.event_update(membership=request.membership, event=event, data=_event_input(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("awards:event_manage", event.pk)
    return form_page(
        request,
        form,
        title=_("Change the event"),
        caption=event.title,
        back_url=reverse("awards:event_manage", args=[event.pk]),
    )


@require_http_methods(FORM_METHODS)
@scheme_required
def event_manage(request, event_pk):
    event = _event_or_404(event_pk)
    if request.method == "POST":
        if request.membership.role != Role.SCHEME_ADMIN:
            raise PermissionDenied(_("Only scheme administrators can do this."))
        publish = request.POST.get("published") == "1"
        try:
            events.event_publish(membership=request.membership, event=event, published=publish)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The event is published.") if publish else _("The event is no longer shown."),
            )
        return redirect("awards:event_manage", event.pk)
    context = {
        "event": event,
        "registrations": events.live_registrations(event),
        "places_left": events.places_left(event),
        "is_future": event.starts_at > timezone.now(),
        "can_act": request.membership.role == Role.SCHEME_ADMIN,
    }
    return render(request, "awards/event_manage.html", context)


@require_safe
@scheme_required
def event_registrations_csv(request, event_pk):
    event = _event_or_404(event_pk)
    response = HttpResponse(events.registrations_csv(event), content_type="text/csv; charset=utf-8")
    filename = f"event-{event.pk}-registrations.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
