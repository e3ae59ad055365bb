"""The home page: what each kind of organisation sees first. It is the top level, so it
reads from every app."""

from django.shortcuts import render

from assessments.models import SelfAssessment
from certification.selectors import body_to_do
from organisations.models import Organisation, Role
from organisations.policy import relied_on_organisations
from standard.selectors import current_standard


def home(request):
    membership = request.membership
    context = {"standard": current_standard()}
    if membership is None:
        return render(request, "home/public.html", context)
    organisation = membership.organisation
    context.update(
        organisation=organisation,
        sites=organisation.sites.count(),
        units=organisation.units.count(),
        members=organisation.memberships.count(),
        pending_invitations=organisation.invitations.filter(
            accepted_at=None, revoked_at=None
        ).count(),
    )
    if organisation.kind == Organisation.Kind.APPLICANT:
        context.update(_self_assessment_progress(organisation))
        context["writes_case_studies"] = membership.role in (
            Role.APPLICANT_ADMIN,
            Role.APPLICANT_EDITOR,
        )
    if organisation.kind == Organisation.Kind.CERTIFICATION_BODY:
        context.update(body_to_do(membership))
    if organisation.kind == Organisation.Kind.REGULATOR:
        context["relied_on"] = relied_on_organisations(membership).count()
    return render(request, f"home/{organisation.kind}.html", context)


def _self_assessment_progress(organisation):
    draft = SelfAssessment.objects.filter(
        organisation=organisation, status=SelfAssessment.Status.DRAFT
    ).first()
    if draft is None:
        return {"draft": None}
    ratings = draft.ratings.all()
    return {
        "draft": draft,
        "draft_total": ratings.count(),
        "draft_rated": ratings.exclude(value="").count(),
    }
