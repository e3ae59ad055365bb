"""Certification bodies' work: applications, engagements and their plans, site visits,
findings, decisions and certificates, and the notices of the rolling review cycle.

Decisions and certificate events are only ever added: a decision is superseded by a
later one, never edited, so the full history of every certificate stays readable.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.models import Evidence, RatingValue, SelfAssessment
from common.jobs import PdfJob
from organisations.models import Membership, Organisation, Region, Sector, Site
from organisations.querysets import TenantQuerySet
from standard.models import Element, Standard

# A body that lost its accreditation: its certificates stay valid until their next
# review, for this long at most, flagged on the register.
ACCREDITATION_LOSS_GRACE = datetime.timedelta(days=92)
# No assessing an organisation the assessor advised or worked for in this period.
CONFLICT_COOLING_OFF = datetime.timedelta(days=730)
CYCLE_YEARS = 3


class BodyProfile(models.Model):
    """A certification body's accreditation, franchise and fees."""

    class Accreditation(models.TextChoices):
        ACCREDITED = "accredited", _("Accredited")
        SUSPENDED = "suspended", _("Accreditation suspended")
        WITHDRAWN = "withdrawn", _("Accreditation withdrawn")

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="body_profile"
    )
    accreditation_reference = models.CharField(_("accreditation reference"), max_length=50)
    accreditation_status = models.CharField(
        _("accreditation status"),
        max_length=12,
        choices=Accreditation.choices,
        default=Accreditation.ACCREDITED,
    )
    accreditation_expires = models.DateField(_("accreditation expires"))
    accreditation_lost_on = models.DateField(
        _("accreditation lost on"),
        null=True,
        blank=True,
        help_text=_("Set when accreditation is suspended, withdrawn or lapses."),
    )
    franchise_start = models.DateField(_("franchise starts"))
    franchise_end = models.DateField(_("franchise ends"))
    day_rate = models.DecimalField(_("assessor day rate (£)"), max_digits=7, decimal_places=2)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    def __str__(self):
        return f"{self.organisation}: {self.accreditation_reference}"

    def is_accredited(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return (
            self.accreditation_status == self.Accreditation.ACCREDITED
            and self.accreditation_expires >= on
        )

    def lost_accreditation_on(self) -> datetime.date | None:
        """The day this body stopped being accredited, or None while it is."""
        if self.is_accredited():
            return None
        if self.accreditation_lost_on:
            return self.accreditation_lost_on
        return min(self.accreditation_expires, timezone.localdate())


class AssessorProfile(models.Model):
    """An assessor's competence record: the sectors they may assess, their training."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="assessor_profile"
    )
    sectors = models.ManyToManyField(Sector, blank=True, related_name="+")
    trained_on = models.DateField(_("trained on"), null=True, blank=True)
    notes = models.TextField(_("competence notes"), blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "membership__organisation"

    def __str__(self):
        return str(self.membership.user)


class ConflictDeclaration(models.Model):
    """An assessor's declared interest in an applicant; while in force (and for two
    years after it ends) the assessor may not be put on that applicant's team."""

    class Kind(models.TextChoices):
        ADVISED = "advised", _("Advised or trained the organisation")
        EMPLOYED = "employed", _("Worked for the organisation")
        PERSONAL = "personal", _("Close personal relationship")
        FINANCIAL = "financial", _("Financial interest")
        OTHER = "other", _("Other")

    assessor = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="conflict_declarations"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind of interest"), max_length=12, choices=Kind.choices)
    details = models.TextField(_("details"))
    ended_on = models.DateField(
        _("ended on"), null=True, blank=True, help_text=_("Leave empty if it continues.")
    )
    declared_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "assessor__organisation"

    class Meta:
        ordering = ["-declared_at"]

    def __str__(self):
        return f"{self.assessor.user}: {self.organisation}"

    def is_in_force(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.ended_on is None or self.ended_on > on - CONFLICT_COOLING_OFF


class Application(models.Model):
    """An applicant asks a certification body to certify it, for a scope."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the certification body")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    applicant = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="certification_applications"
    )
    certification_body = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="applications_received"
    )
    units = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="+",
        help_text=_("Units of a corporate programme in scope; none means the whole organisation."),
    )
    scope_note = models.TextField(_("scope"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_note = models.TextField(_("reason"), blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "applicant"
    shared_path = "certification_body"

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant"],
                condition=Q(status__in=["pending", "accepted"]),
                name="one_live_application",
            ),
        ]

    def __str__(self):
        return _("%(applicant)s with %(body)s") % {
            "applicant": self.applicant,
            "body": self.certification_body,
        }


# Which of an organisation's decided assessments is the latest: the last reported (one
# never reported, on either database, counts as the oldest).
LATEST_REPORTED_FIRST = (F("reported_at").desc(nulls_last=True), "-pk")


class Engagement(models.Model):
    """One assessment of a holder by its certification body: its plan, visits, findings,
    report and decision."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial assessment")
        ANNUAL_REVIEW = "annual_review", _("Annual review")
        REASSESSMENT = "reassessment", _("Reassessment")
        SPECIAL = "special", _("Special visit")

    class Status(models.TextChoices):
        PLANNING = "planning", _("Being planned")
        IN_PROGRESS = "in_progress", _("Assessment under way")
        REPORTED = "reported", _("Report ready for decision")
        DECIDED = "decided", _("Decided")

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="engagements"
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNING)
    cycle = models.PositiveSmallIntegerField(default=1, help_text=_("1 for the first 3-year cycle"))
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    self_assessment = models.ForeignKey(
        SelfAssessment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("self-assessment relied on"),
    )
    starts_on = models.DateField(_("first day"), null=True, blank=True)
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    assessor_days = models.DecimalField(
        _("assessor days"), max_digits=5, decimal_places=1, default=0
    )
    lead = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    team = models.ManyToManyField(Membership, blank=True, related_name="engagements")
    plan_reasons = models.JSONField(default=list, blank=True)
    summary = models.TextField(_("summary of the assessment"), blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "application__applicant"
    shared_path = "application__certification_body"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return _("%(kind)s of %(holder)s") % {
            "kind": self.get_kind_display(),
            "holder": self.application.applicant,
        }

    @property
    def holder(self) -> Organisation:
        return self.application.applicant

    @property
    def certification_body(self) -> Organisation:
        return self.application.certification_body

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PLANNING, self.Status.IN_PROGRESS)


