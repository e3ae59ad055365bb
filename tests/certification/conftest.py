"""Certification fixtures: tenant alpha's certification body accredited, with a manager
and two assessors competent in alpha's sector; alpha's certificate made directly; and
helpers that walk an engagement from application to decision through the services, for
the tests of that path."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from certification import decisions, services
from certification.models import AssessorProfile, BodyProfile, Engagement
from organisations.models import Role

from ..factories import SiteFactory, member
from ..factories.certification import CertificateFactory


def accredit(body, *, day_rate="650.00"):
    today = datetime.date.today()
    return BodyProfile.objects.create(
        organisation=body,
        accreditation_reference=f"UKAS {body.pk:04d}",
        accreditation_expires=today + datetime.timedelta(days=365),
        franchise_start=today - datetime.timedelta(days=365),
        franchise_end=today + datetime.timedelta(days=3 * 365),
        day_rate=Decimal(day_rate),
    )


def competent(membership, sector):
    profile, _ = AssessorProfile.objects.get_or_create(
        membership=membership, defaults={"trained_on": datetime.date(2025, 1, 10)}
    )
    profile.sectors.add(sector)
    return membership


@dataclass
class Body:
    """Alpha's certification body and its people: `manager` decides, `lead` and
    `assessor` assess, `other_manager` plans but stays off teams."""

    manager: object
    lead: object
    assessor: object
    deputy: object


@pytest.fixture
def body(alpha, standard):
    org = alpha.certification_body
    accredit(org)
    sector = alpha.applicant.sector
    lead = competent(alpha[Role.ASSESSOR], sector)
    assessor = competent(member(org, Role.ASSESSOR, email="second-assessor@alpha.example"), sector)
    deputy = member(org, Role.CB_MANAGER, email="deputy@alpha.example")
    competent(alpha[Role.CB_MANAGER], sector)
    return Body(alpha[Role.CB_MANAGER], lead, assessor, deputy)


@pytest.fixture
def application(alpha, body):
    """Alpha's accepted application to its certification body, with five more sites."""
    alpha.site.is_central_function = True
    alpha.site.save()
    for n in range(5):
        SiteFactory(organisation=alpha.applicant, name=f"Alpha Branch {n + 1}")
    submitted = services.application_submit(
        membership=alpha[Role.APPLICANT_ADMIN],
        applicant=alpha.applicant,
        certification_body=alpha.certification_body,
    )
    return services.application_answer(membership=body.manager, application=submitted, accept=True)


def open_engagement(application, body, kind=Engagement.Kind.INITIAL):
    engagement = services.engagement_create(
        membership=body.manager,
        application=application,
        data=services.EngagementInput(
            kind=kind,
            starts_on=datetime.date.today(),
            ends_on=datetime.date.today() + datetime.timedelta(days=1),
            assessor_days=Decimal("2.5"),
        ),
    )
    return services.team_set(
        membership=body.manager, engagement=engagement, lead=body.lead, members=[body.assessor]
    )


def record_all_findings(engagement, body, rating="compliant", gaps=()):
    """Every element in scope rated `rating`, except codes in `gaps`, rated partial."""
    due = datetime.date.today() + datetime.timedelta(days=60)
    for finding in engagement.findings.select_related("element"):
        value = "partial" if finding.element.code in gaps else rating
        gap = value in ("partial", "non_compliant")
        services.finding_save(
            membership=body.lead,
            finding=finding,
            expected_version=finding.version,
            data=services.FindingInput(
                rating=value,
                notes=f"Seen at {finding.element.code}",
                action="Publish the standards" if gap else "",
                action_due=due if gap else None,
            ),
        )


def certify(engagement, body, kind="certify"):
    services.engagement_report(
        membership=body.lead, engagement=engagement, summary="A well-run service."
    )
    return decisions.decision_on_engagement(
        membership=body.deputy, engagement=engagement, kind=kind, reasons="Meets the standard."
    )


@pytest.fixture
def engagement(application, body):
    return open_engagement(application, body)


@pytest.fixture
def certificate(application, body):
    """Alpha's certificate from a decided initial assessment with every element
    compliant, made directly (test_path.py walks the services to one)."""
    return CertificateFactory(
        application=application, findings={"*": "compliant"}, decided_by=body.deputy.user
    )


def build_certified(tenant):
    """Give a tenant (from tests/conftest.py) a certificate and an annual review under
    way, with one of everything certification keeps, each named after the tenant.
    Sets attributes on the tenant: application, certificate, decision, engagement (the
    open review), finding, finding_action, visit, consent, assessor_profile, conflict."""
    from certification.models import ConflictDeclaration, SiteVisit
    from organisations.models import RegulatorConsent

    label = tenant.applicant.name.split()[0]
    org = tenant.certification_body
    accredit(org)
    sector = tenant.applicant.sector
    lead = competent(tenant[Role.ASSESSOR], sector)
    deputy = member(org, Role.CB_MANAGER, email=f"deputy@{label.lower()}.example")
    team = Body(tenant[Role.CB_MANAGER], lead, lead, deputy)
    tenant.site.is_central_function = True
    tenant.site.save()
    submitted = services.application_submit(
        membership=tenant[Role.APPLICANT_ADMIN],
        applicant=tenant.applicant,
        certification_body=org,
        scope_note=f"{label} scope note",
    )
    tenant.application = services.application_answer(
        membership=team.manager, application=submitted, accept=True
    )
    initial = open_engagement(tenant.application, team)
    record_all_findings(initial, team, gaps={"2.1"})
    tenant.decision = certify(initial, team)
    tenant.certificate = tenant.decision.certificate
    tenant.engagement = open_engagement(tenant.application, team, Engagement.Kind.ANNUAL_REVIEW)
    tenant.finding = tenant.engagement.findings.get(element__code="2.1")
    services.finding_save(
        membership=lead,
        finding=tenant.finding,
        expected_version=0,
        data=services.FindingInput(
            rating="partial",
            notes=f"{label} finding note",
            action=f"{label} action to close the gap",
            action_due=datetime.date.today() + datetime.timedelta(days=30),
        ),
    )
    tenant.finding.refresh_from_db()
    tenant.finding_action = tenant.finding.action
    tenant.visit = SiteVisit.objects.create(
        engagement=tenant.engagement,
        site=tenant.site,
        visited_on=datetime.date.today(),
        hours=Decimal("6"),
        observations=f"{label} visit observations",
        recorded_by=lead.user,
    )
    tenant.consent = RegulatorConsent.objects.create(
        organisation=tenant.applicant,
        regulator=tenant.regulator,
        given_by=tenant[Role.APPLICANT_ADMIN].user,
    )
    tenant.assessor_profile = lead.assessor_profile
    tenant.conflict = ConflictDeclaration.objects.create(
        assessor=lead,
        organisation=tenant.unit,
        kind=ConflictDeclaration.Kind.ADVISED,
        details=f"{label} conflict details",
        ended_on=datetime.date(2020, 1, 1),
    )
    return tenant
