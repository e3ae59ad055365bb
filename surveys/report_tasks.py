from celery import shared_task

from . import reports


@shared_task
def build_survey_report(job_id: int) -> None:
    # No automatic retry: a failure is recorded on the job, and the person asks again.
    reports.report_job_run(job_id=job_id)
