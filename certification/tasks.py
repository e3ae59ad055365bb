"""Celery tasks of the certification app: thin, they load ids and call a service."""

from celery import shared_task


@shared_task
def build_certificate_pdf(certificate_id: int) -> None:
    from .certificates import certificate_pdf_build

    certificate_pdf_build(certificate_id=certificate_id)


@shared_task
def review_sweep() -> dict:
    """Daily (Celery beat): reminders, escalation, suspension, lapse and expiry. Safe to run
    again or on two workers at once; the emails follow from the outbox."""
    from organisations.tasks import send_notification_emails

    from .reminders import review_sweep as sweep

    counts = sweep()
    send_notification_emails.delay()
    return counts


@shared_task
def build_engagement_report(job_id: int) -> None:
    # No automatic retry: a failure is recorded on the job, and the person asks again.
    from .reports import report_job_run

    report_job_run(job_id=job_id)
