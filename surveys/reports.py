"""Survey report exports: the PDF, built in the background as a ReportJob, and the CSV
of every response."""

import csv
from collections.abc import Iterator

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from common import jobs
from common.csvsafe import neutralise
from common.pdf import css_string, page_counter_css, render_pdf
from organisations.models import Membership
from organisations.policy import acts_for

from . import analysis, charts, services
from .models import (
    IMPORTANCE_COLUMNS,
    SATISFACTION_COLUMNS,
    Channel,
    ReportJob,
    Response,
    Survey,
)

CSV_CHUNK = 2000
RESPONDENT_FIELDS = ("respondent_id", "responded_on", "channel", "site__name")

PDF_TEMPLATE = "surveys/report/survey_report_pdf.html"


# Starting and watching a report ---------------------------------------------------------


@transaction.atomic
def report_job_start(*, membership: Membership, survey: Survey) -> ReportJob:
    """Ask for a survey report PDF, for the organisation or its headquarters; a job of
    this person's still waiting to start is queued again rather than a second made."""
    # Imported here: the task module imports this one.
    from .tasks import build_survey_report

    return jobs.pdf_job_start(
        model=ReportJob,
        membership=membership,
        owner_field="survey",
        owner=survey,
        task=build_survey_report,
        # Reports are the organisation's own: a certification body it shared a version
        # with reads that version on screen or as CSV, but builds no PDFs of it.
        allowed=acts_for(membership, survey.organisation),
    )


def report_job_run(*, job_id: int) -> None:
    """Build the PDF of a pending job; safe to call again (see `jobs.pdf_job_run`)."""
    jobs.pdf_job_run(
        model=ReportJob,
        job_id=job_id,
        related=("survey__organisation__sector", "survey__standard", "requested_by"),
        build=_build,
        name="survey report",
    )


def _build(job: ReportJob) -> tuple[str, bytes]:
    context = report_context(job.survey, requested_by=job.requested_by)
    jobs.pdf_job_set_progress(job, 30)
    html = render_to_string(PDF_TEMPLATE, context)
    jobs.pdf_job_set_progress(job, 50)
    return report_filename(job.survey), render_pdf(html)


def report_filename(survey: Survey, extension: str = "pdf") -> str:
    organisation = slugify(survey.organisation.name)[:60] or "organisation"
    kind = "survey-report" if extension == "pdf" else "survey-results"
    return f"{kind}-{organisation}-{survey.pk}.{extension}"


# The PDF ------------------------------------------------------------------------------


def report_context(survey: Survey, *, requested_by=None) -> dict:
    """Everything the PDF shows: the survey, its method and its analysis."""
    return {
        "survey": survey,
        "organisation": survey.organisation,
        "standard": survey.standard,
        "analysis": charts.with_charts(analysis.cached_survey_analysis(survey)),
        "method_reasons": services.method_check(survey).reasons,
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
