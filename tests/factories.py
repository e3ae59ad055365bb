"""Factories for the states tests need, built straight on the models: organisations and
people, and (below) a self-assessment with ratings, a survey with scores, an engagement,
a certificate and a review notice. Each builds a state the services could have produced,
checked by the services' own rules; tests of the path itself walk the services instead
(tests/certification/conftest.py)."""

import datetime

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import Action, Rating, SelfAssessment
from assessments.services import partial_action_latest_due, submission_problems
from benchmarking.models import OrganisationScore
from certification import reminders
from certification.decisions import holder_details, next_review_after
from certification.models import (
    CYCLE_YEARS,
    Application,
    Certificate,
    CertificateEvent,
    Decision,
    Engagement,
    Finding,
    FindingAction,
    Notice,
)
from certification.selectors import elements_without_finding, gaps_without_action
from certification.services import plan_compute
from organisations.models import TWO_FACTOR_ROLES, Organisation, Role, Sector, Site, User
from organisations.services import membership_create
from standard.models import Element
from standard.scales import GAPS
from standard.selectors import current_standard
from surveys.models import SATISFACTION_COLUMNS, Mode, Response, SamplingApproach, Survey
from surveys.services import survey_responses_changed

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


# States built without walking the path --------------------------------------------------


class CleanFactory(factory.django.DjangoModelFactory):
    """Saves only what passes the model's own rules (`full_clean()`)."""

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        instance = model_class(*args, **kwargs)
        instance.full_clean()
        instance.save()
        return instance


def ratings_by_code(standard, ratings: dict) -> dict:
    """`ratings` (element code to value, "*" for every element not named) for every
    element of `standard`; an element left out of both stays unrated."""
    default = ratings.get("*", "")
    codes = Element.objects.filter(criterion__standard=standard).values_list("code", "pk")
    return {pk: ratings.get(code, default) for code, pk in codes}


class SelfAssessmentFactory(CleanFactory):
    """A self-assessment with a rating for every element of its standard, rated as
    `ratings` says, and an action with an owner and a due date for every gap. Pass
    `status="submitted"` for a submitted one: it must then pass the submission check."""

    class Meta:
        model = SelfAssessment

    organisation = factory.SubFactory(OrganisationFactory)
    standard = factory.LazyFunction(current_standard)
    number = factory.LazyAttribute(
        lambda o: SelfAssessment.objects.filter(organisation=o.organisation).count() + 1
    )
    status = SelfAssessment.Status.DRAFT
    created_by = factory.SubFactory(UserFactory)
    submitted_by = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == SelfAssessment.Status.SUBMITTED),
        factory.SelfAttribute("created_by"),
        None,
    )
    submitted_at = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == SelfAssessment.Status.SUBMITTED),
        factory.LazyFunction(timezone.now),
        None,
    )

    @factory.post_generation
    def ratings(self, create, extracted, **kwargs):
        values = ratings_by_code(self.standard, extracted or {})
        Rating.objects.bulk_create(
            Rating(self_assessment=self, element_id=pk, value=value, version=int(bool(value)))
            for pk, value in values.items()
        )
        Action.objects.bulk_create(
            Action(
                self_assessment=self,
                element_id=pk,
                description="Close the gap",
                owner="Head of Customer Service",
                due_date=partial_action_latest_due(self.standard),
            )
            for pk, value in values.items()
            if value in GAPS
        )
        if not self.is_draft and (problems := submission_problems(self)):
            raise ValidationError(problems)


