"""Organisations' own customer satisfaction surveys: the core questions, the method,
the responses (imported or answered on the hosted form) and the import jobs.

Core answers are columns of `Response` (one row per respondent), so the database
aggregates them; extra questions and customer group attributes are JSON.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from common.jobs import PdfJob
from organisations.models import Organisation, Site
from organisations.querysets import TenantQuerySet
from standard.models import Driver, Standard

SCALE_MIN, SCALE_MAX = 1, 5
SATISFIED_FROM = 4  # 4 (satisfied) and 5 (very satisfied) count as satisfied

# The five drivers asked about in every survey, in order of importance.
SURVEY_DRIVERS = [
    Driver.DELIVERY,
    Driver.TIMELINESS,
    Driver.INFORMATION,
    Driver.PROFESSIONALISM,
    Driver.STAFF_ATTITUDE,
]
OVERALL = "overall"
SATISFACTION_COLUMNS = [OVERALL, *SURVEY_DRIVERS]
IMPORTANCE_COLUMNS = [f"importance_{driver}" for driver in SURVEY_DRIVERS]
SCORE_COLUMNS = SATISFACTION_COLUMNS + IMPORTANCE_COLUMNS


def core_column(question) -> str:
    """The `Response` column that holds the answers to a core question."""
    if question.kind == "importance":
        return f"importance_{question.driver}"
    return question.driver


def _new_key():
    return secrets.token_urlsafe(16)


class Channel(models.TextChoices):
    FACE_TO_FACE = "face_to_face", _("Face to face")
    TELEPHONE = "telephone", _("Telephone")
    LETTER = "letter", _("Letter")
    ONLINE = "online", _("Online")


class SamplingApproach(models.TextChoices):
    CENSUS = "census", _("Census: every customer in the population was invited")
    RANDOM = "random", _("Simple random sample")
    STRATIFIED = "stratified", _("Stratified random sample")
    SYSTEMATIC = "systematic", _("Systematic sample (every nth customer)")
    QUOTA = "quota", _("Quota sample")
    SELF_SELECTED = "self_selected", _("Self-selected (for example comment cards)")


# Approaches in which every customer has a known chance of being asked.
ROBUST_SAMPLING = {
    SamplingApproach.CENSUS,
    SamplingApproach.RANDOM,
    SamplingApproach.STRATIFIED,
    SamplingApproach.SYSTEMATIC,
}


class Mode(models.TextChoices):
    ONLINE = "online", _("Online, self-completion")
    PAPER = "paper", _("Paper, self-completion")
    TELEPHONE = "telephone", _("Telephone interview")
    FACE_TO_FACE = "face_to_face", _("Face-to-face interview")
    MIXED = "mixed", _("Mixed modes")


class Survey(models.Model):
    """One survey an organisation runs for a period, with the standard's core questions."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="surveys")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("start of the period covered"))
    period_end = models.DateField(_("end of the period covered"))
    channels = models.JSONField(_("channels covered"), default=list)
    includes_importance = models.BooleanField(_("asks how important each driver is"), default=False)
    # The method.
    population = models.PositiveIntegerField(
        _("customers in the population"), null=True, blank=True
    )
    sampling_approach = models.CharField(
        _("sampling approach"), max_length=20, choices=SamplingApproach.choices
    )
    mode = models.CharField(_("how customers answer"), max_length=20, choices=Mode.choices)
    fieldwork_start = models.DateField(_("fieldwork started"), null=True, blank=True)
    fieldwork_end = models.DateField(_("fieldwork ended"), null=True, blank=True)
    invited_count = models.PositiveIntegerField(_("customers invited"), null=True, blank=True)
    core_wording_confirmed = models.BooleanField(
        _("the core questions were asked in the standard's wording and scale"), default=False
    )
    # What the platform worked out.
    column_mapping = models.JSONField(default=dict, blank=True)
    # Whether the survey met the method when last checked (on every change, and daily, as
    # fieldwork ages); pages work the reasons out again in the reader's language.
    method_meets = models.BooleanField(null=True, blank=True)
    method_checked_at = models.DateTimeField(null=True, blank=True)
    response_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    data_version = models.PositiveIntegerField(
        default=0, help_text=_("Goes up whenever the responses change.")
    )
    # The hosted form.
    hosted_open = models.BooleanField(_("the hosted form takes answers"), default=False)
    hosted_requires_token = models.BooleanField(
        _("only customers with a personal invitation link can answer"), default=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["organisation", "-period_end", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="survey_period_in_order",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def response_rate(self):
        if not self.invited_count:
            return None
        return self.response_count / self.invited_count


class SurveyQuestion(models.Model):
    """A question the organisation adds to the core ones."""

    class Kind(models.TextChoices):
        SCALE = "scale", _("Five-point satisfaction scale")
        YES_NO = "yes_no", _("Yes or no")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("short name"), max_length=40)
    wording = models.TextField(_("question"))
    kind = models.CharField(_("answer type"), max_length=10, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0)

    objects = TenantQuerySet.as_manager()
    tenant_path = "survey__organisation"

    class Meta:
        ordering = ["survey", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="survey_question_code_unique"),
        ]

    def __str__(self):
        return self.wording


