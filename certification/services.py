"""Every change to a certification body's work before the decision: profiles, conflicts,
applications, engagements and their plans, visits, findings and their actions.
Decisions and certificates are in `decisions.py`, the review sweep in `reminders.py`."""

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Evidence, SelfAssessment
from organisations.models import (
    Membership,
    Organisation,
    RegulatorConsent,
    Role,
    Sector,
    Site,
)
from organisations.policy import acts_for
from standard.models import Element
from standard.scales import GAPS, RatingValue
from standard.selectors import current_standard

from . import selectors
from .models import (
    Application,
    AssessorProfile,
    BodyProfile,
    Certificate,
    ConflictDeclaration,
    Engagement,
    Finding,
    FindingAction,
    PlanChange,
    PlannedElement,
    PlannedSite,
    SiteVisit,
)

BODY_ROLES = {Role.CB_MANAGER, Role.ASSESSOR}


def require_role(membership: Membership | None, roles: set, organisation: Organisation) -> None:
    """The membership has one of `roles` and acts for `organisation` (its own, or a unit)."""
    if membership is None or membership.role not in roles:
        raise PermissionDenied(_("Your role does not allow this."))
    if not acts_for(membership, organisation):
        raise PermissionDenied(_("You can only act for your own organisation."))


def _require_body_member(
    membership: Membership, body: Organisation, roles: Collection[str] = BODY_ROLES
) -> None:
    if membership is None or membership.organisation_id != body.pk or membership.role not in roles:
        raise PermissionDenied(_("Only the certification body's own people can do this."))


def _locked_engagement(engagement: Engagement) -> Engagement:
    return (
        Engagement.objects.select_for_update(of=("self",))
        .select_related("application__applicant", "application__certification_body", "standard")
        .get(pk=engagement.pk)
    )


# Profiles and conflicts -----------------------------------------------------------------


@transaction.atomic
def body_accreditation_set(
    *,
    membership: Membership,
    body: Organisation,
    status: str,
    expires: datetime.date,
    reference: str,
) -> BodyProfile:
    """The scheme unit records a body's accreditation as the accreditation service gave it."""
    if membership is None or membership.role != Role.SCHEME_ADMIN:
        raise PermissionDenied(_("Only scheme administrators record accreditation."))
    profile = BodyProfile.objects.select_for_update().get(organisation=body)
    was_accredited = profile.is_accredited()
    profile.accreditation_status, profile.accreditation_expires = status, expires
    profile.accreditation_reference = reference
    if profile.is_accredited():
        profile.accreditation_lost_on = None
    elif was_accredited:
        profile.accreditation_lost_on = timezone.localdate()
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def body_profile_update(
    *, membership: Membership, body: Organisation, day_rate: Decimal
) -> BodyProfile:
    _require_body_member(membership, body, {Role.CB_MANAGER})
    profile = BodyProfile.objects.select_for_update().get(organisation=body)
    if day_rate <= 0:
        raise ValidationError({"day_rate": _("Enter a day rate above £0.")})
    profile.day_rate = day_rate
    profile.save(update_fields=["day_rate"])
    return profile


@transaction.atomic
def assessor_profile_save(
    *,
    membership: Membership,
    assessor: Membership,
    sectors: Iterable[Sector],
    trained_on: datetime.date | None,
    notes: str = "",
) -> AssessorProfile:
    _require_body_member(membership, assessor.organisation, {Role.CB_MANAGER})
    if assessor.role not in BODY_ROLES:
        raise ValidationError(_("Only the body's assessors and managers have competence records."))
    profile, _created = AssessorProfile.objects.get_or_create(membership=assessor)
    profile.trained_on, profile.notes = trained_on, notes
    profile.save()
    profile.sectors.set(sectors)
    return profile


@transaction.atomic
def conflict_declare(
    *,
    membership: Membership,
    assessor: Membership,
    organisation: Organisation,
    kind: str,
    details: str,
    ended_on: datetime.date | None = None,
) -> ConflictDeclaration:
    """An assessor declares an interest (or their manager records it for them)."""
    if membership.pk != assessor.pk:
        _require_body_member(membership, assessor.organisation, {Role.CB_MANAGER})
    else:
        _require_body_member(membership, assessor.organisation)
    if (
        not selectors.conflict_candidates(assessor.organisation_id)
        .filter(pk=organisation.pk)
        .exists()
    ):
        raise ValidationError(
            {"organisation": _("Choose an organisation that applied to your body, or a unit.")}
        )
    declaration = ConflictDeclaration(
        assessor=assessor, organisation=organisation, kind=kind, details=details, ended_on=ended_on
    )
    declaration.full_clean()
    declaration.save()
    return declaration


