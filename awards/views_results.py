"""Results: the scheme unit's view of a cycle's results and their publication, the public
winners' page, and certificates of recognition for the organisations recognised."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from common import job_views
from organisations.policy import get_visible_or_404, visible_organisations
from organisations.views import membership_required, scheme_required

from . import judging, recognition, results
from .models import AwardCycle, RecognitionJob, Result

RECOGNITION_NAMESPACE = "awards:recognition"


@require_safe
@scheme_required
def cycle_results(request, year):
    cycle = get_object_or_404(AwardCycle, year=year)
    categories = []
    for category in cycle.categories.select_related("criterion", "sector"):
        history = list(judging.result_history(category))
        current = [r for r in history if not _superseded(r, history)]
        categories.append({"category": category, "current": current, "history": history})
    context = {
        "cycle": cycle,
        "categories": categories,
        "panels": judging.panels_of_cycle(cycle),
        "may_publish": judging.is_scheme_admin(request.membership) and cycle.published_at is None,
    }
    return render(request, "awards/results.html", context)


def _superseded(result: Result, history: list[Result]) -> bool:
    return any(other.supersedes_id == result.pk for other in history)


@require_POST
@scheme_required
def cycle_publish(request, year):
    if not judging.is_scheme_admin(request.membership):
        raise Http404
    cycle = get_object_or_404(AwardCycle, year=year)
    try:
        judging.results_publish(membership=request.membership, cycle=cycle)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The %(cycle)s results are published.") % {"cycle": cycle})
    return redirect("awards:results", cycle.year)


@require_safe
def winners(request, year):
    found = results.winners_page(year)
    if found is None:
        raise Http404
    cycle, categories = found
    context = {"cycle": cycle, "categories": categories}
    return render(request, "awards/winners.html", context)


# Certificates of recognition --------------------------------------------------------------


@require_safe
@membership_required
def recognition_list(request):
    """The published results of the organisations the person reads (all, for the scheme
    unit), each with its certificate of recognition."""
    visible = visible_organisations(request.membership)
    found = results.published_results().filter(entry__organisation__in=visible.values("pk"))
    rows = [(result, results.nominee_label(result)) for result in found]
    return render(request, "awards/recognition.html", {"rows": rows})


def _downloadable(request, result: Result) -> None:
    if not recognition.may_download(request.membership, result):
        raise Http404


def _job(request, job_pk, **lookup) -> RecognitionJob:
    job = get_visible_or_404(
        RecognitionJob.objects.select_related(
            "result__category__cycle", "result__entry__organisation", "requested_by"
        ),
        request.membership,
        pk=job_pk,
        **lookup,
    )
    _downloadable(request, job.result)
    return job


@require_POST
@membership_required
def recognition_start(request, result_pk):
    result = results.published_result(result_pk)
    if result is None:
        raise Http404
    _downloadable(request, result)
    job = recognition.recognition_job_start(membership=request.membership, result=result)
    return redirect(f"{RECOGNITION_NAMESPACE}:job", job.pk)


@require_safe
@never_cache
@membership_required
def recognition_job(request, job_pk):
    job = _job(request, job_pk)
    return job_views.pdf_job_page(
        request,
        job,
        owner_field="result",
        namespace=RECOGNITION_NAMESPACE,
        template="awards/recognition_job.html",
        context={"result": job.result, "who": results.nominee_label(job.result)},
    )


@require_safe
@never_cache
@membership_required
def recognition_download(request, job_pk):
    job = _job(request, job_pk, status=RecognitionJob.Status.DONE)
    return job_views.pdf_job_download(job, filename=recognition.recognition_filename(job.result))