class GroupAttribute(models.Model):
    """A customer group attribute the survey records (age band, disability, …)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="groups")
    code = models.SlugField(_("short name"), max_length=40)
    label = models.CharField(_("name"), max_length=100)
    values = models.JSONField(_("possible answers"), default=list)
    position = models.PositiveSmallIntegerField(default=0)

    objects = TenantQuerySet.as_manager()
    tenant_path = "survey__organisation"

    class Meta:
        ordering = ["survey", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="group_attribute_code_unique"),
        ]

    def __str__(self):
        return self.label


class ImportJob(models.Model):
    """One uploaded results file, from mapping its columns to storing its rows."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking the file")
        REFUSED = "refused", _("Cannot be read: nothing was stored")
        MAPPING = "mapping", _("Waiting for its columns to be matched")
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Being checked and stored")
        DONE = "done", _("Stored")
        INVALID = "invalid", _("Has errors: nothing was stored")
        FAILED = "failed", _("Failed: nothing was stored")

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="import_jobs")
    file = models.FileField(upload_to="survey-imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=10)  # "csv" or "xlsx"
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    columns = models.JSONField(default=list)
    preview = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MAPPING)
    progress = models.PositiveSmallIntegerField(default=0)
    total_rows = models.PositiveIntegerField(default=0)
    stored_rows = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    errors_file = models.FileField(upload_to="survey-imports/errors/%Y/%m/", blank=True)
    failure = models.TextField(blank=True)  # why a job failed or its file was refused
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The running worker marks the job alive (see common.heartbeat).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "survey__organisation"

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The same file is never stored twice in one survey.
            models.UniqueConstraint(
                fields=["survey", "sha256"],
                condition=Q(status="done"),
                name="import_file_stored_once",
            ),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def is_active(self):
        return self.status in (self.Status.CHECKING, self.Status.PENDING, self.Status.RUNNING)


class SurveyLink(models.Model):
    """An address (and QR code) of the hosted form for one channel or site."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    key = models.CharField(max_length=40, unique=True, default=_new_key, editable=False)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "survey__organisation"

    class Meta:
        ordering = ["survey", "channel", "site__name"]
        constraints = [
            # One link per channel and site, and one per channel without a site.
            models.UniqueConstraint(
                fields=["survey", "channel", "site"],
                condition=Q(site__isnull=False),
                name="survey_link_unique",
            ),
            models.UniqueConstraint(
                fields=["survey", "channel"],
                condition=Q(site__isnull=True),
                name="survey_link_without_site_unique",
            ),
        ]

    def __str__(self):
        return f"{self.survey}: {self.get_channel_display()}"


class SurveyInvitation(models.Model):
    """A personal link to the hosted form: one answer per token."""

    link = models.ForeignKey(SurveyLink, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=40, unique=True, default=_new_key, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "link__survey__organisation"

    class Meta:
        ordering = ["link", "pk"]

    def __str__(self):
        return self.token


def _score(label):
    return models.PositiveSmallIntegerField(label, null=True, blank=True)


class Response(models.Model):
    """One respondent's answers. Core answers are columns (1 to 5, empty if not asked or
    not answered); extra answers and customer group values are keyed by their code."""

    class Source(models.TextChoices):
        IMPORT = "import", _("Uploaded file")
        HOSTED = "hosted", _("Hosted form")

    id = models.BigAutoField(primary_key=True)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    respondent_id = models.CharField(max_length=100)
    source = models.CharField(max_length=10, choices=Source.choices)
    import_job = models.ForeignKey(
        ImportJob, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    row_number = models.PositiveIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_on = models.DateField(null=True, blank=True)
    overall = _score(_("overall satisfaction"))
    delivery = _score(_("delivery"))
    timeliness = _score(_("timeliness"))
    information = _score(_("information"))
    professionalism = _score(_("professionalism"))
    staff_attitude = _score(_("staff attitude"))
    importance_delivery = _score(_("importance of delivery"))
    importance_timeliness = _score(_("importance of timeliness"))
    importance_information = _score(_("importance of information"))
    importance_professionalism = _score(_("importance of professionalism"))
    importance_staff_attitude = _score(_("importance of staff attitude"))
    extra = models.JSONField(default=dict, blank=True)
    groups = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_default=Now())

    objects = TenantQuerySet.as_manager()
    tenant_path = "survey__organisation"

    class Meta:
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "respondent_id"], name="respondent_once_per_survey"
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{column}__isnull": True})
                    | Q(**{f"{column}__gte": SCALE_MIN, f"{column}__lte": SCALE_MAX}),
                    name=f"response_{column}_on_scale",
                )
                for column in SCORE_COLUMNS
            ],
        ]

    def __str__(self):
        return f"{self.survey}: {self.respondent_id}"


class ReportJob(PdfJob):
    """A survey report PDF built in the background; the person waiting sees its progress."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="report_jobs")
    file = models.FileField(upload_to="survey-reports/%Y/%m/", blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "survey__organisation"

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Report for {self.survey} ({self.status})"
