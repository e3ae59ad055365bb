"""Survey report exports: ask for the PDF, watch it being built, download it; and the CSV
of every response."""

from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from organisations.policy import get_visible_or_404
from organisations.views import membership_required

from . import reports
from .models import ReportJob, Survey

RECENT_JOBS = 10
ACTIVE = (ReportJob.Status.PENDING, ReportJob.Status.RUNNING)


@require_POST
@membership_required
def start(request, survey_pk):
    survey = get_visible_or_404(Survey, request.membership, pk=survey_pk)
    job = reports.report_job_start(membership=request.membership, survey=survey)
    return redirect("survey_reports:job", job.pk)


@require_safe
@never_cache
@membership_required
def job(request, job_pk):
    report_job = get_visible_or_404(
        ReportJob.objects.select_related("survey__organisation", "requested_by"),
        request.membership,
        pk=job_pk,
    )
    if _wants_json(request):
        response = JsonResponse(_state(report_job))
    else:
        survey = report_job.survey
        recent = (
            ReportJob.objects.visible_to(request.membership)
            .filter(survey=survey)
            .select_related("requested_by")
            .order_by("-created_at", "-pk")[:RECENT_JOBS]
        )
        context = {
            "job": report_job,
            "survey": survey,
            "recent": recent,
            "active": report_job.status in ACTIVE,
            **_state(report_job),
        }
        response = render(request, "surveys/report/job.html", context)
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
        "download_url": reverse("survey_reports:download", args=[report_job.pk]) if done else None,
        "error": report_job.error if report_job.status == ReportJob.Status.FAILED else "",
    }


@require_safe
@never_cache
@membership_required
def download(request, job_pk):
    report_job = get_visible_or_404(
        ReportJob.objects.select_related("survey__organisation"),
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
        filename=reports.report_filename(report_job.survey),
        content_type="application/pdf",
    )


@require_safe
@never_cache
@membership_required
def results_csv(request, survey_pk):
    survey = get_visible_or_404(
        Survey.objects.select_related("organisation"), request.membership, pk=survey_pk
    )
    response = StreamingHttpResponse(
        reports.results_csv(survey), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, reports.report_filename(survey, "csv")
    )
    return response
