"""Certificates of recognition: a PDF per published result, built in the background as a
`RecognitionJob` (the shared machinery in `common.jobs`), for the members of the
organisation recognised (and its headquarters) and the scheme unit."""

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from common import jobs
from common.pdf import css_string, page_counter_css, render_pdf
from organisations.models import Membership
from organisations.policy import visible_organisations

from . import results
from .models import RecognitionJob, Result

PDF_TEMPLATE = "awards/recognition_pdf.html"


def may_download(membership: Membership | None, result: Result) -> bool:
    """The recognised organisation's members, its headquarters' and the scheme unit's,
    once the result is published."""
    if membership is None or results.published_result(result.pk) is None:
        return False
    organisation = result.entry.organisation_id
    return visible_organisations(membership).filter(pk=organisation).exists()


@transaction.atomic
def recognition_job_start(*, membership: Membership, result: Result) -> RecognitionJob:
    """Ask for a result's certificate of recognition; a job of this person's still
    waiting to start is queued again rather than a second made."""
    from .tasks import build_recognition_pdf

    return jobs.pdf_job_start(
        model=RecognitionJob,
        membership=membership,
        owner_field="result",
        owner=result,
        task=build_recognition_pdf,
        allowed=may_download(membership, result),
    )


def recognition_job_run(*, job_id: int) -> None:
    """Build the PDF of a pending job; safe to call again (see `jobs.pdf_job_run`)."""
    jobs.pdf_job_run(
        model=RecognitionJob,
        job_id=job_id,
        related=(
            "result__category__cycle",
            "result__category__criterion",
            "result__category__sector",
            "result__entry__organisation",
        ),
        build=_build,
        name="certificate of recognition",
    )


def _build(job: RecognitionJob) -> tuple[str, bytes]:
    html = render_to_string(PDF_TEMPLATE, recognition_context(job.result))
    jobs.pdf_job_set_progress(job, 40)
    return recognition_filename(job.result), render_pdf(html)


def recognition_filename(result: Result) -> str:
    who = slugify(results.nominee_label(result))[:60] or "recognition"
    return f"recognition-{result.category.cycle.year}-{who}.pdf"


def recognition_context(result: Result) -> dict:
    return {
        "result": result,
        "category": result.category,
        "cycle": result.category.cycle,
        "entry": result.entry,
        "generated_at": timezone.localtime(),
        "page_counter_css": page_counter_css(),
        "footer_css": mark_safe(css_string(_("Customer Voice"))),
    }
