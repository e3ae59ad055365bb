"""The assessment report of an engagement: ask for the PDF, watch it being built,
download it. Another tenant's engagement or job, and anyone the report is not for
(an assessor off the team, the holder before the assessment is reported), get 404."""

from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from common import job_views
from organisations.policy import get_visible_or_404
from organisations.views import membership_required

from . import reports
from .models import Engagement, ReportJob

ENGAGEMENT_RELATED = (
    "engagement__application__applicant",
    "engagement__application__certification_body",
    "engagement__standard",
)


def _readable(request, engagement: Engagement) -> None:
    if not reports.may_read_report(request.membership, engagement):
        raise Http404


def _job(request, job_pk, **lookup) -> ReportJob:
    report_job = get_visible_or_404(
        ReportJob.objects.select_related(*ENGAGEMENT_RELATED, "requested_by"),
        request.membership,
        pk=job_pk,
        **lookup,
    )
    _readable(request, report_job.engagement)
    return report_job


@require_POST
@membership_required
def start(request, engagement_pk):
    engagement = get_visible_or_404(
        Engagement.objects.select_related(
            "application__applicant", "application__certification_body"
        ),
        request.membership,
        pk=engagement_pk,
    )
    _readable(request, engagement)
    job = reports.report_job_start(membership=request.membership, engagement=engagement)
    return redirect("engagement_reports:job", job.pk)


@require_safe
@never_cache
@membership_required
def job(request, job_pk):
    report_job = _job(request, job_pk)
    return job_views.pdf_job_page(
        request,
        report_job,
        owner_field="engagement",
        namespace="engagement_reports",
        template="certification/report/job.html",
        context={"engagement": report_job.engagement},
    )


@require_safe
@never_cache
@membership_required
def download(request, job_pk):
    report_job = _job(request, job_pk, status=ReportJob.Status.DONE)
    return job_views.pdf_job_download(
        report_job, filename=reports.report_filename(report_job.engagement)
    )
