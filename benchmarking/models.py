"""What benchmarking stores: each organisation's scores per year (from its survey that
meets the method), peer groups organisations opt into, and the figures that pages read
(sector distributions, and the scheme dashboards' heavier results), all worked out by
`services.benchmarks_refresh` so that no page ever rescans survey responses or findings.

Figures are computed, never typed: a refresh replaces a sector's rows in one transaction,
so a reader sees either the old figures or the new ones.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.jobs import PdfJob
from organisations.models import Organisation, Region, Sector
from organisations.querysets import TenantQuerySet
from surveys.models import Survey

# The scheme's rule where no standard is published yet (the DOMAIN's "5 organisations").
DEFAULT_MIN_ORGANISATIONS = 5


def minimum_organisations() -> int:
    """The fewest organisations any benchmark figure may describe: the current standard's
    rule, or the setting where that is larger. A setting may raise the rule, never lower it."""
    from standard.selectors import current_standard

    standard = current_standard()
    rule = standard.benchmark_min_organisations if standard else DEFAULT_MIN_ORGANISATIONS
    configured = getattr(settings, "BENCHMARK_MIN_ORGANISATIONS", None)
    return int(rule) if configured is None else max(int(rule), int(configured))


class Measure(models.TextChoices):
    """What is benchmarked: overall satisfaction and the five drivers."""

    OVERALL = "overall", _("Overall satisfaction")
    DELIVERY = "delivery", _("Delivery")
    TIMELINESS = "timeliness", _("Timeliness")
    INFORMATION = "information", _("Information")
    PROFESSIONALISM = "professionalism", _("Professionalism")
    STAFF_ATTITUDE = "staff_attitude", _("Staff attitude")


class PeerGroup(models.Model):
    """A named group of comparable services within a sector (similar service, channel or
    client group), set up by the scheme unit; organisations of the sector opt in."""

    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="peer_groups")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("which services it is for"), blank=True)
    members = models.ManyToManyField(
        Organisation, through="PeerGroupMember", related_name="peer_groups", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sector__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["sector", "name"], name="peer_group_name_once"),
        ]

    def __str__(self):
        return f"{self.name} ({self.sector})"


class PeerGroupMember(models.Model):
    peer_group = models.ForeignKey(PeerGroup, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    joined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["peer_group", "organisation"], name="peer_group_member_once"
            ),
        ]

    def __str__(self):
        return f"{self.organisation_id} in {self.peer_group_id}"


class OrganisationScore(models.Model):
    """One organisation's score on one measure in one year: from its latest survey whose
    fieldwork ended that year and that meets the method. The sector, region, legal form
    and certification status are as they were at the refresh, for the dashboards' filters."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="+")
    region = models.CharField(max_length=30, choices=Region.choices, blank=True)
    legal_form = models.CharField(max_length=20, choices=Organisation.LegalForm.choices)
    year = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=20, choices=Measure.choices)
    count = models.PositiveIntegerField()
    mean = models.FloatField(help_text=_("Mean answer on the 1 to 5 scale."))
    sd = models.FloatField()
    satisfied = models.PositiveIntegerField(help_text=_("Answers of 4 or 5."))
    score = models.FloatField(help_text=_("The mean on 0 to 100: (mean - 1) x 25."))
    holder = models.BooleanField(
        help_text=_("Held a certificate (active or suspended) at the end of the year.")
    )

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "measure"], name="organisation_score_once"
            ),
        ]
        indexes = [models.Index(fields=["sector", "year", "measure"])]

    def __str__(self):
        return f"{self.organisation_id} {self.year} {self.measure}: {self.score:.1f}"


class SectorFigure(models.Model):
    """The distribution of organisations' scores on one measure in one year, for a sector
    or one of its peer groups, and for the scheme dashboards also by region and legal form
    (blank: all). Suppressed cells keep only their count: a page shows no figure for fewer
    organisations than the minimum."""

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="+")
    peer_group = models.ForeignKey(
        PeerGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="figures"
    )
    region = models.CharField(max_length=30, choices=Region.choices, blank=True)
    legal_form = models.CharField(max_length=20, choices=Organisation.LegalForm.choices, blank=True)
    year = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=20, choices=Measure.choices)
    organisations = models.PositiveIntegerField()
    suppressed = models.BooleanField()
    responses = models.PositiveBigIntegerField(null=True, blank=True)
    mean = models.FloatField(null=True, blank=True)
    sd = models.FloatField(null=True, blank=True)
    # Deciles 10..90 of the organisations' 0-100 scores; the 25th and 75th apart.
    deciles = models.JSONField(default=list, blank=True)
    lower_quartile = models.FloatField(null=True, blank=True)
    median = models.FloatField(null=True, blank=True)
    upper_quartile = models.FloatField(null=True, blank=True)
    share_satisfied = models.FloatField(
        null=True, blank=True, help_text=_("Mean of the organisations' shares satisfied, 0 to 1.")
    )
    computed_at = models.DateTimeField()

    # The figures of the distribution: what a suppressed cell never shows.
    FIGURES = (
        "responses",
        "mean",
        "sd",
        "deciles",
        "lower_quartile",
        "median",
        "upper_quartile",
        "share_satisfied",
    )

    class Meta:
        indexes = [models.Index(fields=["sector", "year", "measure"])]
        constraints = [
            models.UniqueConstraint(
                fields=["sector", "region", "legal_form", "year", "measure"],
                condition=models.Q(peer_group__isnull=True),
                name="sector_figure_once",
            ),
            models.UniqueConstraint(
                fields=["peer_group", "year", "measure"],
                condition=models.Q(peer_group__isnull=False),
                name="peer_group_figure_once",
            ),
        ]

    def __str__(self):
        return f"{self.sector_id}/{self.peer_group_id or '-'} {self.year} {self.measure}"


class DashboardFigure(models.Model):
    """A scheme dashboard's heavier result (consistency of certification bodies,
    effectiveness), worked out at the refresh for one sector (blank: all sectors) and
    period (0: all years), stored as the JSON the page and the API show."""

    class Kind(models.TextChoices):
        CONSISTENCY = "consistency", _("Certification body consistency")
        EFFECTIVENESS = "effectiveness", _("Effectiveness")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    sector = models.ForeignKey(
        Sector, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField(default=0)
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "sector", "year"],
                condition=models.Q(sector__isnull=False),
                name="dashboard_figure_once",
            ),
            models.UniqueConstraint(
                fields=["kind", "year"],
                condition=models.Q(sector__isnull=True),
                name="dashboard_figure_all_sectors_once",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.sector_id or 'all'} {self.year or 'all'}"


class Refresh(models.Model):
    """One run of the benchmark refresh: what started it, which sectors, when it ended.
    Pages say when their figures were last worked out."""

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly refresh")
        IMPORT = "import", _("Survey results changed")
        DECISION = "decision", _("Certification decision")
        MANUAL = "manual", _("Asked for by the scheme unit")

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    sector = models.ForeignKey(
        Sector, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self):
        return f"{self.trigger} {self.started_at:%Y-%m-%d %H:%M}"


class ReportJob(PdfJob):
    """An organisation's benchmark report as PDF, built in the background for one year."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="benchmark_report_jobs"
    )
    year = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to="benchmark-reports/%Y/%m/", blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Benchmark report for {self.organisation} {self.year} ({self.status})"
