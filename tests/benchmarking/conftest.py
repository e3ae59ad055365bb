"""Benchmarking fixtures: organisations with surveys whose stored summaries are set
directly, so a test builds a field of any shape without storing responses; holders with
certificates and the decisions behind them; and a refresh that leaves out the scheme
dashboards' figures, which have tests of their own."""

import datetime

import pytest
from django.utils import timezone

from benchmarking import services
from benchmarking.models import Measure, Refresh
from certification.models import Application, Certificate, Decision, Engagement
from organisations.models import Organisation, Sector

from ..factories import (
    OrganisationFactory,
    SectorFactory,
    UserFactory,
    satisfied_of,
    scored_survey_create,
)

MEASURES = [measure.value for measure in Measure]
# The day the refreshes of these tests run, unless a test says otherwise.
REFRESH_DAY = datetime.date(2026, 3, 1)


def summary_of(means: dict[str, float], *, n: int = 400, sd: float = 0.9) -> dict:
    """A survey's stored summary with these means (1 to 5) per measure; the number
    satisfied follows the mean roughly, as it does in real results."""
    summary = {"total": n}
    for measure, mean in means.items():
        summary[measure] = {"count": n, "mean": mean, "sd": sd, "satisfied": satisfied_of(mean, n)}
    return summary


@pytest.fixture
def scored_survey(standard):
    """A survey of `organisation` whose fieldwork ended in `year`, meeting the method
    unless `meets=False`, with the summary `summary_of(means)`. A single number for
    `means` gives every measure that mean."""
    author = UserFactory()

    def _make(organisation, *, year=2025, means=4.0, n=400, sd=0.9, meets=True, month=6):
        if not isinstance(means, dict):
            means = dict.fromkeys(MEASURES, means)
        return scored_survey_create(
            organisation,
            standard,
            author,
            year=year,
            n=n,
            summary=summary_of(means, n=n, sd=sd),
            meets=meets,
            month=month,
        )

    return _make


@pytest.fixture
def make_field(scored_survey):
    """Organisations of `sector`, one per mean in `means`, each with a survey in `year`
    whose every measure has that mean. Returns the organisations in order."""

    def _make(sector, means, *, year=2025, name="Service", **organisation_fields):
        organisations = []
        for n, mean in enumerate(means, start=1):
            organisation = OrganisationFactory(
                name=f"{name} {n}",
                sector=sector,
                kind=Organisation.Kind.APPLICANT,
                **organisation_fields,
            )
            scored_survey(organisation, year=year, means=mean)
            organisations.append(organisation)
        return organisations

    return _make


@pytest.fixture
def sector(standard):
    return SectorFactory(slug="libraries", name="Libraries")


@pytest.fixture
def no_dashboard_figures(monkeypatch):
    """A refresh that works out the benchmarks only: the scheme dashboards' figures
    have their own tests."""
    monkeypatch.setattr(services, "dashboard_figures_refresh", lambda *, sector, now: None)


def refresh(sector=None, **kwargs):
    """A manual refresh of `sector` (all sectors when None), run on `REFRESH_DAY` unless
    `today` is given."""
    kwargs.setdefault("today", REFRESH_DAY)
    return services.benchmarks_refresh(trigger=Refresh.Trigger.MANUAL, sector=sector, **kwargs)


class Field:
    """Holders with certificates and the decisions behind them, made directly."""

    def __init__(self, standard):
        self.standard = standard
        self.user = UserFactory(email="decider@field.example")
        self.body = OrganisationFactory(
            name="Field Certification", kind=Organisation.Kind.CERTIFICATION_BODY, sector=None
        )
        self.courts = Sector.objects.get(slug="courts")
        self.police = Sector.objects.get(slug="police")

    def holder(self, *, sector=None, region="london", employees=100, name=None, **certificate):
        """A new organisation holding a certificate; see `certify` for `certificate`."""
        organisation = OrganisationFactory(
            name=name or f"Holder {Organisation.objects.count()}",
            sector=sector or self.courts,
            region=region,
            employee_count=employees,
        )
        self.certify(organisation, **certificate)
        return organisation

    def certify(self, organisation, *, status="active", due=None, first=None, renewed=None,
                changed=None):  # fmt: skip
        """A certificate of `status` for `organisation`, first issued on `first` (100 days
        ago), renewed on `renewed` if given, with its review due on `due` (in 200 days),
        and the decisions behind it."""
        application = Application.objects.create(
            applicant=organisation,
            certification_body=self.body,
            status=Application.Status.ACCEPTED,
            submitted_by=self.user,
        )
        first = first or datetime.date.today() - datetime.timedelta(days=100)
        issued = renewed or first
        certificate = Certificate.objects.create(
            number=f"CV-T-{organisation.pk}",
            holder=organisation,
            certification_body=self.body,
            application=application,
            holder_name=organisation.name,
            scope="The whole organisation",
            standard=self.standard,
            status=status,
            original_issue_date=first,
            issue_date=issued,
            next_review_due=due or datetime.date.today() + datetime.timedelta(days=200),
            cycle_expires=first + datetime.timedelta(days=3 * 365),
            status_changed_on=changed or issued,
        )
        self.decide(certificate, Engagement.Kind.INITIAL, first)
        if renewed:
            self.decide(certificate, Engagement.Kind.ANNUAL_REVIEW, renewed)
        return certificate

    def decide(self, certificate, kind, day):
        engagement = Engagement.objects.create(
            application=certificate.application,
            kind=kind,
            status=Engagement.Status.DECIDED,
            standard=self.standard,
            created_by=self.user,
        )
        Decision.objects.create(
            engagement=engagement,
            certificate=certificate,
            certification_body=self.body,
            holder=certificate.holder,
            kind=Decision.Kind.CERTIFY,
            reasons="Meets the standard.",
            decided_by=self.user,
            decided_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))),
        )


@pytest.fixture
def field(standard):
    return Field(standard)
