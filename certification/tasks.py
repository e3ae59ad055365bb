"""Celery tasks of the certification app: thin, they load ids and call a service."""

from celery import shared_task


@shared_task
def build_certificate_pdf(certificate_id: int) -> None:
    from .certificates import certificate_pdf_build

    certificate_pdf_build(certificate_id=certificate_id)
