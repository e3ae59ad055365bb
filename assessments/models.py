"""Applicants' self-assessment against the standard: ratings, evidence, actions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.jobs import PdfJob
from organisations.models import Organisation
from organisations.querysets import TenantQuerySet
from standard.models import Element, Standard
from standard.scales import RatingValue


class SelfAssessment(models.Model):
    """One version of an organisation's self-assessment against one version of the standard.

    A draft is edited; submitting freezes it. Later work starts a new draft carried
    forward from it, so every submitted version stays as it was.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="self_assessments"
    )
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(help_text=_("1 for the first, 2 for the next, …"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"
    shared_path = "shares__certification_body"

    class Meta:
        ordering = ["organisation", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="self_assessment_number_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(status="draft"),
                name="one_draft_self_assessment",
            ),
        ]

    def __str__(self):
        return _("%(organisation)s, self-assessment %(number)s") % {
            "organisation": self.organisation,
            "number": self.number,
        }

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT


class Evidence(models.Model):
    """A file, link or note an organisation holds as evidence, reusable across
    elements and years."""

    class Kind(models.TextChoices):
        FILE = "file", _("File")
        LINK = "link", _("Link")
        NOTE = "note", _("Note")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="evidence"
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    url = models.URLField(_("web address"), max_length=500, blank=True)
    text = models.TextField(_("note"), blank=True)
    review_date = models.DateField(
        _("review by"),
        null=True,
        blank=True,
        help_text=_("After this date the evidence is flagged as possibly out of date."),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"
    shared_path = "ratings__self_assessment__shares__certification_body"

    class Meta:
        ordering = ["title"]
        verbose_name_plural = _("evidence")

    def __str__(self):
        return self.title

    @property
    def is_stale(self):
        return bool(self.review_date and self.review_date < timezone.localdate())


class Rating(models.Model):
    """An organisation's rating of one element, with its narrative and evidence."""

    class Review(models.TextChoices):
        NONE = "", _("Not reviewed")
        AGREED = "agreed", _("Agreed")
        CHALLENGED = "challenged", _("Challenged")
        REVISED = "revised", _("Revised after challenge")

    self_assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="ratings"
    )
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=20, choices=RatingValue.choices, blank=True)
    narrative = models.TextField(blank=True)
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="ratings")
    is_corporate = models.BooleanField(
        default=False,
        help_text=_("Run centrally by the headquarters: its units inherit this rating."),
    )
    version = models.PositiveIntegerField(default=0, help_text=_("Bumped on every save."))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    carry_note = models.CharField(max_length=300, blank=True)
    review = models.CharField(max_length=12, choices=Review.choices, blank=True)
    review_comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "self_assessment__organisation"
    shared_path = "self_assessment__shares__certification_body"

    class Meta:
        ordering = ["element__criterion__number", "element__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["self_assessment", "element"], name="one_rating_per_element"
            ),
        ]

    def __str__(self):
        return f"{self.element.code}: {self.get_value_display() or '–'}"


class RatingChange(models.Model):
    """History of a rating: who changed it, when, from what to what."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    from_value = models.CharField(max_length=20, choices=RatingValue.choices, blank=True)
    to_value = models.CharField(max_length=20, choices=RatingValue.choices, blank=True)
    narrative_changed = models.BooleanField(default=False)

    objects = TenantQuerySet.as_manager()
    tenant_path = "rating__self_assessment__organisation"

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.rating.element.code}: {self.from_value or '–'} → {self.to_value or '–'}"


class Action(models.Model):
    """A step in the action plan that closes a gap found by the self-assessment."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    self_assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="actions"
    )
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("what will be done"))
    owner = models.CharField(_("owner"), max_length=150, blank=True)
    due_date = models.DateField(_("due by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "self_assessment__organisation"
    shared_path = "self_assessment__shares__certification_body"

    class Meta:
        ordering = ["element__criterion__number", "element__position", "pk"]

    def __str__(self):
        return f"{self.element.code}: {self.description[:60]}"

    @property
    def is_overdue(self):
        return (
            self.status != self.Status.DONE
            and self.due_date
            and self.due_date < timezone.localdate()
        )


class Share(models.Model):
    """A submitted self-assessment shared with a certification body."""

    self_assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="shares"
    )
    certification_body = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="shared_self_assessments",
        limit_choices_to={"kind": Organisation.Kind.CERTIFICATION_BODY},
    )
    purpose = models.CharField(
        _("for which assessment"),
        max_length=200,
        help_text=_("For example: initial assessment, spring 2027."),
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    shared_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "self_assessment__organisation"
    shared_path = "certification_body"

    class Meta:
        ordering = ["-shared_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["self_assessment", "certification_body", "purpose"],
                name="share_once_per_purpose",
            ),
        ]

    def __str__(self):
        return f"{self.self_assessment} → {self.certification_body}"


class PublicCommitment(models.Model):
    """An organisation's public declaration that it is working towards the standard."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="public_commitment"
    )
    statement = models.TextField(_("statement"))
    committed_at = models.DateTimeField(auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    def __str__(self):
        return f"{self.organisation}: committed {self.committed_at:%Y-%m-%d}"

    @property
    def is_active(self):
        return self.withdrawn_at is None


class ReportJob(PdfJob):
    """A gap report PDF built in the background; the person waiting sees its progress."""

    self_assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="report_jobs"
    )
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "self_assessment__organisation"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Report for {self.self_assessment} ({self.status})"