class PlannedSite(models.Model):
    """A site chosen for visiting, and why."""

    class Reason(models.TextChoices):
        CENTRAL = "central", _("Central function, visited every time")
        RISK = "risk", _("Chosen by risk")
        RANDOM = "random", _("Chosen at random")
        ADDED = "added", _("Added by the assessor")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="sites")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    risk_score = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    explanation = models.TextField(blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "engagement__application__applicant"
    shared_path = "engagement__application__certification_body"

    class Meta:
        ordering = ["reason", "-risk_score", "site__name"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "site"], name="site_planned_once"),
        ]

    def __str__(self):
        return f"{self.site}: {self.get_reason_display()}"


class PlannedElement(models.Model):
    """An element in an engagement's scope, and why."""

    class Reason(models.TextChoices):
        ALL = "all", _("Every element is assessed")
        PARTIAL = "partial", _("Rated partial or non-compliant last time")
        WEAK_DRIVER = "weak_driver", _("Tied to a weak survey driver")
        ROTATION = "rotation", _("Not yet seen in this cycle")
        ADDED = "added", _("Added by the assessor")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="elements")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    explanation = models.TextField(blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "engagement__application__applicant"
    shared_path = "engagement__application__certification_body"

    class Meta:
        ordering = ["element__criterion__number", "element__position"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "element"], name="element_planned_once"),
        ]

    def __str__(self):
        return f"{self.element.code}: {self.get_reason_display()}"


