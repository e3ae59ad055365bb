"""Survey report exports: ask for the PDF, watch it being built, download it; and the CSV
of every response."""

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from common import job_views
from organisations.policy import get_visible_or_404
from organisations.views import membership_required

from . import reports, selectors
from .models import ReportJob, Survey


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
    return job_views.pdf_job_page(
        request,
        report_job,
        owner_field="survey",
        namespace="survey_reports",
        template="surveys/report/job.html",
        context={"survey": report_job.survey},
    )


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
    return job_views.pdf_job_download(
        report_job, filename=reports.report_filename(report_job.survey)
    )


@require_safe
@never_cache
@membership_required
def results_csv(request, survey_pk):
    survey = get_visible_or_404(
        Survey.objects.select_related("organisation"), request.membership, pk=survey_pk
    )
    if not selectors.may_read_responses(request.membership, survey):
        raise Http404
    response = StreamingHttpResponse(
        reports.results_csv(survey), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        True, reports.report_filename(survey, "csv")
    )
    return response
