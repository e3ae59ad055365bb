"""Pages of one engagement: the plan and its reasons, the team, visits, findings with
their actions, the report for decision, the decision, and the fee statement."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from assessments.models import Evidence
from common.csvsafe import neutralise
from common.http import form_page, posted
from organisations.forms import apply_errors
from organisations.models import Membership, Role, Site
from organisations.policy import acts_for, get_visible_or_404
from organisations.views import membership_required
from standard.models import Element

from . import decisions, reports, selectors, services
from .forms import (
    DecisionForm,
    EngagementForm,
    FindingForm,
    PlanChangeForm,
    ReportForm,
    RespondForm,
    TeamForm,
    VerifyForm,
    VisitForm,
)
from .models import Engagement, Finding, FindingAction, SiteVisit
from .views import certification_member, shared_self_assessments


def _engagement(request, engagement_pk):
    return get_visible_or_404(
        Engagement.objects.select_related(
            "application__applicant", "application__certification_body", "standard", "lead__user"
        ),
        request.membership,
        pk=engagement_pk,
    )


def _roles(membership, engagement):
    """What this person may do on the engagement's pages (the services check again)."""
    of_body = membership.organisation_id == engagement.application.certification_body_id
    manager = of_body and membership.role == Role.CB_MANAGER
    on_team = of_body and selectors.is_on_team(membership, engagement)
    is_open = engagement.is_open
    return {
        "is_body": of_body,
        "is_manager": manager,
        "on_team": on_team,
        "is_lead": engagement.lead_id == membership.pk,
        "can_plan": (manager or on_team) and is_open,
        "can_record": on_team and is_open,
        "can_decide": manager
        and not selectors.is_on_any_team(membership, engagement)
        and engagement.status == Engagement.Status.REPORTED,
        "is_holder": acts_for(membership, engagement.holder),
        # The holder reads findings once the assessment is reported.
        "sees_findings": of_body
        or membership.is_scheme
        or engagement.status in (Engagement.Status.REPORTED, Engagement.Status.DECIDED),
    }


def _deny_unless(allowed: bool):
    if not allowed:
        raise Http404


@certification_member
def engagement(request, engagement_pk):
    engagement = _engagement(request, engagement_pk)
    roles = _roles(request.membership, engagement)
    context = {
        "engagement": engagement,
        "overview": selectors.engagement_overview(engagement, with_findings=roles["sees_findings"]),
        "fees": selectors.fee_statement(engagement),
        "can_build_report": reports.may_read_report(request.membership, engagement),
        **roles,
    }
    return render(request, "certification/engagement.html", context)


