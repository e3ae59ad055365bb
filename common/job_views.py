"""The pages of a PDF job: its status page, which also answers the progress script's
JSON at the same address, and the download. Each app's views find the job through
`visible_to` (so another tenant's job is a 404) and hand it here."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode

from .jobs import PdfJob, pdf_jobs_stop_stalled

RECENT_JOBS = 10


def pdf_job_page(
    request: HttpRequest,
    job: PdfJob,
    *,
    owner_field: str,
    namespace: str,
    template: str,
    context: dict,
    fields: dict | None = None,
) -> HttpResponse:
    """The job's page, or its state as JSON when the request prefers that. `namespace`
    holds the app's `start`, `job` and `download` addresses; `context` adds what the
    template shows of the owner. A report with choices of its own (the benchmark
    report's year) passes them as `fields`: the recent reports are those with the same,
    and asking again sends them in the start address's query. A job whose worker
    stopped is recorded as failed first, so the page offers to try again at once."""
    if pdf_jobs_stop_stalled(type(job).objects.filter(pk=job.pk)):
        job.refresh_from_db()
    if _wants_json(request):
        response = JsonResponse(_state(job, namespace))
    else:
        owner = getattr(job, owner_field)
        recent = (
            type(job)
            .objects.visible_to(request.membership)
            .filter(**{owner_field: owner}, **(fields or {}))
            .select_related("requested_by")
            .order_by("-created_at", "-pk")[:RECENT_JOBS]
        )
        start_url = reverse(f"{namespace}:start", args=[owner.pk])
        if fields:
            start_url += "?" + urlencode(fields)
        page = {
            "job": job,
            "recent": recent,
            "active": job.is_active,
            "start_url": start_url,
            "job_url_name": f"{namespace}:job",
            "download_url_name": f"{namespace}:download",
            **context,
            **_state(job, namespace),
        }
        response = render(request, template, page)
    # The same address answers the page and the progress script's JSON.
    patch_vary_headers(response, ["Accept"])
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _state(job: PdfJob, namespace: str) -> dict:
    done = job.status == job.Status.DONE and bool(job.file)
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "progress": job.progress,
        "download_url": reverse(f"{namespace}:download", args=[job.pk]) if done else None,
        "error": job.error if job.status == job.Status.FAILED else "",
    }


def pdf_job_download(job: PdfJob, *, filename: str) -> FileResponse:
    """The finished PDF as an attachment; 404 if the job has no file or it is gone."""
    return stored_file_download(job.file, filename=filename, content_type="application/pdf")


def stored_file_download(field_file, *, filename: str, content_type: str) -> FileResponse:
    """A stored file as an attachment; 404 if there is none or it is gone."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