class PlanChange(models.Model):
    """An assessor's change to the computed plan, with the recorded justification."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="plan_changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    change = models.CharField(max_length=300)
    justification = models.TextField()

    objects = TenantQuerySet.as_manager()
    tenant_path = "engagement__application__applicant"
    shared_path = "engagement__application__certification_body"

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return self.change


class SiteVisit(models.Model):
    """A day (or part) an assessor spent at a site."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="visits")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("date of the visit"))
    hours = models.DecimalField(_("hours on site"), max_digits=4, decimal_places=1)
    staff_spoken_to = models.PositiveSmallIntegerField(_("front-line staff spoken to"), default=0)
    customers_spoken_to = models.PositiveSmallIntegerField(_("customers spoken to"), default=0)
    observations = models.TextField(_("observations"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "engagement__application__applicant"
    shared_path = "engagement__application__certification_body"

    class Meta:
        ordering = ["visited_on", "pk"]

    def __str__(self):
        return f"{self.site}, {self.visited_on}"


class Finding(models.Model):
    """The assessor's rating of one element in scope, on the scheme's scale."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="findings")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(max_length=20, choices=RatingValue.choices, blank=True)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site where it was seen"),
    )
    evidence_reviewed = models.TextField(_("evidence reviewed"), blank=True)
    notes = models.TextField(_("what the assessor found"), blank=True)
    relied_on_self_assessment = models.BooleanField(
        _("relied on the self-assessment"), default=False
    )
    version = models.PositiveIntegerField(default=0, help_text=_("Bumped on every save."))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "engagement__application__applicant"
    shared_path = "engagement__application__certification_body"

    class Meta:
        ordering = ["element__criterion__number", "element__position"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "element"], name="one_finding_each"),
        ]

    def __str__(self):
        return f"{self.element.code}: {self.get_rating_display() or '–'}"


class FindingAction(models.Model):
    """What the holder must do about a partial or non-compliant finding, by when; the
    holder answers with evidence and the assessor accepts or rejects it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUBMITTED = "submitted", _("Awaiting the assessor")
        ACCEPTED = "accepted", _("Closed: accepted")
        REJECTED = "rejected", _("Not accepted: more needed")

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="action")
    description = models.TextField(_("what must be done"))
    due_date = models.DateField(_("due by"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(_("what was done"), blank=True)
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="+")
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(_("assessor's note"), blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "finding__engagement__application__applicant"
    shared_path = "finding__engagement__application__certification_body"

    class Meta:
        ordering = ["due_date", "pk"]

    def __str__(self):
        return f"{self.finding.element.code}: {self.get_status_display()}"

    @property
    def is_overdue(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.REJECTED) and (
            self.due_date < timezone.localdate()
        )


class Certificate(models.Model):
    """A holder's certificate. Its status and dates change only through decisions and
    the review sweep, each change recorded as a `CertificateEvent`."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Valid")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        LAPSED = "lapsed", _("Lapsed")
        EXPIRED = "expired", _("Expired")

    number = models.CharField(_("certificate number"), max_length=20, unique=True)
    holder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="certificates")
    certification_body = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="certificates_issued"
    )
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="+")
    units = models.ManyToManyField(Organisation, blank=True, related_name="+")
    holder_name = models.CharField(_("holder"), max_length=200)
    # The holder's sector and region as at issue, like its name, so that the public
    # register searches and counts one table.
    holder_sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sector"),
        db_index=False,
    )
    holder_region = models.CharField(_("region"), max_length=30, choices=Region.choices, blank=True)
    main_site_address = models.TextField(_("address of the main site"), blank=True)
    scope = models.TextField(_("scope"))
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    original_issue_date = models.DateField(_("first issued"))
    issue_date = models.DateField(_("issued"))
    next_review_due = models.DateField(_("next review due"), db_index=True)
    cycle_expires = models.DateField(_("cycle ends"))
    status_changed_on = models.DateField(_("status since"))
    pdf = models.FileField(upload_to="certificates/%Y/", blank=True)
    pdf_version = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, help_text=_("Bumped on every change."))

    objects = TenantQuerySet.as_manager()
    tenant_path = "holder"
    shared_path = "certification_body"

    class Meta:
        ordering = ["-issue_date", "number"]
        indexes = [
            models.Index(fields=["status", "next_review_due"], name="certificate_due"),
            # The public register lists certificates by holder name; on PostgreSQL a
            # trigram index (migration 0003) also serves searches within names.
            models.Index(fields=["holder_name", "number"], name="certificate_register_name"),
            # The register's counts by sector, region, body and status: an index-only scan.
            models.Index(
                fields=["holder_sector", "holder_region", "certification_body", "status"],
                name="certificate_register_facets",
            ),
        ]

    def __str__(self):
        return f"{self.number} ({self.holder_name})"

    @property
    def may_display_mark(self) -> bool:
        return self.status == self.Status.ACTIVE


class Decision(models.Model):
    """A certification body's decision. Never edited: a later decision supersedes it."""

    class Kind(models.TextChoices):
        CERTIFY = "certify", _("Certify")
        CERTIFY_WITH_CONDITIONS = "certify_with_conditions", _("Certify with conditions")
        REFUSE = "refuse", _("Refuse")
        SUSPEND = "suspend", _("Suspend")
        WITHDRAW = "withdraw", _("Withdraw")
        REINSTATE = "reinstate", _("Reinstate")

    engagement = models.ForeignKey(
        Engagement, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    certification_body = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    holder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("decision"), max_length=25, choices=Kind.choices)
    reasons = models.TextField(_("reasons"))
    conditions = models.TextField(_("conditions"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )

    objects = TenantQuerySet.as_manager()
    tenant_path = "holder"
    shared_path = "certification_body"

    class Meta:
        ordering = ["-decided_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.holder} ({self.decided_at:%Y-%m-%d})"


class CertificateEvent(models.Model):
    """One line of a certificate's history: issued, reviewed, suspended, reminded, …"""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        RENEWED = "renewed", _("Review passed")
        REISSUED = "reissued", _("Reassessed: new cycle")
        SUSPENDED = "suspended", _("Suspended")
        REINSTATED = "reinstated", _("Reinstated")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        LAPSED = "lapsed", _("Lapsed")
        EXPIRED = "expired", _("Expired")
        REMINDED = "reminded", _("Reminder sent")
        ESCALATED = "escalated", _("Review overdue: escalated to the scheme unit")

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    happened_on = models.DateField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    decision = models.ForeignKey(
        Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    status_after = models.CharField(max_length=10, choices=Certificate.Status.choices)
    next_review_due = models.DateField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "certificate__holder"
    shared_path = "certificate__certification_body"

    class Meta:
        ordering = ["-happened_on", "-pk"]

    def __str__(self):
        return f"{self.certificate.number}: {self.get_kind_display()} {self.happened_on}"


class Notice(models.Model):
    """A notice the review sweep sent about one certificate at one stage of one review
    due date; a reminder also by its days before that date (the standard's
    `reminder_days`). Unique, so running the sweep again sends nothing twice."""

    class Stage(models.TextChoices):
        REMINDER = "reminder", _("Reminder: review due soon")
        OVERDUE = "overdue", _("Review overdue")
        SUSPENDED = "suspended", _("Suspended: review overdue past the grace period")
        LAPSED = "lapsed", _("Lapsed: suspended too long")
        EXPIRED = "expired", _("Expired: the cycle ended without a reassessment")

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="notices")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    # 0 for every stage but a reminder: a NULL would make the unique key never match.
    days_before = models.PositiveSmallIntegerField(default=0)
    review_due = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "certificate__holder"
    shared_path = "certificate__certification_body"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "stage", "days_before", "review_due"], name="notice_once"
            ),
            models.CheckConstraint(
                condition=Q(stage="reminder", days_before__gt=0)
                | (~Q(stage="reminder") & Q(days_before=0)),
                name="notice_days_only_for_reminders",
            ),
        ]

    def __str__(self):
        if self.stage == self.Stage.REMINDER:
            return f"{self.certificate.number}: reminder {self.days_before} days before the review"
        return f"{self.certificate.number}: {self.get_stage_display()}"


class ReportJob(PdfJob):
    """An engagement's assessment report PDF, built in the background."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="reports")
    file = models.FileField(upload_to="assessment-reports/%Y/%m/", blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "engagement__application__applicant"
    shared_path = "engagement__application__certification_body"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Report for {self.engagement} ({self.status})"
