"""The benchmark report as a PDF, built in the background as a ReportJob for one year:
the same charts and tables as the page."""

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from common import jobs
from common.pdf import css_string, page_counter_css, render_pdf
from organisations.models import Membership, Organisation

from . import charts, selectors
from .models import ReportJob

PDF_TEMPLATE = "benchmarking/report/pdf.html"


# Starting and watching a report ---------------------------------------------------------


@transaction.atomic
def report_job_start(
    *, membership: Membership, organisation: Organisation, year: int | None
) -> ReportJob:
    """Ask for the organisation's benchmark report of `year` (by default the latest year
    it has scores, or this year if it has none); a job of this person's for the same
    year still waiting to start is queued again rather than a second made. Whoever may
    read the report may ask for it: the organisation, its headquarters, the scheme unit."""
    # Imported here: the task module imports this one.
    from .tasks import build_benchmark_report

    if year is None:
        year = selectors.latest_year(organisation) or timezone.localdate().year
    return jobs.pdf_job_start(
        model=ReportJob,
        membership=membership,
        owner_field="organisation",
        owner=organisation,
        task=build_benchmark_report,
        allowed=selectors.benchmarked_organisations(membership).filter(pk=organisation.pk).exists(),
        fields={"year": year},
    )


def report_job_run(*, job_id: int) -> None:
    """Build the PDF of a pending job; safe to call again (see `jobs.pdf_job_run`)."""
    jobs.pdf_job_run(
        model=ReportJob,
        job_id=job_id,
        related=("organisation__sector", "requested_by"),
        build=_build,
        name="benchmark report",
    )


def _build(job: ReportJob) -> tuple[str, bytes]:
    context = report_context(job.organisation, year=job.year, requested_by=job.requested_by)
    jobs.pdf_job_set_progress(job, 30)
    html = render_to_string(PDF_TEMPLATE, context)
    jobs.pdf_job_set_progress(job, 50)
    return report_filename(job.organisation, job.year), render_pdf(html)


def report_filename(organisation: Organisation, year: int) -> str:
    name = slugify(organisation.name)[:60] or "organisation"
    return f"benchmark-report-{name}-{year}.pdf"


# The PDF ------------------------------------------------------------------------------


def report_context(organisation: Organisation, *, year: int, requested_by=None) -> dict:
    report = charts.with_charts(selectors.organisation_benchmark(organisation, year=year))
    return {
        "organisation": organisation,
        "report": report,
        "peer_groups": [
            comparison["name"]
            for comparison in report["comparisons"]
            if comparison["kind"] == selectors.PEER_GROUP
        ],
        "requested_by": requested_by,
        "generated_at": timezone.localtime(),
        "page_counter_css": page_counter_css(),
        "footer_css": mark_safe(css_string(_("Customer Voice"))),
    }
