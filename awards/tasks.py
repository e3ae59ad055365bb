"""Celery tasks of the awards app: thin, they load ids and call a service."""

from celery import shared_task


@shared_task
def send_consent_request(entry_id: int) -> None:
    from .nominations import consent_request_send

    consent_request_send(entry_id=entry_id)


@shared_task
def build_recognition_pdf(job_id: int) -> None:
    # No automatic retry: a failure is recorded on the job, and the person asks again.
    from .recognition import recognition_job_run

    recognition_job_run(job_id=job_id)
