"""Pages for applications, certificates and the certification body's own records.
The engagement pages (plan, visits, findings, report, decision) are in
`views_engagements.py`."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from assessments.models import SelfAssessment
from common.http import form_page, posted
from organisations.forms import apply_errors
from organisations.models import Membership, Organisation, Role, Sector
from organisations.policy import acts_for, get_visible_or_404
from organisations.views import membership_required
from standard.selectors import reminder_days

from . import decisions, selectors, services
from .forms import (
    AnswerForm,
    ApplicationForm,
    AssessorForm,
    ConflictForm,
    DayRateForm,
    DecisionForm,
    EngagementForm,
)
from .models import (
    Application,
    AssessorProfile,
    BodyProfile,
    Certificate,
    ConflictDeclaration,
    Engagement,
)

KINDS_WITH_PAGES = {
    Organisation.Kind.APPLICANT,
    Organisation.Kind.CERTIFICATION_BODY,
    Organisation.Kind.SCHEME_UNIT,
}


def certification_member(view):
    """Applicants, certification bodies and the scheme unit; regulators read outcomes
    through the reliance pages instead."""

    @wraps(view)
    @membership_required
    def wrapper(request, *args, **kwargs):
        if request.membership.organisation.kind not in KINDS_WITH_PAGES:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def body_manager(view):
    """A certification body's managers only."""

    @wraps(view)
    @membership_required
    def wrapper(request, *args, **kwargs):
        if request.membership.role != Role.CB_MANAGER:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@certification_member
def index(request):
    membership = request.membership
    applications = (
        Application.objects.visible_to(membership)
        .select_related("applicant", "certification_body")
        .order_by("-submitted_at")
    )
    engagements = (
        Engagement.objects.visible_to(membership)
        .select_related("application__applicant", "lead__user")
        .order_by("-created_at")
    )
    certificates = (
        Certificate.objects.visible_to(membership)
        .select_related("certification_body")
        .order_by("next_review_due")
    )
    is_body = membership.organisation.kind == Organisation.Kind.CERTIFICATION_BODY
    context = {
        "applications": applications[:50],
        "engagements": engagements[:50],
        "certificates": certificates[:50],
        "is_body": is_body,
        # "90, 30 and 7": the days before a review on which the sweep reminds.
        "reminder_days": get_text_list([str(days) for days in reminder_days()], _("and")),
        "is_assessor_view": is_body and membership.role == Role.ASSESSOR,
        "my_engagements": engagements.filter(team=membership)[:50] if is_body else None,
        "can_apply": membership.role == Role.APPLICANT_ADMIN
        and not applications.filter(
            applicant=membership.organisation,
            status__in=[Application.Status.PENDING, Application.Status.ACCEPTED],
        ).exists(),
    }
    return render(request, "certification/index.html", context)


