"""Celery tasks of the benchmarking app: thin, they load ids and call a service."""

from celery import shared_task

from organisations.models import Sector

from . import reports, services
from .models import Refresh


@shared_task
def refresh_benchmarks() -> int:
    """The nightly refresh of every sector."""
    return services.benchmarks_refresh(trigger=Refresh.Trigger.NIGHTLY).pk


@shared_task
def refresh_sector_benchmarks(sector_id: int, trigger: str) -> int | None:
    """One sector's refresh after its survey results or a certification decision changed."""
    sector = Sector.objects.filter(pk=sector_id).first()
    if sector is None:
        return None
    return services.benchmarks_refresh(trigger=trigger, sector=sector).pk


@shared_task
def build_benchmark_report(job_id: int) -> None:
    # No automatic retry: a failure is recorded on the job, and the person asks again.
    reports.report_job_run(job_id=job_id)