# Applications -------------------------------------------------------------------------


@transaction.atomic
def application_submit(
    *,
    membership: Membership,
    applicant: Organisation,
    certification_body: Organisation,
    units: Collection[Organisation] = (),
    scope_note: str = "",
) -> Application:
    require_role(membership, {Role.APPLICANT_ADMIN}, applicant)
    if applicant.kind != Organisation.Kind.APPLICANT:
        raise ValidationError(_("Only applicant organisations apply for certification."))
    if certification_body.kind != Organisation.Kind.CERTIFICATION_BODY:
        raise ValidationError({"certification_body": _("Choose a certification body.")})
    profile = BodyProfile.objects.filter(organisation=certification_body).first()
    if profile is None or not profile.is_accredited():
        raise ValidationError(
            {"certification_body": _("That body is not accredited at present; choose another.")}
        )
    Organisation.objects.select_for_update().get(pk=applicant.pk)
    live = Application.objects.filter(
        applicant=applicant, status__in=[Application.Status.PENDING, Application.Status.ACCEPTED]
    )
    if live.exists():
        raise ValidationError(
            _("This organisation already has an application in progress or accepted.")
        )
    stray = [unit for unit in units if unit.parent_id != applicant.pk]
    if stray:
        raise ValidationError(
            {"units": _("%(name)s is not a unit of this organisation.") % {"name": stray[0].name}}
        )
    application = Application.objects.create(
        applicant=applicant,
        certification_body=certification_body,
        scope_note=scope_note,
        submitted_by=membership.user,
    )
    application.units.set(units)
    return application


@transaction.atomic
def application_answer(
    *, membership: Membership, application: Application, accept: bool, note: str = ""
) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_body_member(membership, application.certification_body, {Role.CB_MANAGER})
    if application.status != Application.Status.PENDING:
        raise ValidationError(_("This application has already been answered."))
    if not accept and not note.strip():
        raise ValidationError({"answer_note": _("Say why the application is declined.")})
    application.status = Application.Status.ACCEPTED if accept else Application.Status.DECLINED
    application.answered_by, application.answered_at = membership.user, timezone.now()
    application.answer_note = note
    application.save()
    return application


@transaction.atomic
def application_withdraw(*, membership: Membership, application: Application) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_role(membership, {Role.APPLICANT_ADMIN}, application.applicant)
    if application.status != Application.Status.PENDING:
        raise ValidationError(
            _("Only an application still waiting for an answer can be withdrawn.")
        )
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status"])
    return application


# Engagements and plans ----------------------------------------------------------------


@dataclass
class EngagementInput:
    kind: str
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    assessor_days: Decimal = Decimal("0")
    self_assessment: SelfAssessment | None = None


def _check_kind(application: Application, kind: str) -> tuple[int, Certificate | None]:
    """The cycle the new engagement belongs to, refusing kinds that do not fit now."""
    certificate = selectors.current_certificate(application)
    if kind == Engagement.Kind.INITIAL:
        if certificate is not None:
            raise ValidationError({"kind": _("This organisation already holds a certificate.")})
        return 1, None
    if certificate is None:
        raise ValidationError(
            {"kind": _("An initial assessment comes first: there is no certificate yet.")}
        )
    cycle = selectors.certificate_cycle(certificate)
    if kind == Engagement.Kind.REASSESSMENT:
        return cycle + 1, certificate
    if kind == Engagement.Kind.ANNUAL_REVIEW and selectors.reviews_in_cycle(certificate) >= 2:
        raise ValidationError(
            {"kind": _("Both annual reviews of this cycle are done: plan the reassessment.")}
        )
    return cycle, certificate


