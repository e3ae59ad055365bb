"""An accepted application, an engagement with its scope and findings, a certificate
with its decision and history, and a review notice, built without walking the services
to them (tests/certification/test_path.py walks that path)."""

import datetime

import factory
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.services import partial_action_latest_due
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
from organisations.models import Organisation
from standard.scales import GAPS
from standard.selectors import current_standard

from . import OrganisationFactory, UserFactory
from .base import CleanFactory, ratings_by_code


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
