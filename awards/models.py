"""Awards and spreading what works: yearly award cycles with categories per criterion,
sector, kind and level; entries (computed from evidence for organisations, nominated for
teams and individuals), judging by panels with declared conflicts, recorded results;
beacons, case studies and events.

Results are recorded once and never edited: a result changed at moderation is superseded
by a new one, as certification decisions are.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.jobs import PdfJob
from organisations.models import Membership, Organisation, Sector
from organisations.querysets import TenantQuerySet
from standard.models import Criterion, Element


class AwardCycle(models.Model):
    """One year's awards: nominations open and close, judging ends, results are published."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    nominations_open = models.DateField(_("nominations open"))
    nominations_close = models.DateField(_("nominations close"))
    judging_ends = models.DateField(_("judging ends"))
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nominations_open__lt=models.F("nominations_close"))
                & models.Q(nominations_close__lte=models.F("judging_ends")),
                name="award_cycle_dates_in_order",
            ),
        ]

    def __str__(self):
        return self.title


class JudgingCriterion(models.Model):
    """What judges score every entry of a cycle against, published with the cycle."""

    cycle = models.ForeignKey(AwardCycle, on_delete=models.CASCADE, related_name="criteria")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("what judges look for"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=5)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["cycle", "position", "pk"]

    def __str__(self):
        return self.title


class Category(models.Model):
    class Kind(models.TextChoices):
        BEST = "best", _("Best")
        MOST_IMPROVED = "most_improved", _("Most improved")

    class Level(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        TEAM = "team", _("Team")
        ORGANISATION = "organisation", _("Organisation")

    cycle = models.ForeignKey(AwardCycle, on_delete=models.CASCADE, related_name="categories")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=15, choices=Level.choices)

    class Meta:
        ordering = ["cycle", "criterion__number", "sector__name", "kind", "level"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "criterion", "sector", "kind", "level"], name="category_once"
            ),
        ]

    def __str__(self):
        kind, level = self.get_kind_display(), self.get_level_display()
        return f"{kind}: {self.criterion.title}, {self.sector}, {level}"


class Candidate(models.Model):
    """An organisation the evidence puts forward for an organisation category: its place
    and why (levels, findings, survey scores and their intervals), as last computed."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="candidates")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField(help_text=_("What the ranking is by; see the reasons."))
    reasons = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["category", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "organisation"], name="candidate_once_per_category"
            ),
        ]

    def __str__(self):
        return f"{self.rank}. {self.organisation_id} in {self.category_id}"


class Entry(models.Model):
    """What judges score: a candidate the scheme unit put forward, or a nomination of a
    team or person by a holder's administrator or a certification body. A nomination is
    submitted only once its nominee has consented."""

    class Source(models.TextChoices):
        EVIDENCE = "evidence", _("Put forward from the evidence")
        NOMINATION = "nomination", _("Nominated")

    class Status(models.TextChoices):
        AWAITING_CONSENT = "awaiting_consent", _("Waiting for the nominee's consent")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DECLINED = "declined", _("Consent refused")

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="entries")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="award_entries"
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    nominee_name = models.CharField(_("team or person nominated"), max_length=200, blank=True)
    nominee_email = models.EmailField(_("nominee's email address"), blank=True)
    statement = models.TextField(_("why they deserve it"), blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    consent_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    nominated_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    candidate = models.ForeignKey(
        Candidate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reasons = models.JSONField(
        default=list, blank=True, help_text=_("For an entry from the evidence: the candidate's.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["category", "pk"]
        verbose_name_plural = "entries"

    def __str__(self):
        return self.nominee_name or str(self.organisation)


class Panel(models.Model):
    """Judges of some of a cycle's categories."""

    cycle = models.ForeignKey(AwardCycle, on_delete=models.CASCADE, related_name="panels")
    name = models.CharField(_("name"), max_length=120)
    categories = models.ManyToManyField(Category, related_name="panels")
    judges = models.ManyToManyField(Membership, through="PanelJudge", related_name="+")

    class Meta:
        ordering = ["cycle", "name"]

    def __str__(self):
        return self.name


class PanelJudge(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="panel_judges")
    judge = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    chair = models.BooleanField(_("chairs the panel"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["panel", "judge"], name="judge_once_per_panel"),
        ]

    def __str__(self):
        return f"{self.judge_id} on {self.panel_id}"


class Conflict(models.Model):
    """A judge's declared conflict of interest with an entry: the judge no longer sees it,
    scores it or moderates it."""

    judge = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="conflicts")
    reason = models.TextField(_("why"))
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["judge", "entry"], name="conflict_once"),
        ]

    def __str__(self):
        return f"{self.judge_id} conflicted on {self.entry_id}"


class Score(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="scores")
    judge = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    criterion = models.ForeignKey(JudgingCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "judge", "criterion"], name="score_once"),
        ]

    def __str__(self):
        return f"{self.judge_id} gave {self.entry_id} {self.score}"


class Result(models.Model):
    """A category's recorded result for an entry, with reasons; superseded, never edited."""

    class Place(models.TextChoices):
        WINNER = "winner", _("Winner")
        HIGHLY_COMMENDED = "highly_commended", _("Highly commended")

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="results")
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="results")
    place = models.CharField(max_length=20, choices=Place.choices)
    reasons = models.TextField(_("reasons"))
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )

    class Meta:
        ordering = ["category", "place", "pk"]

    def __str__(self):
        return f"{self.get_place_display()}: {self.entry}"


class RecognitionJob(PdfJob):
    """A certificate of recognition for a published result, built in the background."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="pdf_jobs")
    file = models.FileField(upload_to="recognition/%Y/", blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "result__entry__organisation"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Recognition for {self.result_id} ({self.status})"


class Beacon(models.Model):
    """An organisation designated a model for others on a criterion, because it won an
    award or holds compliance plus there; it shares its practice."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="beacons")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("why"))
    result = models.ForeignKey(
        Result, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    designated_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    ended_early_on = models.DateField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self):
        return f"{self.organisation} beacon for {self.criterion}"


class CaseStudy(models.Model):
    """A holder's account of a practice that works, published once the scheme unit
    approves it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Published")
        RETURNED = "returned", _("Returned for changes")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="case_studies"
    )
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    elements = models.ManyToManyField(Element, blank=True, related_name="case_studies")
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    body = models.TextField(_("what they did and what changed"))
    contact = models.CharField(_("who to contact"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    written_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField(_("note to the author"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name_plural = "case studies"

    def __str__(self):
        return self.title


class Event(models.Model):
    class Kind(models.TextChoices):
        CEREMONY = "ceremony", _("Award ceremony")
        SHARING_DAY = "sharing_day", _("Sharing day")
        WEBINAR = "webinar", _("Webinar")

    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    starts_at = models.DateTimeField(_("starts"))
    location = models.CharField(_("where"), max_length=200)
    capacity = models.PositiveIntegerField(_("places"))
    cycle = models.ForeignKey(
        AwardCycle, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    host = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self):
        return self.title


class Registration(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    name = models.CharField(_("full name"), max_length=150)
    email = models.EmailField(_("email address"))
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    access_needs = models.TextField(_("access needs"), blank=True)
    cancel_token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=models.Q(cancelled_at__isnull=True),
                name="registration_once",
            ),
        ]

    def __str__(self):
        return f"{self.name} for {self.event_id}"
