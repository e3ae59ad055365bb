"""Gap report exports: ask for the PDF, watch it being built, download it; and the CSV."""

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from organisations.policy import get_visible_or_404
from organisations.views import membership_required

from . import reports
from .models import ReportJob, SelfAssessment

RECENT_JOBS = 10
ACTIVE = (ReportJob.Status.PENDING, ReportJob.Status.RUNNING)


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
    if _wants_json(request):
        response = JsonResponse(_state(report_job))
    else:
        self_assessment = report_job.self_assessment
        recent = (
            ReportJob.objects.visible_to(request.membership)
            .filter(self_assessment=self_assessment)
            .select_related("requested_by")
            .order_by("-created_at", "-pk")[:RECENT_JOBS]
        )
        context = {
            "job": report_job,
            "sa": self_assessment,
            "recent": recent,
            "active": report_job.status in ACTIVE,
            **_state(report_job),
        }
        response = render(request, "assessments/report/job.html", context)
    # The same address answers the page and the progress script's JSON.
    patch_vary_headers(response, ["Accept"])
    return response


def _wants_json(request):
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _state(report_job):
    done = report_job.status == ReportJob.Status.DONE and bool(report_job.file)
    return {
        "status": report_job.status,
        "status_label": str(report_job.get_status_display()),
        "progress": report_job.progress,
        "download_url": reverse("assessment_reports:download", args=[report_job.pk])
        if done
        else None,
        "error": report_job.error if report_job.status == ReportJob.Status.FAILED else "",
    }


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
    if not report_job.file:
        raise Http404
    try:
        handle = report_job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=reports.report_filename(report_job.self_assessment),
        content_type="application/pdf",
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
