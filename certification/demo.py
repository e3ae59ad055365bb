"""Demo certification, so that `make run` shows bodies at work and a filled register:
accredited bodies with their assessors, certified holders whose reviews fall due across
the year (some overdue), an application waiting for an answer and an assessment under
way. Everything goes through the services; only the dates are moved into the past
afterwards, so the field looks as if it had run for years."""

import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from organisations.models import Membership, Organisation, Role, Sector

from . import decisions, services
from .models import (
    Application,
    AssessorProfile,
    BodyProfile,
    Certificate,
    CertificateEvent,
    Decision,
    Engagement,
)

# Holders by body. Their certificates were issued this many months ago.
HOLDERS = {
    "Kestrel Certification Ltd": [
        ("Riverside Community Health NHS Trust", None),  # initial assessment under way
        ("Dalebury Teaching Hospitals NHS Foundation Trust", 10),
        ("Coastal Counties Ambulance Service NHS Trust", 11.8),
        ("Westmere Police", 4),
        ("Mid Pennine Police", 13),
        ("Eastbrook Housing Association", 2),
        ("Northgate Homes", 9),
        ("Crown Pensions Agency", 7),
        ("Copperfield Citizens Advice", 20),
    ],
    "Beacon Standards Assessment Ltd": [
        ("Southdown County Council", 6),
        ("Millbrook Borough Council", 11),
        ("London Borough of Riverside", 14.5),
        ("Lindenford College", 3),
        ("Tamarford Combined Court Centre", 8),
        ("Northshire Fire and Rescue Service", 1),
        ("Small Business Support Agency", 5),
        ("Brightpath Employment Services Ltd", 11.5),
    ],
    "Thistle and Rose Certification": [
        ("Glenmuir Council", 5),
        ("Kirkbrae Sheriff Court", 9),
        ("Strathlinn Community Support", 2),
    ],
}
PENDING = ("Northshire County Council", "Kestrel Certification Ltd")
SECTORS_BY_BODY = {
    "Kestrel Certification Ltd": [
        "health",
        "police",
        "housing",
        "central-government",
        "third-sector",
        "local-government",
    ],
    "Beacon Standards Assessment Ltd": [
        "local-government",
        "education",
        "courts",
        "fire-and-rescue",
        "central-government",
    ],
    "Thistle and Rose Certification": ["local-government", "courts", "third-sector"],
}
GAP_CODES = ["2.3", "3.2", "4.4", "5.1"]


def load(rng, organisations: dict) -> None:
    today = timezone.localdate()
    for name in HOLDERS:
        _profile(organisations[name], today)
    for body_name, holders in HOLDERS.items():
        body = organisations[body_name]
        manager, assessors = _people(body)
        for holder_name, months_ago in holders:
            holder = organisations[holder_name]
            application = _application(holder, body, manager)
            # The first assessor of each body has the assessment under way.
            lead = (
                assessors[0] if months_ago is None else assessors[len(holder_name) % len(assessors)]
            )
            engagement = _engagement(application, manager, lead, Engagement.Kind.INITIAL)
            if months_ago is None:
                _findings(rng, engagement, lead, share=0.6)
                continue
            _findings(rng, engagement, lead, share=1.0)
            services.engagement_report(
                membership=lead,
                engagement=engagement,
                summary=f"{holder.name} meets the standard, with a few gaps to close.",
                strengths="Customer insight work is thorough and staff know their customers.",
            )
            decision = decisions.decision_on_engagement(
                membership=manager,
                engagement=engagement,
                kind=Decision.Kind.CERTIFY,
                reasons="Every criterion meets the pass rule; partials carry actions.",
            )
            _backdate(decision, today - relativedelta(days=round(months_ago * 30.4)))
    holder, body = (organisations[name] for name in PENDING)
    services.application_submit(
        membership=_admin(holder),
        applicant=holder,
        certification_body=body,
        scope_note="All customer-facing services, including libraries and registration.",
    )
    _body_loses_accreditation(organisations["Thistle and Rose Certification"], today)
    # Tonight's sweep, run now: reminders for the reviews falling due, escalations.
    from .reminders import review_sweep

    review_sweep()


