"""Survey report exports: the PDF, built in the background as a ReportJob, and the CSV
of every response."""

import csv
import logging
from collections.abc import Iterator
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from assessments.reports import css_string, page_counter_css, render_pdf
from config.csvsafe import neutralise
from organisations.models import Membership
from organisations.policy import acts_for

from . import analysis, charts
from .models import (
    IMPORTANCE_COLUMNS,
    SATISFACTION_COLUMNS,
    Channel,
    ReportJob,
    Response,
    Survey,
)

# A build takes seconds; one still running after this lost its worker.
ABANDONED_AFTER = timedelta(minutes=10)
CSV_CHUNK = 2000
RESPONDENT_FIELDS = ("respondent_id", "responded_on", "channel", "site__name")

logger = logging.getLogger(__name__)

PDF_TEMPLATE = "surveys/report/survey_report_pdf.html"


# Starting and watching a report ---------------------------------------------------------


@transaction.atomic
def report_job_start(*, membership: Membership, survey: Survey) -> ReportJob:
    """Ask for a survey report PDF, for the organisation or its headquarters.

    If this person already has one waiting to start, that one is queued again rather
    than a second made: it has read nothing yet, so it will be just as current, and
    queueing again also recovers a job whose task was lost (the claim in
    `report_job_run` makes a duplicate harmless).
    """
    if not acts_for(membership, survey.organisation):
        raise PermissionDenied(_("Only the organisation itself builds its reports."))
    mine = {"survey": survey, "requested_by": membership.user}
    job = ReportJob.objects.filter(**mine, status=ReportJob.Status.PENDING).first()
    if job is None:
        job = ReportJob.objects.create(**mine, language=translation.get_language() or "en")
    # Imported here: the task module imports this one.
    from .tasks import build_survey_report

    transaction.on_commit(lambda: build_survey_report.delay(job.pk))
    return job


def report_job_run(*, job_id: int) -> None:
    """Build the PDF of a pending job. Safe to call again: only one call claims the job,
    and a job that is running, done or failed is left alone. A failure is recorded on
    the job, not raised, so the task is not retried in a loop."""
    # A job still "running" long after it started lost its worker (the task was
    # delivered again because it is acknowledged late): it may be claimed again.
    abandoned = Q(status=ReportJob.Status.RUNNING, started_at__lt=timezone.now() - ABANDONED_AFTER)
    claimed = ReportJob.objects.filter(
        Q(status=ReportJob.Status.PENDING) | abandoned, pk=job_id
    ).update(status=ReportJob.Status.RUNNING, progress=0, error="", started_at=timezone.now())
    if not claimed:
        return
    job = ReportJob.objects.select_related(
        "survey__organisation__sector", "survey__standard", "requested_by"
    ).get(pk=job_id)
    try:
        with translation.override(job.language):
            _build(job)
    except Exception as exc:
        logger.exception("Survey report job %s failed", job_id)
        _discard_file(job)
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.Status.FAILED,
            error=_failure_message(exc),
            finished_at=timezone.now(),
        )


def _build(job: ReportJob) -> None:
    context = report_context(job.survey, requested_by=job.requested_by)
    _set_progress(job, 30)
    html = render_to_string(PDF_TEMPLATE, context)
    _set_progress(job, 50)
    pdf = render_pdf(html)
    _set_progress(job, 90)
    job.file.save(report_filename(job.survey), ContentFile(pdf), save=False)
    ReportJob.objects.filter(pk=job.pk).update(
        file=job.file.name,
        status=ReportJob.Status.DONE,
        progress=100,
        finished_at=timezone.now(),
    )


def report_filename(survey: Survey, extension: str = "pdf") -> str:
    organisation = slugify(survey.organisation.name)[:60] or "organisation"
    kind = "survey-report" if extension == "pdf" else "survey-results"
    return f"{kind}-{organisation}-{survey.pk}.{extension}"


def _set_progress(job: ReportJob, progress: int) -> None:
    # An update, not save(): the page polling this job sees it at once.
    ReportJob.objects.filter(pk=job.pk).update(progress=progress)
    job.progress = progress


def _discard_file(job: ReportJob) -> None:
    if not job.file.name:
        return
    try:
        job.file.delete(save=False)
    except Exception:
        logger.exception("Could not remove the partial file of survey report job %s", job.pk)


def _failure_message(exc: Exception) -> str:
    reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")[:300]
    return _(
        "The report could not be built (%(reason)s). Try again; if it fails again, "
        "tell the Customer Voice team the date and time it happened."
    ) % {"reason": reason}


# The PDF ------------------------------------------------------------------------------


def report_context(survey: Survey, *, requested_by=None) -> dict:
    """Everything the PDF shows: the survey, its method and its analysis."""
    return {
        "survey": survey,
        "organisation": survey.organisation,
        "standard": survey.standard,
        "analysis": charts.with_charts(analysis.cached_survey_analysis(survey)),
        "method_reasons": survey.method_reasons,
        "requested_by": requested_by,
        "generated_at": timezone.localtime(),
        "page_counter_css": page_counter_css(),
        "footer_css": mark_safe(css_string(_("Customer Voice"))),
    }


# The CSV ------------------------------------------------------------------------------


class _Line:
    """A file-like object whose write returns the line, for `csv.writer`."""

    def write(self, text: str) -> str:
        return text


def results_columns(survey: Survey) -> list[str]:
    columns = list(SATISFACTION_COLUMNS)
    if survey.includes_importance:
        columns += IMPORTANCE_COLUMNS
    return columns


def results_csv(survey: Survey) -> Iterator[str]:
    """Every response, one a line: respondent, date, channel, site, the core answers,
    the extra answers and the customer group values. A generator that reads the rows
    in chunks, so a survey of any size streams. Every cell that a spreadsheet could
    run as a formula is neutralised; the first line starts with a byte order mark so
    that Excel reads UTF-8."""
    writer = csv.writer(_Line())
    columns = results_columns(survey)
    questions = list(survey.questions.order_by("position", "pk").values_list("code", "wording"))
    groups = list(survey.groups.order_by("position", "pk").values_list("code", "label"))
    header = [
        _("Respondent"),
        _("Date"),
        _("Channel"),
        _("Site"),
        *[
            analysis.column_label(c) if c in SATISFACTION_COLUMNS else _importance(c)
            for c in columns
        ],
        *[wording for _code, wording in questions],
        *[label for _code, label in groups],
    ]
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in header])
    channels = dict(Channel.choices)
    rows = (
        Response.objects.filter(survey=survey)
        .order_by("pk")
        .values_list(*RESPONDENT_FIELDS, *columns, "extra", "groups")
        .iterator(chunk_size=CSV_CHUNK)
    )
    for respondent, responded_on, channel, site, *answers, extra, values in rows:
        cells = [
            respondent,
            responded_on.isoformat() if responded_on else "",
            channels.get(channel, channel),
            site,
            *answers,
            *[_answer(extra.get(code)) for code, _wording in questions],
            *[values.get(code) for code, _label in groups],
        ]
        yield writer.writerow([neutralise(cell) for cell in cells])


def _importance(column: str) -> str:
    driver = column.removeprefix("importance_")
    return _("Importance: %(driver)s") % {"driver": analysis.column_label(driver)}


def _answer(value) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return "" if value is None else str(value)
