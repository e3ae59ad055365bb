import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from certification import decisions, services
from certification.models import Certificate, CertificateEvent, Engagement, PlannedSite

from .conftest import certify, open_engagement, record_all_findings


def test_initial_assessment_plans_every_element_and_samples_sites(engagement):
    assert engagement.elements.count() == 53
    assert engagement.findings.count() == 53
    reasons = dict(engagement.sites.values_list("site__name", "reason"))
    assert reasons["Alpha Civic Centre"] == PlannedSite.Reason.CENTRAL
    # Five other sites: the initial sample is ⌈√5⌉ = 3, at least one of them at random.
    others = [r for r in reasons.values() if r != PlannedSite.Reason.CENTRAL]
    assert len(others) == 3
    assert PlannedSite.Reason.RANDOM in others


@pytest.fixture
def certificate(engagement, body):
    """Alpha's certificate, walked to through the services: this module tests that path."""
    record_all_findings(engagement, body)
    return certify(engagement, body).certificate


def test_decision_issues_a_certificate_due_for_review_in_twelve_months(certificate):
    today = datetime.date.today()
    assert certificate.status == Certificate.Status.ACTIVE
    assert certificate.number.startswith(f"CV-{today.year}-")
    assert certificate.next_review_due.year == today.year + 1
    assert certificate.events.get().kind == CertificateEvent.Kind.ISSUED


def test_team_members_cannot_decide(engagement, body):
    record_all_findings(engagement, body)
    services.engagement_report(membership=body.lead, engagement=engagement, summary="Fine.")
    with pytest.raises(PermissionDenied):
        decisions.decision_on_engagement(
            membership=body.lead, engagement=engagement, kind="certify", reasons="Fine."
        )


def test_annual_review_takes_partials_and_a_rotating_share(application, body):
    initial = open_engagement(application, body)
    record_all_findings(initial, body, gaps={"2.1", "3.2"})
    certify(initial, body)
    review = open_engagement(application, body, Engagement.Kind.ANNUAL_REVIEW)
    codes = dict(review.elements.values_list("element__code", "reason"))
    assert codes["2.1"] == "partial" and codes["3.2"] == "partial"
    assert 20 < len(codes) < 53


def test_a_gap_can_be_saved_before_its_action_but_not_reported_without_one(engagement, body):
    record_all_findings(engagement, body)
    finding = engagement.findings.get(element__code="4.1")
    services.finding_save(
        membership=body.lead,
        finding=finding,
        expected_version=finding.version,
        data=services.FindingInput(rating="partial", notes="Leaflets out of date"),
    )
    with pytest.raises(ValidationError) as error:
        services.engagement_report(membership=body.lead, engagement=engagement, summary="Done.")
    assert "4.1" in error.value.messages[0]


def test_a_partial_action_must_fall_within_the_standards_months(engagement, body):
    finding = engagement.findings.first()
    with pytest.raises(ValidationError) as error:
        services.finding_save(
            membership=body.lead,
            finding=finding,
            expected_version=0,
            data=services.FindingInput(
                rating="partial",
                action="Fix it",
                action_due=datetime.date.today() + datetime.timedelta(days=200),
            ),
        )
    assert "action_due" in error.value.message_dict