@transaction.atomic
def engagement_create(
    *, membership: Membership, application: Application, data: EngagementInput
) -> Engagement:
    """A certification manager opens an engagement and the plan is computed at once."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_body_member(membership, application.certification_body, {Role.CB_MANAGER})
    if application.status != Application.Status.ACCEPTED:
        raise ValidationError(_("Accept the application before planning an assessment."))
    if application.engagements.filter(
        status__in=[Engagement.Status.PLANNING, Engagement.Status.IN_PROGRESS]
    ).exists():
        raise ValidationError(_("Finish the engagement under way before opening another."))
    cycle, certificate = _check_kind(application, data.kind)
    _check_dates(data.starts_on, data.ends_on)
    if data.self_assessment is not None:
        _check_shared(data.self_assessment, application)
    standard = (
        certificate.standard
        if data.kind
        in (
            Engagement.Kind.ANNUAL_REVIEW,
            Engagement.Kind.SPECIAL,
        )
        and certificate
        else current_standard()
    )
    if standard is None:
        raise ValidationError(_("No version of the standard is published."))
    engagement = Engagement.objects.create(
        application=application,
        kind=data.kind,
        cycle=cycle,
        standard=standard,
        self_assessment=data.self_assessment,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        assessor_days=data.assessor_days,
        created_by=membership.user,
    )
    plan_compute(engagement)
    return engagement


def _check_dates(starts_on: datetime.date | None, ends_on: datetime.date | None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last day must be on or after the first day.")})


def _check_shared(self_assessment: SelfAssessment, application: Application) -> None:
    if (
        self_assessment.organisation_id != application.applicant_id
        or not (
            self_assessment.shares.filter(certification_body=application.certification_body_id)
        ).exists()
    ):
        raise ValidationError(
            {"self_assessment": _("Choose a self-assessment the organisation shared with you.")}
        )


def plan_compute(engagement: Engagement) -> None:
    """Choose the sites and elements of the engagement and store why (replaces any
    computed plan; sites and elements the assessor added are kept)."""
    plan = selectors.compute_plan(engagement)
    engagement.sites.exclude(reason=PlannedSite.Reason.ADDED).delete()
    engagement.elements.exclude(reason=PlannedElement.Reason.ADDED).delete()
    added_sites = set(engagement.sites.values_list("site_id", flat=True))
    PlannedSite.objects.bulk_create(
        PlannedSite(
            engagement=engagement,
            site_id=choice.site_id,
            reason=choice.reason,
            risk_score=Decimal(str(round(choice.score, 2))),
            explanation="; ".join(choice.explanation),
        )
        for choice in plan.sites
        if choice.site_id not in added_sites
    )
    added_elements = set(engagement.elements.values_list("element_id", flat=True))
    PlannedElement.objects.bulk_create(
        PlannedElement(engagement=engagement, element_id=pk, reason=reason, explanation=explanation)
        for pk, reason, explanation in plan.elements
        if pk not in added_elements
    )
    engagement.plan_reasons = plan.reasons
    engagement.save(update_fields=["plan_reasons"])
    _findings_follow_plan(engagement)


def _findings_follow_plan(engagement: Engagement) -> None:
    """One finding per element in scope; blank ones go when their element leaves it."""
    planned = list(engagement.elements.values_list("element_id", flat=True))
    engagement.findings.filter(rating="").exclude(element__in=planned).delete()
    Finding.objects.bulk_create(
        (Finding(engagement=engagement, element_id=pk) for pk in planned), ignore_conflicts=True
    )


@transaction.atomic
def engagement_update(
    *, membership: Membership, engagement: Engagement, data: EngagementInput
) -> Engagement:
    engagement = _locked_engagement(engagement)
    _require_body_member(membership, engagement.certification_body, {Role.CB_MANAGER})
    _require_open(engagement)
    _check_dates(data.starts_on, data.ends_on)
    if data.self_assessment is not None:
        _check_shared(data.self_assessment, engagement.application)
    engagement.starts_on, engagement.ends_on = data.starts_on, data.ends_on
    engagement.assessor_days = data.assessor_days
    engagement.self_assessment = data.self_assessment
    engagement.save()
    return engagement


def _require_open(engagement: Engagement) -> None:
    if not engagement.is_open:
        raise ValidationError(_("This engagement is reported and its record cannot change."))


@transaction.atomic
def team_set(
    *,
    membership: Membership,
    engagement: Engagement,
    lead: Membership,
    members: Iterable[Membership] = (),
) -> Engagement:
    """Name the assessment team. Refuses conflicted assessors, assessors without the
    sector's competence, and a lead who has led the holder for too many cycles."""
    engagement = _locked_engagement(engagement)
    body = engagement.certification_body
    _require_body_member(membership, body, {Role.CB_MANAGER})
    _require_open(engagement)
    team = {lead, *members}
    for person in team:
        if person.organisation_id != body.pk or person.role not in BODY_ROLES:
            raise ValidationError(
                {"team": _("%(name)s is not one of your assessors.") % {"name": person.user}}
            )
        problem = selectors.assessor_problem(person, engagement)
        if problem:
            raise ValidationError({"team": problem})
    rotation = selectors.lead_rotation_problem(lead, engagement)
    if rotation:
        raise ValidationError({"lead": rotation})
    engagement.lead = lead
    engagement.save(update_fields=["lead"])
    engagement.team.set(team)
    return engagement


