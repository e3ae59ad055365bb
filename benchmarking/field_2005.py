"""A field shaped like the Charter Mark's in March 2005, the review's own table: 1,452
holders employing 410,452 people, 7.1% of the sectors' workforce (courts 20%, education
3%, police 12%). Sectors get 2005-like workforces; each holder gets an accepted
application, an initial assessment decided to certify and a certificate (valid, a few
suspended), and those in their second or third year an annual review decided to renew.
Built with bulk inserts, for the demo and the benchmarks; dates are counted back from
`today` so that the certificates are current."""

import datetime
from itertools import cycle

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from certification.decisions import holder_details, next_review_after
from certification.models import CYCLE_YEARS, Application, Certificate, Decision, Engagement
from organisations.models import Organisation, Region, Sector, User
from standard.selectors import current_standard

# Sector slug: (name, workforce, holders, employees in holder organisations).
# The workforces add up to 5,781,000, of whom 410,452 work for holders: 7.1%.
SECTORS = {
    "central-government": ("Central government", 530_000, 150, 132_500),
    "local-government": ("Local government", 1_420_000, 300, 113_600),
    "health": ("Health", 1_381_000, 200, 41_430),
    "education": ("Education", 1_250_000, 380, 37_500),
    "police": ("Police", 240_000, 30, 28_800),
    "courts": ("Courts and tribunals", 22_000, 40, 4_400),
    "fire-and-rescue": ("Fire and rescue", 60_000, 40, 9_000),
    "housing": ("Housing", 160_000, 150, 16_000),
    "criminal-justice": ("Prisons and probation", 78_000, 60, 15_600),
    "third-sector": ("Charities and voluntary services", 640_000, 102, 11_622),
}
HOLDERS = 1_452
EMPLOYEES = 410_452
BODIES = [
    "Charter Assessment Services",
    "Northgate Quality Certification",
    "Public Service Assurance",
    "Westbury Standards",
]
# Every so many holders, one is suspended (still a holder) and one is of another legal form.
SUSPENDED_EVERY = 50
PRIVATE_EVERY = 7
THIRD_SECTOR_EVERY = 11
BATCH = 500


def employee_counts(total: int, holders: int) -> list[int]:
    """`holders` organisation sizes of varied weight that add up to exactly `total`."""
    weights = [1 + (n * 7) % 5 for n in range(holders)]
    counts = [total * weight // sum(weights) for weight in weights]
    for n in range(total - sum(counts)):
        counts[n % holders] += 1
    return counts


def already_loaded() -> bool:
    return Organisation.objects.filter(
        kind=Organisation.Kind.CERTIFICATION_BODY, name=BODIES[0]
    ).exists()


@transaction.atomic
def load_2005_field(*, today: datetime.date | None = None) -> dict:
    """Create the field; returns how many holders, employees and certificates."""
    today = today or timezone.localdate()
    standard = current_standard()
    if standard is None:
        raise ValueError("Load the standard first: the certificates name its version.")
    user, _ = User.objects.get_or_create(
        email="field-2005@customervoice.example.gov.uk",
        defaults={"full_name": "Charter Mark field 2005", "is_active": False},
    )
    bodies = Organisation.objects.bulk_create(
        [Organisation(name=name, kind=Organisation.Kind.CERTIFICATION_BODY) for name in BODIES]
    )
    holders = Organisation.objects.bulk_create(_holders(), batch_size=BATCH)
    body_of = dict(zip((h.name for h in holders), cycle(bodies), strict=False))
    applications = Application.objects.bulk_create(
        [
            Application(
                applicant=holder,
                certification_body=body_of[holder.name],
                status=Application.Status.ACCEPTED,
                submitted_by=user,
                answered_by=user,
                answered_at=timezone.now(),
            )
            for holder in holders
        ],
        batch_size=BATCH,
    )
    certificates = Certificate.objects.bulk_create(
        [
            _certificate(n, application, standard, today)
            for n, application in enumerate(applications)
        ],
        batch_size=BATCH,
    )
    for certificate in certificates:
        certificate.number = f"CV-{certificate.original_issue_date.year}-{certificate.pk:06d}"
    Certificate.objects.bulk_update(certificates, ["number"], batch_size=BATCH)
    _decisions(certificates, standard, user)
    return {
        "holders": len(holders),
        "employees": sum(h.employee_count for h in holders),
        "certificates": len(certificates),
    }


def _sector(slug: str, name: str, workforce: int) -> Sector:
    sector, _ = Sector.objects.update_or_create(
        slug=slug, defaults={"name": name, "workforce": workforce}
    )
    return sector


def _holders() -> list[Organisation]:
    regions = cycle(Region.values)
    organisations = []
    for slug, (name, workforce, holders, employees) in SECTORS.items():
        sector = _sector(slug, name, workforce)
        for n, count in enumerate(employee_counts(employees, holders), start=1):
            number = len(organisations)
            legal_form = Organisation.LegalForm.PUBLIC
            if number % PRIVATE_EVERY == 0:
                legal_form = Organisation.LegalForm.PRIVATE
            elif number % THIRD_SECTOR_EVERY == 0:
                legal_form = Organisation.LegalForm.THIRD_SECTOR
            organisations.append(
                Organisation(
                    name=f"{name} service {n}",
                    kind=Organisation.Kind.APPLICANT,
                    sector=sector,
                    region=next(regions),
                    legal_form=legal_form,
                    employee_count=count,
                )
            )
    return organisations


def _certificate(n: int, application: Application, standard, today) -> Certificate:
    issued = today - datetime.timedelta(days=n % 360)
    first_issued = issued - relativedelta(years=n % 3)
    suspended = n % SUSPENDED_EVERY == 0
    return Certificate(
        number=f"field-{n}",
        **holder_details(application),
        scope=f"The whole of {application.applicant.name}",
        standard=standard,
        status=Certificate.Status.SUSPENDED if suspended else Certificate.Status.ACTIVE,
        original_issue_date=first_issued,
        issue_date=issued,
        next_review_due=next_review_after(issued),
        cycle_expires=first_issued + relativedelta(years=CYCLE_YEARS),
        status_changed_on=today - datetime.timedelta(days=10) if suspended else issued,
    )


def _decided_at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def _decisions(certificates: list[Certificate], standard, user) -> None:
    """The initial assessment and decision behind each certificate, and the annual
    review and renewal for those issued again since."""
    engagements, decisions = [], []
    for certificate in certificates:
        steps = [(Engagement.Kind.INITIAL, certificate.original_issue_date)]
        if certificate.issue_date != certificate.original_issue_date:
            steps.append((Engagement.Kind.ANNUAL_REVIEW, certificate.issue_date))
        for kind, day in steps:
            engagements.append(
                Engagement(
                    application=certificate.application,
                    kind=kind,
                    status=Engagement.Status.DECIDED,
                    standard=standard,
                    starts_on=day - datetime.timedelta(days=14),
                    ends_on=day - datetime.timedelta(days=13),
                    created_by=user,
                )
            )
            decisions.append(
                Decision(
                    certificate=certificate,
                    certification_body_id=certificate.certification_body_id,
                    holder_id=certificate.holder_id,
                    kind=Decision.Kind.CERTIFY,
                    reasons="Meets the standard.",
                    decided_by=user,
                    decided_at=_decided_at(day),
                )
            )
    engagements = Engagement.objects.bulk_create(engagements, batch_size=BATCH)
    for engagement, decision in zip(engagements, decisions, strict=True):
        decision.engagement = engagement
    Decision.objects.bulk_create(decisions, batch_size=BATCH)
