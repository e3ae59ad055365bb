"""Awards fixtures: a cycle with judging criteria and categories on Timeliness in the
housing sector, and certified holders of that sector with decided assessments (findings)
and survey scores per year, built straight on the models so that a test shapes the
field it needs in a few lines.

`make_holder(name, assessments=[...], scores={...})` builds one holder; `holders` is a
field of six: two to rank for best, two for most improved (one real change, one inside
the noise), and three that are not eligible (suspended, lapsed, another sector)."""

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from awards.models import AwardCycle, Category, JudgingCriterion
from benchmarking.models import Measure
from certification.models import Application, Certificate, Decision, Engagement, Finding
from organisations.models import Organisation, Role, Sector
from standard.models import Element
from surveys.models import Survey

from ..factories import (
    OrganisationFactory,
    UserFactory,
    member,
    organisation_score_create,
    scored_survey_create,
)


@pytest.fixture
def award_sector(standard):
    return Sector.objects.get(slug="housing")


@pytest.fixture
def timeliness(standard):
    return standard.criteria.get(slug="timeliness")


def move_cycle_to(cycle: AwardCycle, stage: str) -> AwardCycle:
    """Shift a cycle's dates so that today falls in `stage` ("before", "nominations",
    "judging", "results"), straight on the row: tests of later stages need a cycle that
    the services would no longer let anyone change."""
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    opens = {
        "before": today + 30 * day,
        "nominations": today - 10 * day,
        "judging": today - 60 * day,
        "results": today - 120 * day,
    }[stage]
    cycle.nominations_open = opens
    cycle.nominations_close = opens + 40 * day
    cycle.judging_ends = opens + 80 * day
    AwardCycle.objects.filter(pk=cycle.pk).update(
        nominations_open=cycle.nominations_open,
        nominations_close=cycle.nominations_close,
        judging_ends=cycle.judging_ends,
    )
    return cycle


@pytest.fixture
def cycle(standard, award_sector, timeliness):
    """This year's cycle, not yet published, nominations opening in a month, with three
    judging criteria and four categories on Timeliness in housing. The categories are
    also attributes: `best`, `most_improved` (organisation level), `team`, `individual`
    (best, at those levels)."""
    year = timezone.localdate().year
    cycle = AwardCycle(
        year=year,
        title=f"Customer Voice Awards {year}",
        nominations_open=timezone.localdate(),
        nominations_close=timezone.localdate() + datetime.timedelta(days=1),
        judging_ends=timezone.localdate() + datetime.timedelta(days=2),
    )
    cycle.save()
    move_cycle_to(cycle, "before")
    for position, (title, weight) in enumerate(
        [("Impact on customers", 3), ("Evidence of what changed", 2), ("Others can learn", 1)]
    ):
        JudgingCriterion.objects.create(
            cycle=cycle,
            title=title,
            description=f"What judges look for: {title.lower()}.",
            weight=weight,
            max_score=5,
            position=position,
        )

    def category(kind, level):
        return Category.objects.create(
            cycle=cycle, criterion=timeliness, sector=award_sector, kind=kind, level=level
        )

    cycle.best = category(Category.Kind.BEST, Category.Level.ORGANISATION)
    cycle.most_improved = category(Category.Kind.MOST_IMPROVED, Category.Level.ORGANISATION)
    cycle.team = category(Category.Kind.BEST, Category.Level.TEAM)
    cycle.individual = category(Category.Kind.BEST, Category.Level.INDIVIDUAL)
    return cycle


@dataclass
class Holder:
    organisation: Organisation
    certificate: Certificate
    admin: object  # the holder's applicant_admin membership
    engagements: list[Engagement] = field(default_factory=list)
    surveys: dict[int, Survey] = field(default_factory=dict)


@pytest.fixture
def certification_body(db):
    return OrganisationFactory(
        name="Heron Certification Ltd", kind=Organisation.Kind.CERTIFICATION_BODY, sector=None
    )