def _require_on_team(membership: Membership, engagement: Engagement) -> None:
    if membership is None or not selectors.is_on_team(membership, engagement):
        raise PermissionDenied(_("Only the assessment team records this."))


@transaction.atomic
def plan_site_change(
    *,
    membership: Membership,
    engagement: Engagement,
    site: Site,
    add: bool,
    justification: str,
) -> None:
    """An assessor adds or removes a site from the computed sample, saying why."""
    engagement = _locked_engagement(engagement)
    _require_plan_editor(membership, engagement)
    _require_open(engagement)
    if not justification.strip():
        raise ValidationError({"justification": _("Say why the plan changes.")})
    if site.pk not in {s.pk for s in selectors.sites_in_scope(engagement.application)}:
        raise ValidationError({"site": _("That site is not in the scope of this certification.")})
    planned = engagement.sites.filter(site=site)
    if add:
        if planned.exists():
            raise ValidationError({"site": _("That site is already in the plan.")})
        PlannedSite.objects.create(
            engagement=engagement,
            site=site,
            reason=PlannedSite.Reason.ADDED,
            explanation=justification,
        )
        change = _("Added site %(site)s") % {"site": site.name}
    else:
        entry = planned.first()
        if entry is None:
            raise ValidationError({"site": _("That site is not in the plan.")})
        if entry.reason == PlannedSite.Reason.CENTRAL:
            raise ValidationError({"site": _("The central function is visited every time.")})
        entry.delete()
        change = _("Removed site %(site)s") % {"site": site.name}
    PlanChange.objects.create(
        engagement=engagement,
        changed_by=membership.user,
        change=change,
        justification=justification,
    )


@transaction.atomic
def plan_element_change(
    *,
    membership: Membership,
    engagement: Engagement,
    element: Element,
    add: bool,
    justification: str,
) -> None:
    engagement = _locked_engagement(engagement)
    _require_plan_editor(membership, engagement)
    _require_open(engagement)
    if not justification.strip():
        raise ValidationError({"justification": _("Say why the plan changes.")})
    if element.criterion.standard_id != engagement.standard_id:
        raise ValidationError(
            {"element": _("That element is not in this version of the standard.")}
        )
    planned = engagement.elements.filter(element=element)
    if add:
        if planned.exists():
            raise ValidationError({"element": _("That element is already in scope.")})
        PlannedElement.objects.create(
            engagement=engagement,
            element=element,
            reason=PlannedElement.Reason.ADDED,
            explanation=justification,
        )
        Finding.objects.get_or_create(engagement=engagement, element=element)
        change = _("Added element %(code)s") % {"code": element.code}
    else:
        if not planned.exists():
            raise ValidationError({"element": _("That element is not in scope.")})
        if engagement.findings.filter(element=element).exclude(rating="").exists():
            raise ValidationError({"element": _("A finding is recorded for it: it stays.")})
        planned.delete()
        engagement.findings.filter(element=element).delete()
        change = _("Removed element %(code)s") % {"code": element.code}
    PlanChange.objects.create(
        engagement=engagement,
        changed_by=membership.user,
        change=change,
        justification=justification,
    )


def _require_plan_editor(membership: Membership, engagement: Engagement) -> None:
    if membership is not None and membership.role == Role.CB_MANAGER:
        _require_body_member(membership, engagement.certification_body)
        return
    _require_on_team(membership, engagement)


# Visits and findings ------------------------------------------------------------------


@dataclass
class VisitInput:
    site: Site
    visited_on: datetime.date
    hours: Decimal
    staff_spoken_to: int = 0
    customers_spoken_to: int = 0
    observations: str = ""


@transaction.atomic
def visit_record(
    *,
    membership: Membership,
    engagement: Engagement,
    data: VisitInput,
    visit: SiteVisit | None = None,
) -> SiteVisit:
    engagement = _locked_engagement(engagement)
    _require_on_team(membership, engagement)
    _require_open(engagement)
    if not engagement.sites.filter(site=data.site).exists():
        raise ValidationError({"site": _("Add the site to the plan before recording a visit.")})
    if data.hours <= 0 or data.hours > 24:
        raise ValidationError({"hours": _("Enter the hours on site, from 0.5 to 24.")})
    if data.visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("The date of the visit cannot be in the future.")})
    visit = visit or SiteVisit(engagement=engagement, recorded_by=membership.user)
    for name, value in data.__dict__.items():
        setattr(visit, name, value)
    visit.full_clean()
    visit.save()
    _start(engagement)
    return visit


