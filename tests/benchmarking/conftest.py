"""Benchmarking fixtures: organisations with surveys whose stored summaries are set
directly, so a test builds a field of any shape without storing responses."""

import datetime
import io

import pytest
from django.core.management import call_command

from benchmarking.models import Measure
from organisations.models import Organisation
from standard.selectors import current_standard
from surveys.models import Mode, SamplingApproach, Survey

from ..factories import OrganisationFactory, UserFactory

MEASURES = [measure.value for measure in Measure]


@pytest.fixture
def standard(db):
    call_command("load_sectors", verbosity=0, stdout=io.StringIO())
    call_command("load_standard", verbosity=0, stdout=io.StringIO())
    return current_standard()


def summary_of(means: dict[str, float], *, n: int = 400, sd: float = 0.9) -> dict:
    """A survey's stored summary with these means (1 to 5) per measure; the number
    satisfied follows the mean roughly, as it does in real results."""
    summary = {"total": n}
    for measure, mean in means.items():
        share = min(max((mean - 2.5) / 2, 0.0), 1.0)
        summary[measure] = {"count": n, "mean": mean, "sd": sd, "satisfied": round(share * n)}
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
        end = datetime.date(year, month, 28)
        return Survey.objects.create(
            organisation=organisation,
            standard=standard,
            title=f"Customer survey {year}",
            period_start=end - datetime.timedelta(days=90),
            period_end=end,
            channels=["telephone"],
            population=50_000,
            sampling_approach=SamplingApproach.RANDOM,
            mode=Mode.ONLINE,
            fieldwork_start=end - datetime.timedelta(days=60),
            fieldwork_end=end,
            invited_count=n * 3,
            core_wording_confirmed=True,
            method_meets=meets,
            response_count=n,
            summary=summary_of(means, n=n, sd=sd),
            created_by=author,
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
