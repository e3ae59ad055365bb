"""Celery tasks of work every app shares: thin, they call the functions that do it."""

from celery import shared_task
from django.apps import apps

from common import orphans
from common.jobs import PdfJob, pdf_jobs_stop_stalled


@shared_task
def stop_stalled_reports() -> int:
    kinds = [model for model in apps.get_models() if issubclass(model, PdfJob)]
    return sum(pdf_jobs_stop_stalled(model.objects.all()) for model in kinds)


@shared_task
def remove_orphan_files() -> int:
    return len(orphans.remove_orphan_files())