def _start(engagement: Engagement) -> None:
    if engagement.status == Engagement.Status.PLANNING:
        engagement.status = Engagement.Status.IN_PROGRESS
        engagement.save(update_fields=["status"])


class StaleFinding(ValidationError):
    """Someone else saved this finding since it was opened."""


@dataclass
class FindingInput:
    rating: str
    notes: str = ""
    evidence_reviewed: str = ""
    relied_on_self_assessment: bool = False
    site: Site | None = None
    action: str = ""
    action_due: datetime.date | None = None


@transaction.atomic
def finding_save(
    *, membership: Membership, finding: Finding, expected_version: int, data: FindingInput
) -> Finding:
    """Save a finding if nobody else saved it first; a gap must carry an action due
    within the standard's months for partials."""
    finding = (
        Finding.objects.select_for_update(of=("self",)).select_related("element").get(pk=finding.pk)
    )
    engagement = _locked_engagement(finding.engagement)
    _require_on_team(membership, engagement)
    _require_open(engagement)
    if finding.version != expected_version:
        raise StaleFinding(_("Someone else saved this finding since you opened it."))
    if data.site is not None and data.site.pk not in {
        s.pk for s in selectors.sites_in_scope(engagement.application)
    }:
        raise ValidationError({"site": _("That site is not in the scope of this certification.")})
    if data.relied_on_self_assessment and engagement.self_assessment_id is None:
        raise ValidationError(
            {"relied_on_self_assessment": _("No shared self-assessment is linked to rely on.")}
        )
    _check_action(engagement, data)
    finding.rating, finding.notes = data.rating, data.notes
    finding.evidence_reviewed = data.evidence_reviewed
    finding.relied_on_self_assessment = data.relied_on_self_assessment
    finding.site = data.site
    finding.updated_by, finding.updated_at = membership.user, timezone.now()
    finding.version = F("version") + 1
    finding.save()
    finding.refresh_from_db(fields=["version"])
    _save_action(finding, data)
    _start(engagement)
    return finding


def _check_action(engagement: Engagement, data: FindingInput) -> None:
    """A gap's action may follow later (the report needs it), but once begun it needs a
    description and a due date within the standard's limit."""
    if data.rating not in GAPS or not (data.action.strip() or data.action_due):
        return
    errors = {}
    if not data.action.strip():
        errors["action"] = _("Say what the holder must do to close this gap.")
    if data.action_due is None:
        errors["action_due"] = _("Enter the date the action is due.")
    elif data.action_due < timezone.localdate():
        errors["action_due"] = _("The action's due date must be today or later.")
    elif data.rating == RatingValue.PARTIAL:
        from assessments.services import partial_action_latest_due

        latest = partial_action_latest_due(engagement.standard)
        if data.action_due > latest:
            errors["action_due"] = _(
                "A partial must be closed within %(months)s months: by %(date)s at the latest."
            ) % {"months": engagement.standard.partial_action_months, "date": latest}
    if errors:
        raise ValidationError(errors)


def _save_action(finding: Finding, data: FindingInput) -> None:
    action = FindingAction.objects.filter(finding=finding).first()
    if data.rating not in GAPS or not data.action.strip():
        if action is not None and action.status != FindingAction.Status.ACCEPTED:
            action.delete()
        return
    assert data.action_due is not None  # _check_action asks for it with the description
    if action is None:
        FindingAction.objects.create(
            finding=finding, description=data.action, due_date=data.action_due
        )
    elif action.status != FindingAction.Status.ACCEPTED:
        action.description, action.due_date = data.action, data.action_due
        action.save(update_fields=["description", "due_date"])