class SurveyFactory(CleanFactory):
    """A survey of an applicant that meets the method if given enough `answers`: rows of
    (overall, five drivers) on 1 to 5, stored as responses, with the summary, count and
    method check worked out by the surveys app itself, as after an import."""

    class Meta:
        model = Survey

    organisation = factory.SubFactory(OrganisationFactory)
    standard = factory.LazyFunction(current_standard)
    title = factory.Sequence(lambda n: f"Customer survey {n}")
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 3, 31)
    channels = factory.LazyFunction(lambda: ["telephone", "online"])
    sampling_approach = SamplingApproach.RANDOM
    mode = Mode.ONLINE
    population = 20_000
    fieldwork_start = datetime.date(2026, 1, 5)
    fieldwork_end = datetime.date(2026, 3, 31)
    invited_count = 2_000
    core_wording_confirmed = True
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def answers(self, create, extracted, **kwargs):
        Response.objects.bulk_create(
            (
                Response(
                    survey=self,
                    respondent_id=f"r{n}",
                    source=Response.Source.IMPORT,
                    channel="online",
                    **dict(zip(SATISFACTION_COLUMNS, (int(v) for v in row), strict=True)),
                )
                for n, row in enumerate(extracted if extracted is not None else [])
            ),
            batch_size=2000,
        )
        survey_responses_changed(survey=self)


class ApplicationFactory(CleanFactory):
    """An applicant's application, accepted by its certification body."""

    class Meta:
        model = Application

    applicant = factory.SubFactory(OrganisationFactory)
    certification_body = factory.SubFactory(
        OrganisationFactory, kind=Organisation.Kind.CERTIFICATION_BODY, sector=None
    )
    status = Application.Status.ACCEPTED
    submitted_by = factory.SubFactory(UserFactory)
    answered_by = factory.SubFactory(UserFactory)
    answered_at = factory.LazyFunction(timezone.now)


REPORTED = (Engagement.Status.REPORTED, Engagement.Status.DECIDED)


class EngagementFactory(CleanFactory):
    """An engagement with the sites and elements the plan puts in its scope (worked out
    by the certification app's own plan), a finding for each element, rated as `findings`
    says (code to rating, "*" for every other element), with an action for every gap, and
    the `team` given (its first member leads)."""

    class Meta:
        model = Engagement

    application = factory.SubFactory(ApplicationFactory)
    kind = Engagement.Kind.INITIAL
    status = Engagement.Status.PLANNING
    standard = factory.LazyFunction(current_standard)
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=1))
    assessor_days = 2
    created_by = factory.SubFactory(UserFactory)
    # A reported or decided engagement was reported by its lead with a summary.
    summary = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status in REPORTED), "A well-run service.", ""
    )
    reported_at = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status in REPORTED),
        factory.LazyFunction(timezone.now),
        None,
    )

    @factory.post_generation
    def plan(self, create, extracted, **kwargs):
        plan_compute(self)

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        if extracted:
            self.lead = extracted[0]
            self.save(update_fields=["lead"])
            self.team.set(extracted)

    @factory.post_generation
    def findings(self, create, extracted, **kwargs):
        if extracted:
            rate_findings(self, extracted)


def rate_findings(engagement: Engagement, ratings: dict, *, due=None) -> None:
    """The engagement's findings rated as `ratings` says, by its lead if it has one, each
    gap with an action due on `due` (by default the latest the standard allows for a
    partial); a planned engagement is then under way, as after the first finding saved."""
    values = ratings_by_code(engagement.standard, ratings)
    findings = list(engagement.findings.select_related("element"))
    for finding in findings:
        finding.rating = values[finding.element_id]
        if finding.rating:
            finding.notes = f"Seen at {finding.element.code}"
            finding.version += 1
            finding.updated_by = engagement.lead.user if engagement.lead else None
            finding.updated_at = timezone.now()
    Finding.objects.bulk_update(
        findings, ["rating", "notes", "version", "updated_by", "updated_at"]
    )
    FindingAction.objects.bulk_create(
        FindingAction(
            finding=finding,
            description="Publish the standards",
            due_date=due or partial_action_latest_due(engagement.standard),
        )
        for finding in findings
        if finding.rating in GAPS
    )
    if engagement.status == Engagement.Status.PLANNING:
        engagement.status = Engagement.Status.IN_PROGRESS
        engagement.save(update_fields=["status"])