@pytest.fixture
def make_holder(standard, award_sector, certification_body):
    """A holder of `sector` (housing by default) with a certificate of `status`.

    `assessments` is a list of `(last day, ratings)`, oldest first, each a decided
    engagement whose findings are `ratings`: element code to rating, with "*" for every
    element not named (leave it out and only the named elements were assessed, as in an
    annual review). `scores` maps a year to `{measure: (mean, sd, n)}`, means on 1 to 5:
    an `OrganisationScore` for each, from a survey that met the method that year."""
    author = UserFactory()
    elements = {e.code: e for e in Element.objects.filter(criterion__standard=standard)}
    serial = iter(range(1, 1000))

    def _make(
        name,
        *,
        assessments=(),
        scores=None,
        status=Certificate.Status.ACTIVE,
        sector=None,
    ):
        sector = sector or award_sector
        organisation = OrganisationFactory(name=name, sector=sector)
        slug = name.lower().replace(" ", "-")
        admin = member(organisation, Role.APPLICANT_ADMIN, email=f"admin@{slug}.example")
        application = Application.objects.create(
            applicant=organisation,
            certification_body=certification_body,
            status=Application.Status.ACCEPTED,
            submitted_by=author,
        )
        holder = Holder(organisation, None, admin)
        for n, (last_day, ratings) in enumerate(assessments):
            holder.engagements.append(
                _decided_engagement(standard, application, author, n, last_day, ratings, elements)
            )
        first = holder.engagements[0].ends_on if holder.engagements else datetime.date(2024, 1, 1)
        holder.certificate = Certificate.objects.create(
            number=f"CV-AW-{next(serial):04d}-{organisation.pk}",
            holder=organisation,
            certification_body=certification_body,
            application=application,
            holder_name=name,
            holder_sector=sector,
            scope=f"All services of {name}",
            standard=standard,
            status=status,
            original_issue_date=first,
            issue_date=first,
            next_review_due=timezone.localdate() + datetime.timedelta(days=200),
            cycle_expires=first + datetime.timedelta(days=3 * 365),
            status_changed_on=first,
        )
        for year, measures in (scores or {}).items():
            holder.surveys[year] = _scores(standard, organisation, author, year, measures)
        return holder

    return _make


def _decided_engagement(standard, application, author, n, last_day, ratings, elements):
    engagement = Engagement.objects.create(
        application=application,
        kind=Engagement.Kind.INITIAL if n == 0 else Engagement.Kind.ANNUAL_REVIEW,
        status=Engagement.Status.DECIDED,
        standard=standard,
        starts_on=last_day - datetime.timedelta(days=1),
        ends_on=last_day,
        created_by=author,
    )
    default = ratings.get("*")
    rated = {code: ratings.get(code, default) for code in elements}
    Finding.objects.bulk_create(
        Finding(engagement=engagement, element=elements[code], rating=rating)
        for code, rating in rated.items()
        if rating
    )
    Decision.objects.create(
        engagement=engagement,
        certification_body=application.certification_body,
        holder=application.applicant,
        kind=Decision.Kind.CERTIFY,
        reasons="Meets the standard.",
        decided_by=author,
        decided_at=timezone.make_aware(
            datetime.datetime.combine(last_day + datetime.timedelta(days=7), datetime.time(12))
        ),
    )
    return engagement


def _scores(standard, organisation, author, year, measures):
    n_max = max(n for _mean, _sd, n in measures.values())
    survey = scored_survey_create(organisation, standard, author, year=year, n=n_max)
    for measure, (mean, sd, n) in measures.items():
        organisation_score_create(
            organisation, survey, measure, year=year, mean=mean, sd=sd, count=n
        )
    return survey


TIMELINESS = Measure.TIMELINESS.value


@pytest.fixture
def holders(make_holder, timeliness):
    """A housing field. Eligible: `leader` (Timeliness all compliance plus at its latest
    assessment), `steady` (compliant throughout), `real` (partial to compliant, and a
    Timeliness score up by a real 7.5 points), `noisy` (partial to compliant, up 12.5
    points from 30 answers each year: inside the noise). Not eligible: `suspended`,
    `lapsed`, `elsewhere` (another sector), each with the leader's evidence."""
    codes = list(timeliness.elements.values_list("code", flat=True))
    plus = dict.fromkeys(codes, "compliance_plus")
    partial = dict.fromkeys(codes[:2], "partial")
    before, after = datetime.date(2025, 3, 3), datetime.date(2026, 3, 3)
    best = [(before, {"*": "compliant"}), (after, {"*": "compliant", **plus})]
    improved = [(before, {"*": "compliant", **partial}), (after, {"*": "compliant"})]

    def survey(before_mean, after_mean, n, sd=0.9):
        return {
            2024: {TIMELINESS: (before_mean, sd, n), "overall": (3.8, sd, n)},
            2025: {TIMELINESS: (after_mean, sd, n), "overall": (3.84, sd, n)},
        }

    field = {
        "leader": make_holder("Leader Homes", assessments=best, scores=survey(4.2, 4.3, 400)),
        "steady": make_holder(
            "Steady Housing",
            assessments=[(before, {"*": "compliant"}), (after, {"*": "compliant"})],
            scores=survey(3.9, 3.9, 400),
        ),
        "real": make_holder(
            "Real Change Homes", assessments=improved, scores=survey(3.5, 3.8, 400)
        ),
        "noisy": make_holder(
            "Noisy Lettings", assessments=improved, scores=survey(3.3, 3.8, 30, sd=1.3)
        ),
        "suspended": make_holder(
            "Suspended Homes", assessments=best, status=Certificate.Status.SUSPENDED
        ),
        "lapsed": make_holder("Lapsed Homes", assessments=best, status=Certificate.Status.LAPSED),
        "elsewhere": make_holder(
            "Elsewhere Health Trust",
            assessments=best,
            sector=Sector.objects.get(slug="health"),
        ),
    }
    return field
