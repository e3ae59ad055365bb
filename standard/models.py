"""The versioned standard: criteria, elements, guidance, levels and core questions.

A published version never changes; a new version comes with a mapping of
its elements to the previous version's, so history carries over.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from organisations.models import Sector

from .scales import Level


class Driver(models.TextChoices):
    INSIGHT = "insight", _("Customer insight")
    DELIVERY = "delivery", _("Delivery")
    TIMELINESS = "timeliness", _("Timeliness")
    INFORMATION = "information", _("Information")
    PROFESSIONALISM = "professionalism", _("Professionalism")
    STAFF_ATTITUDE = "staff_attitude", _("Staff attitude")


class PublishedStandardError(ValidationError):
    pass


# Days before a certificate's annual review is due on which the sweep reminds its holder
# and body, unless a version of the standard says otherwise.
DEFAULT_REMINDER_DAYS = (90, 30, 7)


def default_reminder_days() -> list[int]:
    return list(DEFAULT_REMINDER_DAYS)


class Standard(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_on = models.DateField(null=True, blank=True)
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="successors"
    )
    content_hash = models.CharField(
        max_length=64, help_text=_("SHA-256 of the loaded content, to detect any change.")
    )

    # The scheme's configurable figures, fixed with each version.
    pass_min_compliant_share = models.DecimalField(max_digits=4, decimal_places=3, default=0.8)
    partial_action_months = models.PositiveSmallIntegerField(default=3)
    leading_compliance_plus_share = models.DecimalField(
        max_digits=4, decimal_places=3, default=0.33
    )
    survey_max_margin_points = models.DecimalField(max_digits=4, decimal_places=1, default=5)
    survey_fieldwork_max_months = models.PositiveSmallIntegerField(default=12)
    survey_min_responses_to_publish = models.PositiveSmallIntegerField(default=10)
    benchmark_min_organisations = models.PositiveSmallIntegerField(default=5)
    review_grace_days = models.PositiveSmallIntegerField(default=30)
    withdrawal_after_suspension_months = models.PositiveSmallIntegerField(default=6)
    # Different whole numbers of days, largest first (the loader checks and sorts them).
    reminder_days = models.JSONField(default=default_reminder_days)
    lead_rotation_cycles = models.PositiveSmallIntegerField(default=2)

    class Meta:
        ordering = ["-version"]

    def __str__(self):
        return self.title

    @property
    def is_locked(self):
        return self.status != self.Status.DRAFT


class StandardContent(models.Model):
    """Base for rows that belong to one version: frozen once it is published."""

    # Attribute names leading from the row to its Standard.
    standard_path: tuple[str, ...] = ("standard",)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._refuse_if_locked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_locked()
        return super().delete(*args, **kwargs)

    def _owning_standard(self) -> Standard:
        obj: Any = self
        for name in self.standard_path:
            obj = getattr(obj, name)
        return obj

    def _refuse_if_locked(self):
        standard = self._owning_standard()
        if standard.is_locked:
            raise PublishedStandardError(
                _("Version %(version)s is published and cannot be changed.")
                % {"version": standard.version}
            )


class Criterion(StandardContent):
    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="criteria")
    number = models.PositiveSmallIntegerField()
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    driver = models.CharField(max_length=20, choices=Driver.choices)
    summary = models.TextField()

    class Meta:
        ordering = ["standard", "number"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="criterion_number_unique"),
            models.UniqueConstraint(fields=["standard", "slug"], name="criterion_slug_unique"),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class LevelDescriptor(StandardContent):
    standard_path = ("criterion", "standard")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="levels")
    level = models.CharField(max_length=12, choices=Level.choices)
    description = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["criterion", "level"], name="level_once_per_criterion"),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.get_level_display()}"


class Element(StandardContent):
    standard_path = ("criterion", "standard")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="elements")
    code = models.CharField(max_length=10, help_text=_("criterion.element, for example 3.4"))
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    requirement = models.TextField()
    guidance = models.TextField()
    evidence_examples = models.JSONField(default=list)

    class Meta:
        ordering = ["criterion__number", "position"]
        constraints = [
            models.UniqueConstraint(fields=["criterion", "code"], name="element_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class SectorGuidance(StandardContent):
    standard_path = ("element", "criterion", "standard")
    element = models.ForeignKey(Element, on_delete=models.CASCADE, related_name="sector_guidance")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["sector__name"]
        constraints = [
            models.UniqueConstraint(fields=["element", "sector"], name="sector_guidance_once"),
        ]

    def __str__(self):
        return f"{self.element.code} for {self.sector}"


class CoreQuestion(StandardContent):
    class Kind(models.TextChoices):
        SATISFACTION = "satisfaction", _("Satisfaction")
        IMPORTANCE = "importance", _("Importance")

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="core_questions")
    code = models.SlugField(max_length=40)
    driver = models.CharField(max_length=20)  # "overall" or a Driver value
    kind = models.CharField(max_length=12, choices=Kind.choices)
    required = models.BooleanField(default=True)
    wording = models.TextField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["standard", "position"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="core_question_code_unique"),
        ]

    def __str__(self):
        return self.wording


class ElementMapping(StandardContent):
    """How an element of the previous version carries into this one."""

    class Change(models.TextChoices):
        UNCHANGED = "unchanged", _("Unchanged")
        REWORDED = "reworded", _("Reworded")
        MOVED = "moved", _("Moved")
        SPLIT = "split", _("Split")
        MERGED = "merged", _("Merged")
        REMOVED = "removed", _("Removed")

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="mappings")
    from_element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    to_element = models.ForeignKey(
        Element, on_delete=models.CASCADE, null=True, blank=True, related_name="mapped_from"
    )
    change = models.CharField(max_length=10, choices=Change.choices)

    class Meta:
        ordering = ["from_element__criterion__number", "from_element__position"]

    def __str__(self):
        target = self.to_element.code if self.to_element_id else "–"
        return f"{self.from_element.code} → {target} ({self.get_change_display()})"


class LegacyCriterion(StandardContent):
    """One of the 2004 Charter Mark's six criteria, mapped onto this version's elements."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="legacy_criteria")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    elements = models.ManyToManyField(Element, related_name="legacy_criteria")

    class Meta:
        ordering = ["standard", "number"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="legacy_number_unique"),
        ]

    def __str__(self):
        return f"Charter Mark {self.number}: {self.title}"