def _profile(body: Organisation, today) -> None:
    BodyProfile.objects.create(
        organisation=body,
        accreditation_reference=f"UKAS {1000 + body.pk}",
        accreditation_expires=today + relativedelta(years=2),
        franchise_start=today - relativedelta(years=3),
        franchise_end=today + relativedelta(years=2),
        day_rate=Decimal("650.00") if "Kestrel" in body.name else Decimal("595.00"),
    )


def _people(body: Organisation):
    manager = Membership.objects.get(organisation=body, role=Role.CB_MANAGER)
    assessors = list(Membership.objects.filter(organisation=body, role=Role.ASSESSOR))
    sectors = SECTORS_BY_BODY[body.name]
    for person in [manager, *assessors]:
        profile = AssessorProfile.objects.create(
            membership=person, trained_on=datetime.date(2025, 9, 15)
        )
        profile.sectors.set(Sector.objects.filter(slug__in=sectors))
    return manager, assessors


def _admin(organisation: Organisation) -> Membership:
    """The organisation's administrator, or a demo one for organisations without people."""
    admin = Membership.objects.filter(organisation=organisation, role=Role.APPLICANT_ADMIN).first()
    if admin is None:
        admin = Membership(organisation=organisation, role=Role.APPLICANT_ADMIN)
    return admin


def _application(holder, body, manager) -> Application:
    admin = _admin(holder)
    if admin.pk is None:
        # Organisations without demo people applied before the platform: record it directly.
        application = Application.objects.create(
            applicant=holder,
            certification_body=body,
            submitted_by=manager.user,
            status=Application.Status.ACCEPTED,
            answered_by=manager.user,
            answered_at=timezone.now(),
        )
        return application
    application = services.application_submit(
        membership=admin, applicant=holder, certification_body=body
    )
    return services.application_answer(membership=manager, application=application, accept=True)


def _engagement(application, manager, lead, kind) -> Engagement:
    shared = application.applicant.self_assessments.filter(
        shares__certification_body=application.certification_body
    ).first()
    engagement = services.engagement_create(
        membership=manager,
        application=application,
        data=services.EngagementInput(
            kind=kind,
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + datetime.timedelta(days=1),
            assessor_days=Decimal("2.5"),
            self_assessment=shared,
        ),
    )
    return services.team_set(membership=manager, engagement=engagement, lead=lead)


def _findings(rng, engagement, lead, *, share: float) -> None:
    due = timezone.localdate() + relativedelta(months=2)
    findings = list(engagement.findings.select_related("element"))
    for finding in findings[: round(len(findings) * share)]:
        code = finding.element.code
        if code in GAP_CODES and rng.random() < 0.5:
            rating, action = "partial", "Bring this up to the standard and send the evidence."
        else:
            rating = "compliance_plus" if rng.random() < 0.08 else "compliant"
            action = ""
        services.finding_save(
            membership=lead,
            finding=finding,
            expected_version=finding.version,
            data=services.FindingInput(
                rating=rating,
                notes="Seen in practice at the sites visited and in the documents reviewed.",
                evidence_reviewed="Customer charter, complaints log, staff interviews.",
                relied_on_self_assessment=engagement.self_assessment_id is not None,
                action=action,
                action_due=due if action else None,
            ),
        )


def _backdate(decision: Decision, issued: datetime.date) -> None:
    """Move a freshly issued certificate's dates back to `issued`, as if it ran since."""
    certificate = decision.certificate
    review = issued + relativedelta(months=12)
    Certificate.objects.filter(pk=certificate.pk).update(
        original_issue_date=issued,
        issue_date=issued,
        next_review_due=review,
        cycle_expires=issued + relativedelta(years=3),
        status_changed_on=issued,
    )
    CertificateEvent.objects.filter(certificate=certificate).update(
        happened_on=issued, next_review_due=review
    )
    moment = timezone.make_aware(datetime.datetime.combine(issued, datetime.time(11)))
    Decision.objects.filter(pk=decision.pk).update(decided_at=moment)
    Engagement.objects.filter(pk=decision.engagement_id).update(
        starts_on=issued - datetime.timedelta(days=30),
        ends_on=issued - datetime.timedelta(days=29),
        reported_at=moment,
    )


def _body_loses_accreditation(body: Organisation, today) -> None:
    """One body's accreditation was suspended recently: its certificates are flagged."""
    BodyProfile.objects.filter(organisation=body).update(
        accreditation_status=BodyProfile.Accreditation.SUSPENDED,
        accreditation_lost_on=today - datetime.timedelta(days=20),
    )
