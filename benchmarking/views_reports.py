"""The benchmark report as a PDF: ask for it, watch it being built, download it.

Whoever may read the organisation's report (its members, its headquarters, the scheme
unit) may ask for the PDF and see and download its jobs; anyone else gets "Page not
found".
"""

from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from common import job_views
from organisations.views import membership_required

from . import reports, selectors
from .models import ReportJob
from .views import organisation_or_404, requested_year


@require_POST
@membership_required
def start(request, organisation_pk):
    organisation = organisation_or_404(request, organisation_pk)
    # The year rides on the address, from the report page and the job page alike.
    job = reports.report_job_start(
        membership=request.membership,
        organisation=organisation,
        year=requested_year(request.GET),
    )
    return redirect("benchmark_reports:job", job.pk)


@require_safe
@never_cache
@membership_required
def job(request, job_pk):
    report_job = get_object_or_404(
        selectors.report_jobs(request.membership).select_related("organisation", "requested_by"),
        pk=job_pk,
    )
    return job_views.pdf_job_page(
        request,
        report_job,
        owner_field="organisation",
        namespace="benchmark_reports",
        template="benchmarking/report/job.html",
        context={"organisation": report_job.organisation, "report_url": _report_url(report_job)},
        fields={"year": report_job.year},
    )


@require_safe
@never_cache
@membership_required
def download(request, job_pk):
    report_job = get_object_or_404(
        selectors.report_jobs(request.membership).select_related("organisation"),
        pk=job_pk,
        status=ReportJob.Status.DONE,
    )
    return job_views.pdf_job_download(
        report_job, filename=reports.report_filename(report_job.organisation, report_job.year)
    )


def _report_url(report_job: ReportJob) -> str:
    """The report page of the job's organisation, at the job's year."""
    page = reverse("benchmarking:organisation", args=[report_job.organisation_id])
    return f"{page}?{urlencode({'year': report_job.year})}"
