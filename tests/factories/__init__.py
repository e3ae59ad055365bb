"""Factories for the people and organisations every test needs. The states tests need
without walking the path to them are in this package's modules by app: a self-assessment
with ratings (`assessments`), a survey with scores (`surveys`), an engagement, a
certificate and a review notice (`certification`), each checked by the services' own
rules."""

import datetime

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from benchmarking.models import OrganisationScore
from organisations.models import TWO_FACTOR_ROLES, Organisation, Role, Sector, Site, User
from organisations.services import membership_create
from surveys.models import Mode, SamplingApproach, Survey

PASSWORD = "a-long-test-password"


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"sector-{n}")
    name = factory.Sequence(lambda n: f"Sector {n}")
    workforce = 100_000


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.APPLICANT
    sector = factory.SubFactory(SectorFactory)
    region = "london"
    employee_count = 250


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    address = "1 High Street\nTownsville"
    postcode = "AB1 2CD"
    region = "london"
    employee_count = 20


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.gov.uk")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        self.save()
        EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


ROLE_KIND = {
    Role.APPLICANT_ADMIN: Organisation.Kind.APPLICANT,
    Role.APPLICANT_EDITOR: Organisation.Kind.APPLICANT,
    Role.INTERNAL_ASSESSOR: Organisation.Kind.APPLICANT,
    Role.CB_MANAGER: Organisation.Kind.CERTIFICATION_BODY,
    Role.ASSESSOR: Organisation.Kind.CERTIFICATION_BODY,
    Role.SCHEME_ADMIN: Organisation.Kind.SCHEME_UNIT,
    Role.SCHEME_ANALYST: Organisation.Kind.SCHEME_UNIT,
    Role.REGULATOR: Organisation.Kind.REGULATOR,
}


def member(organisation, role, **user_fields):
    """A person with a verified email in `organisation` with `role`, two-factor set up if needed."""
    user = UserFactory(**user_fields)
    membership = membership_create(user=user, organisation=organisation, role=role)
    if role in TWO_FACTOR_ROLES:
        TOTP.activate(user, generate_totp_secret())
    return membership


def satisfied_of(mean: float, n: int) -> int:
    """How many of `n` answers are satisfied (4 or 5) for a mean answer of `mean` (1 to 5):
    roughly as in real results."""
    return round(min(max((mean - 2.5) / 2, 0.0), 1.0) * n)


def scored_survey_create(
    organisation, standard, author, *, year, n, summary=None, meets=True, month=6
) -> Survey:
    """A survey of `organisation` with `n` answers whose fieldwork ended on the 28th of
    `month` in `year`, meeting the method unless `meets=False`, its summary stored as given."""
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
        summary=summary or {},
        created_by=author,
    )


def organisation_score_create(
    organisation, survey, measure, *, year, mean, sd, count, satisfied=None
) -> OrganisationScore:
    """An organisation's stored score on `measure` in `year`, as a holder; the number
    satisfied follows the mean unless given."""
    return OrganisationScore.objects.create(
        organisation=organisation,
        survey=survey,
        sector=organisation.sector,
        region=organisation.region,
        legal_form=organisation.legal_form,
        year=year,
        measure=measure,
        count=count,
        mean=mean,
        sd=sd,
        satisfied=satisfied_of(mean, count) if satisfied is None else satisfied,
        score=(mean - 1) * 25,
        holder=True,
    )
