"""Celery tasks of the surveys app: thin, they load ids and call a service."""

from celery import shared_task

from . import imports, reports, services
from .models import ImportJob


@shared_task
def run_import(job_id: int) -> None:
    # No automatic retry: a failure is recorded on the job, and the person retries it.
    imports.import_job_run(job_id=job_id)


@shared_task
def check_import(job_id: int) -> None:
    # No automatic retry: a file that cannot be read is refused on the job.
    imports.import_job_check(job_id=job_id)


@shared_task
def refresh_method_checks() -> int:
    return services.survey_methods_refresh_all()


@shared_task
def build_survey_report(job_id: int) -> None:
    # No automatic retry: a failure is recorded on the job, and the person asks again.
    reports.report_job_run(job_id=job_id)


@shared_task
def stop_stalled_imports() -> int:
    return imports.import_jobs_stop_stalled(ImportJob.objects.all())