@transaction.atomic
def action_respond(
    *,
    membership: Membership,
    action: FindingAction,
    response: str,
    evidence: Collection[Evidence] = (),
) -> FindingAction:
    """The holder says what it did to close the gap, with evidence from its library."""
    action = (
        FindingAction.objects.select_for_update(of=("self",))
        .select_related("finding__engagement__application")
        .get(pk=action.pk)
    )
    holder = action.finding.engagement.holder
    require_role(membership, {Role.APPLICANT_ADMIN, Role.APPLICANT_EDITOR}, holder)
    if action.status not in (FindingAction.Status.OPEN, FindingAction.Status.REJECTED):
        raise ValidationError(_("This action is already with the assessor or closed."))
    if not response.strip():
        raise ValidationError({"response": _("Say what was done to close the gap.")})
    foreign = [e for e in evidence if e.organisation_id != holder.pk]
    if foreign:
        raise ValidationError({"evidence": _("Choose evidence from this organisation's library.")})
    action.response, action.status = response, FindingAction.Status.SUBMITTED
    action.responded_by, action.responded_at = membership.user, timezone.now()
    action.save()
    action.evidence.set(evidence)
    return action


@transaction.atomic
def action_verify(
    *, membership: Membership, action: FindingAction, accept: bool, note: str = ""
) -> FindingAction:
    action = (
        FindingAction.objects.select_for_update(of=("self",))
        .select_related("finding__engagement__application")
        .get(pk=action.pk)
    )
    engagement = action.finding.engagement
    body = engagement.certification_body
    if not (
        selectors.is_on_team(membership, engagement)
        or (membership.role == Role.CB_MANAGER and membership.organisation_id == body.pk)
    ):
        raise PermissionDenied(_("Only the certification body's assessors verify actions."))
    if action.status != FindingAction.Status.SUBMITTED:
        raise ValidationError(_("The holder has not answered this action yet."))
    if not accept and not note.strip():
        raise ValidationError({"verification_note": _("Say what more is needed.")})
    action.status = FindingAction.Status.ACCEPTED if accept else FindingAction.Status.REJECTED
    action.verified_by, action.verified_at = membership.user, timezone.now()
    action.verification_note = note
    action.save()
    return action


@transaction.atomic
def engagement_report(
    *, membership: Membership, engagement: Engagement, summary: str, strengths: str = ""
) -> Engagement:
    """The lead assessor closes the fieldwork: every element in scope has a finding."""
    engagement = _locked_engagement(engagement)
    if membership is None or engagement.lead_id != membership.pk:
        raise PermissionDenied(_("Only the lead assessor reports the assessment."))
    _require_open(engagement)
    missing = selectors.elements_without_finding(engagement)
    if missing:
        raise ValidationError(
            _("Record a finding for every element in scope first: %(codes)s.")
            % {"codes": _first_codes(missing)}
        )
    no_action = selectors.gaps_without_action(engagement)
    if no_action:
        raise ValidationError(
            _("Every partial or non-compliant finding needs an action first: %(codes)s.")
            % {"codes": _first_codes(no_action)}
        )
    if not summary.strip():
        raise ValidationError({"summary": _("Write a summary of the assessment.")})
    engagement.summary, engagement.strengths = summary, strengths
    engagement.status, engagement.reported_at = Engagement.Status.REPORTED, timezone.now()
    engagement.save()
    return engagement


def _first_codes(codes: list[str], shown: int = 10) -> str:
    listed = ", ".join(codes[:shown])
    if len(codes) <= shown:
        return listed
    return _("%(listed)s and %(count)s more") % {"listed": listed, "count": len(codes) - shown}


# Regulators' reliance -----------------------------------------------------------------


@transaction.atomic
def consent_give(
    *, membership: Membership, organisation: Organisation, regulator: Organisation
) -> RegulatorConsent:
    require_role(membership, {Role.APPLICANT_ADMIN}, organisation)
    if regulator.kind != Organisation.Kind.REGULATOR:
        raise ValidationError({"regulator": _("Choose a regulator or inspectorate.")})
    if regulator.sector_id != organisation.sector_id:
        raise ValidationError({"regulator": _("Choose a regulator of your own sector.")})
    existing = RegulatorConsent.objects.filter(
        organisation=organisation, regulator=regulator, withdrawn_at__isnull=True
    ).first()
    if existing:
        return existing
    return RegulatorConsent.objects.create(
        organisation=organisation, regulator=regulator, given_by=membership.user
    )


@transaction.atomic
def consent_withdraw(*, membership: Membership, consent: RegulatorConsent) -> None:
    consent = RegulatorConsent.objects.select_for_update().get(pk=consent.pk)
    require_role(membership, {Role.APPLICANT_ADMIN}, consent.organisation)
    if consent.withdrawn_at is None:
        consent.withdrawn_at, consent.withdrawn_by = timezone.now(), membership.user
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
