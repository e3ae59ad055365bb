"""Gap report exports: ask for the PDF, watch it being built, download it; and the CSV."""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from common import job_views
from organisations.policy import get_visible_or_404
from organisations.views import membership_required

from . import reports
from .models import ReportJob, SelfAssessment


@require_POST
@membership_required
def start(request, assessment_pk):
    self_assessment = get_visible_or_404(SelfAssessment, request.membership, pk=assessment_pk)
    job = reports.report_job_start(membership=request.membership, self_assessment=self_assessment)
    return redirect("assessment_reports:job", job.pk)


@require_safe
@never_cache
@membership_required
def job(request, job_pk):
    report_job = get_visible_or_404(
        ReportJob.objects.select_related(
            "self_assessment__organisation", "self_assessment__standard", "requested_by"
        ),
        request.membership,
        pk=job_pk,
    )
    return job_views.pdf_job_page(
        request,
        report_job,
        owner_field="self_assessment",
        namespace="assessment_reports",
        template="assessments/report/job.html",
        context={"sa": report_job.self_assessment},
    )


@require_safe
@never_cache
@membership_required
def download(request, job_pk):
    report_job = get_visible_or_404(
        ReportJob.objects.select_related("self_assessment__organisation"),
        request.membership,
        pk=job_pk,
        status=ReportJob.Status.DONE,
    )
    return job_views.pdf_job_download(
        report_job, filename=reports.report_filename(report_job.self_assessment)
    )


@require_safe
@never_cache
@membership_required
def csv_download(request, assessment_pk):
    self_assessment = get_visible_or_404(
        SelfAssessment.objects.select_related("organisation__parent", "standard"),
        request.membership,
        pk=assessment_pk,
    )
    response = HttpResponse(
        reports.gap_report_csv(self_assessment), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, reports.report_filename(self_assessment, "csv")
    )
    return response
