"""The scheme's rules as the services enforce them, whatever page or API calls them."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError

from certification import decisions, services
from certification.models import (
    BodyProfile,
    Certificate,
    CertificateEvent,
    ConflictDeclaration,
    Engagement,
)
from organisations.models import Role

from ..factories import member
from .conftest import accredit, certify, competent, open_engagement, record_all_findings


def test_another_body_cannot_plan_record_or_decide(application, body, beta, engagement):
    accredit(beta.certification_body)
    outsider = beta[Role.CB_MANAGER]
    with pytest.raises(PermissionDenied):
        services.engagement_create(
            membership=outsider,
            application=application,
            data=services.EngagementInput(kind=Engagement.Kind.SPECIAL),
        )
    finding = engagement.findings.first()
    with pytest.raises(PermissionDenied):
        services.finding_save(
            membership=beta[Role.ASSESSOR],
            finding=finding,
            expected_version=0,
            data=services.FindingInput(rating="compliant"),
        )
    record_all_findings(engagement, body)
    services.engagement_report(membership=body.lead, engagement=engagement, summary="Fine.")
    with pytest.raises(PermissionDenied):
        decisions.decision_on_engagement(
            membership=outsider, engagement=engagement, kind="certify", reasons="Fine."
        )


def test_an_assessor_off_the_team_records_nothing(engagement, body, alpha):
    outsider = competent(
        member(alpha.certification_body, Role.ASSESSOR, email="off-team@alpha.example"),
        alpha.applicant.sector,
    )
    with pytest.raises(PermissionDenied):
        services.finding_save(
            membership=outsider,
            finding=engagement.findings.first(),
            expected_version=0,
            data=services.FindingInput(rating="compliant"),
        )


def test_an_assessor_without_the_sectors_competence_is_refused(application, body, alpha):
    newcomer = member(alpha.certification_body, Role.ASSESSOR, email="new@alpha.example")
    engagement = services.engagement_create(
        membership=body.manager,
        application=application,
        data=services.EngagementInput(kind=Engagement.Kind.INITIAL),
    )
    with pytest.raises(ValidationError) as error:
        services.team_set(membership=body.manager, engagement=engagement, lead=newcomer)
    assert "competence" in error.value.messages[0]


def test_a_conflict_lasts_two_years_after_it_ends(application, body, alpha):
    declaration = ConflictDeclaration.objects.create(
        assessor=body.lead,
        organisation=alpha.unit,
        kind=ConflictDeclaration.Kind.EMPLOYED,
        details="Worked in its housing unit",
        ended_on=datetime.date.today() - relativedelta(years=1),
    )
    engagement = services.engagement_create(
        membership=body.manager,
        application=application,
        data=services.EngagementInput(kind=Engagement.Kind.INITIAL),
    )
    with pytest.raises(ValidationError):
        services.team_set(membership=body.manager, engagement=engagement, lead=body.lead)
    declaration.ended_on = datetime.date.today() - relativedelta(years=2, days=1)
    declaration.save()
    services.team_set(membership=body.manager, engagement=engagement, lead=body.lead)


def test_the_lead_rotates_after_two_cycles(application, body):
    for kind in (Engagement.Kind.INITIAL, Engagement.Kind.REASSESSMENT):
        engagement = open_engagement(application, body, kind)
        record_all_findings(engagement, body)
        certify(engagement, body)
    third = services.engagement_create(
        membership=body.manager,
        application=application,
        data=services.EngagementInput(kind=Engagement.Kind.REASSESSMENT),
    )
    assert third.cycle == 3
    with pytest.raises(ValidationError) as error:
        services.team_set(membership=body.manager, engagement=third, lead=body.lead)
    assert "cycles in a row" in error.value.messages[0]
    services.team_set(
        membership=body.manager, engagement=third, lead=body.assessor, members=[body.lead]
    )


def test_a_body_without_accreditation_cannot_certify(engagement, body, alpha):
    BodyProfile.objects.filter(organisation=alpha.certification_body).update(
        accreditation_status=BodyProfile.Accreditation.WITHDRAWN
    )
    record_all_findings(engagement, body)
    with pytest.raises(ValidationError) as error:
        certify(engagement, body)
    assert "not accredited" in error.value.messages[0]
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.REPORTED  # nothing half-decided
    assert not Certificate.objects.exists()


def test_a_review_decision_rolls_the_review_date_on_from_the_decision(
    certificate, application, body
):
    review = open_engagement(application, body, Engagement.Kind.ANNUAL_REVIEW)
    record_all_findings(review, body)
    certify(review, body)
    certificate.refresh_from_db()
    today = datetime.date.today()
    assert certificate.next_review_due == today + relativedelta(months=12)
    assert list(certificate.events.values_list("kind", flat=True)) == [
        CertificateEvent.Kind.RENEWED,
        CertificateEvent.Kind.ISSUED,
    ]


def test_decisions_are_superseded_never_edited(certificate, body):
    first = certificate.decisions.get()
    suspension = decisions.decision_on_certificate(
        membership=body.manager, certificate=certificate, kind="suspend", reasons="Complaint"
    )
    assert suspension.supersedes == first
    first.refresh_from_db()
    assert first.reasons == "Meets the standard."
    with pytest.raises(ValidationError):
        decisions.decision_on_certificate(
            membership=body.manager, certificate=certificate, kind="suspend", reasons="Again"
        )


def test_refusal_at_reassessment_withdraws_the_certificate(certificate, application, body):
    again = open_engagement(application, body, Engagement.Kind.REASSESSMENT)
    record_all_findings(again, body, rating="non_compliant")
    services.engagement_report(membership=body.lead, engagement=again, summary="Gaps.")
    decisions.decision_on_engagement(
        membership=body.deputy, engagement=again, kind="refuse", reasons="Not met."
    )
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.WITHDRAWN


def test_a_holder_closes_an_action_and_the_assessor_verifies_it(engagement, body, alpha):
    record_all_findings(engagement, body, gaps={"2.1"})
    action = engagement.findings.get(element__code="2.1").action
    with pytest.raises(ValidationError):
        services.action_verify(membership=body.lead, action=action, accept=True)
    services.action_respond(
        membership=alpha[Role.APPLICANT_EDITOR],
        action=action,
        response="Standards published on every counter",
        evidence=[alpha.evidence],
    )
    rejected = services.action_verify(
        membership=body.lead, action=action, accept=False, note="Photos of two sites, please"
    )
    assert rejected.status == "rejected"
    services.action_respond(
        membership=alpha[Role.APPLICANT_EDITOR], action=action, response="Photos attached"
    )
    assert services.action_verify(membership=body.lead, action=action, accept=True).status == (
        "accepted"
    )