@certification_member
def engagement_edit(request, engagement_pk):
    engagement = _engagement(request, engagement_pk)
    _deny_unless(_roles(request.membership, engagement)["is_manager"] and engagement.is_open)
    form = EngagementForm(
        posted(request),
        shared=shared_self_assessments(engagement.application),
        with_kind=False,
        initial={
            "starts_on": engagement.starts_on,
            "ends_on": engagement.ends_on,
            "assessor_days": engagement.assessor_days,
            "self_assessment": engagement.self_assessment,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = services.EngagementInput(kind=engagement.kind, **form.cleaned_data)
        try:
            services.engagement_update(
                membership=request.membership, engagement=engagement, data=data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The engagement has been updated."))
            return redirect("certification:engagement", engagement.pk)
    return _page(request, form, engagement, _("Dates, days and self-assessment"))


def _page(request, form, engagement, title, lead=""):
    return form_page(
        request,
        form,
        title=title,
        caption=str(engagement),
        lead=lead,
        back_url=reverse("certification:engagement", args=[engagement.pk]),
    )


@certification_member
def team(request, engagement_pk):
    engagement = _engagement(request, engagement_pk)
    _deny_unless(_roles(request.membership, engagement)["is_manager"] and engagement.is_open)
    people = Membership.objects.filter(
        organisation=engagement.application.certification_body_id,
        role__in=services.BODY_ROLES,
    ).select_related("user")
    form = TeamForm(
        posted(request),
        people=people,
        initial={"lead": engagement.lead, "members": list(engagement.team.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.team_set(
                membership=request.membership,
                engagement=engagement,
                lead=form.cleaned_data["lead"],
                members=list(form.cleaned_data["members"]),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The assessment team has been saved."))
            return redirect("certification:engagement", engagement.pk)
    lead = _(
        "Assessors need a competence record for the organisation's sector and no conflict "
        "of interest with it. The lead changes after the standard's number of cycles in a "
        "row. Whoever is on the team cannot make the decision."
    )
    return _page(request, form, engagement, _("Assessment team"), lead)


@certification_member
def plan_change(request, engagement_pk):
    engagement = _engagement(request, engagement_pk)
    _deny_unless(_roles(request.membership, engagement)["can_plan"])
    sites = Site.objects.filter(
        pk__in=[site.pk for site in selectors.sites_in_scope(engagement.application)]
    )
    elements = Element.objects.filter(criterion__standard=engagement.standard).order_by(
        "criterion__number", "position"
    )
    form = PlanChangeForm(posted(request), sites=sites, elements=elements)
    if request.method == "POST" and form.is_valid():
        what = form.cleaned_data["what"]
        common = {
            "membership": request.membership,
            "engagement": engagement,
            "add": what.startswith("add"),
            "justification": form.cleaned_data["justification"],
        }
        try:
            if what.endswith("_site"):
                services.plan_site_change(site=form.cleaned_data["site"], **common)
            else:
                services.plan_element_change(element=form.cleaned_data["element"], **common)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The plan has been changed and the reason recorded."))
            return redirect("certification:engagement", engagement.pk)
    return _page(request, form, engagement, _("Change the plan"))


@certification_member
def visit(request, engagement_pk, visit_pk=None):
    engagement = _engagement(request, engagement_pk)
    _deny_unless(_roles(request.membership, engagement)["can_record"])
    existing = (
        get_object_or_404(SiteVisit, engagement=engagement, pk=visit_pk) if visit_pk else None
    )
    sites = Site.objects.filter(pk__in=engagement.sites.values("site"))
    initial = {}
    if existing:
        initial = {
            field: getattr(existing, field)
            for field in (
                "site",
                "visited_on",
                "hours",
                "staff_spoken_to",
                "customers_spoken_to",
                "observations",
            )
        }
    form = VisitForm(posted(request), sites=sites, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_record(
                membership=request.membership,
                engagement=engagement,
                data=services.VisitInput(**form.cleaned_data),
                visit=existing,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The visit has been saved."))
            return redirect("certification:engagement", engagement.pk)
    return _page(request, form, engagement, _("Site visit"))


def _finding_initial(finding):
    action = getattr(finding, "action", None)
    return {
        "rating": finding.rating,
        "notes": finding.notes,
        "evidence_reviewed": finding.evidence_reviewed,
        "relied_on_self_assessment": finding.relied_on_self_assessment,
        "site": finding.site,
        "required_action": action.description if action else "",
        "action_due": action.due_date if action else None,
        "version": finding.version,
    }


@certification_member
def finding(request, engagement_pk, code):
    engagement = _engagement(request, engagement_pk)
    roles = _roles(request.membership, engagement)
    _deny_unless(roles["sees_findings"])
    finding = get_object_or_404(
        Finding.objects.select_related("element__criterion", "updated_by", "site"),
        engagement=engagement,
        element__code=code,
    )
    sites = Site.objects.filter(
        pk__in=[site.pk for site in selectors.sites_in_scope(engagement.application)]
    )
    form = FindingForm(
        posted(request),
        sites=sites,
        initial=_finding_initial(finding),
    )
    wants_json = "application/json" in request.headers.get("Accept", "")
    conflict = None
    if request.method == "POST":
        if not roles["can_record"]:
            raise PermissionDenied(_("Only the assessment team records findings."))
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            data["action"] = data.pop("required_action")
            try:
                finding = services.finding_save(
                    membership=request.membership,
                    finding=finding,
                    expected_version=form.cleaned_data["version"],
                    data=services.FindingInput(**data),
                )
            except services.StaleFinding as exc:
                conflict = exc
                finding.refresh_from_db()
                form = FindingForm(sites=sites, initial=_finding_initial(finding))
            except ValidationError as error:
                if hasattr(error, "error_dict") and "action" in error.error_dict:
                    error.error_dict["required_action"] = error.error_dict.pop("action")
                apply_errors(form, error)
            else:
                if wants_json:
                    return JsonResponse(
                        {"version": finding.version, "saved_at": finding.updated_at.isoformat()}
                    )
                messages.success(request, _("Finding for %(code)s saved.") % {"code": code})
                return redirect(_next_finding_url(engagement, finding))
        if wants_json:
            if conflict:
                return JsonResponse(
                    {"error": conflict.messages[0], "version": finding.version}, status=409
                )
            return JsonResponse({"errors": form.errors}, status=400)
    self_rating = None
    if engagement.self_assessment_id:
        self_rating = engagement.self_assessment.ratings.filter(element=finding.element).first()
    context = {
        "engagement": engagement,
        "finding": finding,
        "element": finding.element,
        "form": form,
        "conflict": conflict,
        "self_rating": self_rating,
        "action": getattr(finding, "action", None),
        "neighbours": _neighbours(engagement, finding),
        "latest_partial_due": _latest_partial_due(engagement),
        **roles,
    }
    return render(request, "certification/finding.html", context, status=409 if conflict else 200)


def _latest_partial_due(engagement):
    from assessments.services import partial_action_latest_due

    return partial_action_latest_due(engagement.standard)


def _codes(engagement):
    return list(
        engagement.findings.order_by("element__criterion__number", "element__position").values_list(
            "element__code", flat=True
        )
    )


def _neighbours(engagement, finding):
    codes = _codes(engagement)
    index = codes.index(finding.element.code)
    return (
        codes[index - 1] if index > 0 else None,
        codes[index + 1] if index + 1 < len(codes) else None,
    )


def _next_finding_url(engagement, finding):
    _previous, following = _neighbours(engagement, finding)
    if following:
        return reverse("certification:finding", args=[engagement.pk, following])
    return reverse("certification:engagement", args=[engagement.pk])


@membership_required
def action(request, finding_action_pk):
    membership = request.membership
    action = get_visible_or_404(
        FindingAction.objects.select_related(
            "finding__element", "finding__engagement__application__applicant"
        ),
        membership,
        pk=finding_action_pk,
    )
    engagement = action.finding.engagement
    roles = _roles(membership, engagement)
    _deny_unless(roles["sees_findings"])
    holder = engagement.holder
    can_respond = (
        roles["is_holder"]
        and membership.role in (Role.APPLICANT_ADMIN, Role.APPLICANT_EDITOR)
        and action.status in (FindingAction.Status.OPEN, FindingAction.Status.REJECTED)
    )
    can_verify = (roles["on_team"] or roles["is_manager"]) and (
        action.status == FindingAction.Status.SUBMITTED
    )
    form = None
    if can_respond:
        form = RespondForm(
            posted(request),
            evidence=Evidence.objects.filter(organisation=holder),
            initial={"response": action.response, "evidence": list(action.evidence.all())},
        )
    elif can_verify:
        form = VerifyForm(posted(request))
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                if can_respond:
                    services.action_respond(
                        membership=membership,
                        action=action,
                        response=form.cleaned_data["response"],
                        evidence=list(form.cleaned_data["evidence"]),
                    )
                else:
                    services.action_verify(
                        membership=membership,
                        action=action,
                        accept=form.cleaned_data["verdict"] == "accept",
                        note=form.cleaned_data["note"],
                    )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Thank you: the action has been updated."))
                return redirect("certification:action", action.pk)
    context = {
        "action": action,
        "finding": action.finding,
        "engagement": engagement,
        "form": form,
        "can_respond": can_respond,
        "evidence": action.evidence.all(),
    }
    return render(request, "certification/action.html", context)


@certification_member
def report(request, engagement_pk):
    engagement = _engagement(request, engagement_pk)
    _deny_unless(_roles(request.membership, engagement)["is_lead"] and engagement.is_open)
    form = ReportForm(
        posted(request),
        initial={"summary": engagement.summary, "strengths": engagement.strengths},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.engagement_report(
                membership=request.membership, engagement=engagement, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The assessment is reported and ready for decision."))
            return redirect("certification:engagement", engagement.pk)
    lead = _(
        "Once reported, the findings cannot change. A certification manager who was not on "
        "the team then decides."
    )
    return _page(request, form, engagement, _("Report for decision"), lead)


@certification_member
def decide(request, engagement_pk):
    engagement = _engagement(request, engagement_pk)
    _deny_unless(_roles(request.membership, engagement)["can_decide"])
    kinds = [*decisions.CERTIFYING, decisions.Kind.REFUSE]
    form = DecisionForm(posted(request), kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            decisions.decision_on_engagement(
                membership=request.membership,
                engagement=engagement,
                kind=form.cleaned_data["kind"],
                reasons=form.cleaned_data["reasons"],
                conditions=form.cleaned_data.get("conditions", ""),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The decision has been recorded."))
            return redirect("certification:engagement", engagement.pk)
    return _page(request, form, engagement, _("Decision"))


@certification_member
def fees(request, engagement_pk):
    """The fee statement as CSV: assessor days at the body's day rate."""
    engagement = _engagement(request, engagement_pk)
    statement = selectors.fee_statement(engagement)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"fees-{engagement.holder.name}-{engagement.pk}.csv".replace(" ", "-").lower()
    response["Content-Disposition"] = content_disposition_header(True, name)
    writer = csv.writer(response)
    writer.writerow([_("Item"), _("Value")])
    for label, value in statement["rows"]:
        writer.writerow([neutralise(label), neutralise(value)])
    return response