@membership_required
def apply(request):
    membership = request.membership
    if membership.role != Role.APPLICANT_ADMIN:
        raise Http404
    form = ApplicationForm(
        posted(request),
        bodies=selectors.accredited_bodies(),
        units=membership.organisation.units.all(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_submit(
                membership=membership,
                applicant=membership.organisation,
                certification_body=form.cleaned_data["certification_body"],
                units=list(form.cleaned_data.get("units") or []),
                scope_note=form.cleaned_data["scope_note"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your application has been sent."))
            return redirect("certification:application", application.pk)
    return form_page(
        request,
        form,
        title=_("Apply for certification"),
        back_url=reverse("certification:index"),
        lead=_(
            "Choose an accredited certification body. It will accept or decline your "
            "application, then plan your initial assessment with you."
        ),
    )


def _application(request, application_pk):
    return get_visible_or_404(
        Application.objects.select_related("applicant", "certification_body"),
        request.membership,
        pk=application_pk,
    )


@certification_member
def application(request, application_pk):
    membership = request.membership
    application = _application(request, application_pk)
    is_manager = (
        membership.role == Role.CB_MANAGER
        and membership.organisation_id == application.certification_body_id
    )
    is_applicant_admin = membership.role == Role.APPLICANT_ADMIN and acts_for(
        membership, application.applicant
    )
    answer_form = None
    if is_manager and application.status == Application.Status.PENDING:
        answer_form = AnswerForm(posted(request))
        if request.method == "POST" and answer_form.is_valid():
            try:
                services.application_answer(
                    membership=membership,
                    application=application,
                    accept=answer_form.cleaned_data["answer"] == "accept",
                    note=answer_form.cleaned_data["note"],
                )
            except ValidationError as error:
                apply_errors(answer_form, error)
            else:
                messages.success(request, _("Your answer has been recorded."))
                return redirect("certification:application", application.pk)
    elif request.method == "POST" and is_applicant_admin and "withdraw" in request.POST:
        try:
            services.application_withdraw(membership=membership, application=application)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your application has been withdrawn."))
        return redirect("certification:application", application.pk)
    elif request.method == "POST":
        raise Http404
    context = {
        "application": application,
        "answer_form": answer_form,
        "is_manager": is_manager,
        "can_withdraw": is_applicant_admin and application.status == Application.Status.PENDING,
        "can_plan": is_manager and application.status == Application.Status.ACCEPTED,
        "engagements": application.engagements.select_related("lead__user").order_by("-created_at"),
        "units": application.units.all(),
    }
    return render(request, "certification/application.html", context)


def shared_self_assessments(application):
    return SelfAssessment.objects.filter(
        organisation=application.applicant_id,
        shares__certification_body=application.certification_body_id,
    ).distinct()


@body_manager
def engagement_create(request, application_pk):
    application = _application(request, application_pk)
    if request.membership.organisation_id != application.certification_body_id:
        raise Http404
    form = EngagementForm(posted(request), shared=shared_self_assessments(application))
    if request.method == "POST" and form.is_valid():
        data = services.EngagementInput(
            kind=form.cleaned_data["kind"],
            starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"],
            assessor_days=form.cleaned_data["assessor_days"],
            self_assessment=form.cleaned_data["self_assessment"],
        )
        try:
            engagement = services.engagement_create(
                membership=request.membership, application=application, data=data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The plan has been computed. Now name the team."))
            return redirect("certification:engagement", engagement.pk)
    return form_page(
        request,
        form,
        title=_("Plan an assessment"),
        caption=application.applicant.name,
        back_url=reverse("certification:index"),
        lead=_(
            "The sites to visit and the elements in scope are computed from the scheme's "
            "sampling rules and the organisation's record; you can change them afterwards "
            "with a recorded reason."
        ),
    )


# Certificates -------------------------------------------------------------------------


def _certificate(request, certificate_pk):
    return get_visible_or_404(
        Certificate.objects.select_related("holder", "certification_body", "standard"),
        request.membership,
        pk=certificate_pk,
    )


@certification_member
def certificate(request, certificate_pk):
    membership = request.membership
    certificate = _certificate(request, certificate_pk)
    kinds = [
        kind for kind, allowed in decisions.ON_CERTIFICATE.items() if certificate.status in allowed
    ]
    may_decide = (
        membership.role == Role.CB_MANAGER
        and membership.organisation_id == certificate.certification_body_id
        and kinds
    )
    form = DecisionForm(posted(request), kinds=kinds) if may_decide else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                decisions.decision_on_certificate(
                    membership=membership,
                    certificate=certificate,
                    kind=form.cleaned_data["kind"],
                    reasons=form.cleaned_data["reasons"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("The decision has been recorded."))
                return redirect("certification:certificate", certificate.pk)
    context = {
        "certificate": certificate,
        "events": certificate.events.select_related("decision__decided_by"),
        "decisions": certificate.decisions.select_related("decided_by", "engagement"),
        "units": certificate.units.all(),
        "form": form,
    }
    return render(request, "certification/certificate.html", context)


# The body's own records ---------------------------------------------------------------


def _body_member(view):
    @wraps(view)
    @membership_required
    def wrapper(request, *args, **kwargs):
        if request.membership.organisation.kind != Organisation.Kind.CERTIFICATION_BODY:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@_body_member
def body(request):
    membership = request.membership
    organisation = membership.organisation
    profile = BodyProfile.objects.filter(organisation=organisation).first()
    form = None
    if membership.role == Role.CB_MANAGER and profile is not None:
        form = DayRateForm(posted(request), initial={"day_rate": profile.day_rate})
        if request.method == "POST" and form.is_valid():
            services.body_profile_update(
                membership=membership, body=organisation, day_rate=form.cleaned_data["day_rate"]
            )
            messages.success(request, _("The day rate has been saved."))
            return redirect("certification:body")
    elif request.method == "POST":
        raise Http404
    people = (
        Membership.objects.visible_to(membership)
        .filter(organisation=organisation, role__in=services.BODY_ROLES)
        .select_related("user", "assessor_profile")
        .prefetch_related("assessor_profile__sectors")
    )
    conflicts = ConflictDeclaration.objects.visible_to(membership).select_related(
        "assessor__user", "organisation"
    )
    if membership.role != Role.CB_MANAGER:
        conflicts = conflicts.filter(assessor=membership)
    context = {
        "organisation": organisation,
        "profile": profile,
        "form": form,
        "people": people,
        "conflicts": conflicts,
        "is_manager": membership.role == Role.CB_MANAGER,
    }
    return render(request, "certification/body.html", context)


@body_manager
def assessor(request, membership_pk):
    person = get_visible_or_404(
        Membership.objects.filter(role__in=services.BODY_ROLES).select_related("user"),
        request.membership,
        pk=membership_pk,
    )
    profile = AssessorProfile.objects.filter(membership=person).first()
    initial = (
        {
            "sectors": list(profile.sectors.all()),
            "trained_on": profile.trained_on,
            "notes": profile.notes,
        }
        if profile
        else {}
    )
    form = AssessorForm(posted(request), sectors=Sector.objects.all(), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessor_profile_save(
                membership=request.membership,
                assessor=person,
                sectors=form.cleaned_data["sectors"],
                trained_on=form.cleaned_data["trained_on"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The competence record has been saved."))
            return redirect("certification:body")
    return form_page(
        request,
        form,
        title=_("Competence record"),
        caption=str(person.user),
        back_url=reverse("certification:body"),
    )


@_body_member
def conflict_declare(request):
    organisations = selectors.conflict_candidates(request.membership.organisation_id)
    form = ConflictForm(posted(request), organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            services.conflict_declare(
                membership=request.membership,
                assessor=request.membership,
                organisation=form.cleaned_data["organisation"],
                kind=form.cleaned_data["kind"],
                details=form.cleaned_data["details"],
                ended_on=form.cleaned_data["ended_on"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your declaration has been recorded."))
            return redirect("certification:body")
    return form_page(
        request,
        form,
        title=_("Declare a conflict of interest"),
        back_url=reverse("certification:body"),
        lead=_(
            "Declare any interest in an organisation you might assess: advice or training "
            "you gave it, work for it, or a personal or financial tie. You will not be put "
            "on its assessment team while the interest lasts and for two years after."
        ),
    )