class CertificateFactory(CleanFactory):
    """A certificate issued today on its application, with the decision that issued it
    and the "issued" line of its history, as the register and reliance read them. Give
    `findings` (as for `EngagementFactory`) to decide it on an initial assessment with
    those findings; without, the decision stands on no engagement of its own."""

    class Meta:
        model = Certificate

    application = factory.SubFactory(ApplicationFactory)
    number = factory.Sequence(lambda n: f"CV-TEST-{n:06d}")
    scope = factory.LazyAttribute(lambda o: f"The whole of {o.application.applicant.name}")
    standard = factory.LazyFunction(current_standard)
    original_issue_date = factory.LazyFunction(timezone.localdate)
    issue_date = factory.SelfAttribute("original_issue_date")
    next_review_due = factory.LazyAttribute(lambda o: next_review_after(o.issue_date))
    cycle_expires = factory.LazyAttribute(lambda o: o.issue_date + relativedelta(years=CYCLE_YEARS))
    status_changed_on = factory.SelfAttribute("issue_date")
    # Not fields of the certificate: taken by `_create` for its decision.
    findings = None
    decided_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, findings=None, decided_by=None, **kwargs):
        details = holder_details(kwargs["application"])
        holder = details["holder"]
        central = holder.sites.filter(is_central_function=True).first() or holder.sites.first()
        details["main_site_address"] = central.address if central else ""
        for name in kwargs:
            details.pop(name, None)
            details.pop(f"{name}_id", None)
        certificate = super()._create(model_class, *args, **details, **kwargs)
        engagement = None
        if findings is not None:
            engagement = EngagementFactory(
                application=certificate.application,
                standard=certificate.standard,
                status=Engagement.Status.DECIDED,
                starts_on=certificate.issue_date - datetime.timedelta(days=8),
                findings=findings,
                created_by=decided_by,
            )
            # What the lead's report would have refused.
            if problems := elements_without_finding(engagement) + gaps_without_action(engagement):
                raise ValidationError(f"Findings missing or gaps without an action: {problems}")
        decision = Decision.objects.create(
            engagement=engagement,
            certificate=certificate,
            certification_body=certificate.certification_body,
            holder=certificate.holder,
            kind=Decision.Kind.CERTIFY,
            reasons="Meets the standard.",
            decided_by=decided_by,
        )
        CertificateEvent.objects.create(
            certificate=certificate,
            kind=CertificateEvent.Kind.ISSUED,
            happened_on=certificate.issue_date,
            decision=decision,
            status_after=certificate.status,
            next_review_due=certificate.next_review_due,
        )
        return certificate


class NoticeFactory(CleanFactory):
    """A notice the review sweep sent about a certificate's next review (by default the
    first reminder on its standard's days), with the line the sweep adds to the
    certificate's history and the status the stage leaves it in."""

    class Meta:
        model = Notice

    certificate = factory.SubFactory(CertificateFactory)
    stage = Notice.Stage.REMINDER
    days_before = factory.LazyAttribute(
        lambda o: (
            max(o.certificate.standard.reminder_days) if o.stage == Notice.Stage.REMINDER else 0
        )
    )
    review_due = factory.SelfAttribute("certificate.next_review_due")

    @factory.post_generation
    def history(self, create, extracted, **kwargs):
        rule = next((r for r in reminders.STAGES if r.stage == self.stage), None)
        certificate = self.certificate
        if rule and rule.becomes:
            certificate.status = rule.becomes
            certificate.status_changed_on = timezone.localdate()
            certificate.save(update_fields=["status", "status_changed_on"])
        CertificateEvent.objects.create(
            certificate=certificate,
            kind=rule.event if rule else CertificateEvent.Kind.REMINDED,
            happened_on=timezone.localdate(),
            status_after=certificate.status,
            next_review_due=self.review_due,
        )
