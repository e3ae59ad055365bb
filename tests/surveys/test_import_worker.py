"""A real Celery worker, on PostgreSQL and Redis, killed in the middle of an import: the
job's page says the work stopped within seconds (the heartbeat and stall settings are
short here; a minute in production) and a retry, taken by a new worker, stores the file."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from config.celery import app as celery_app
from surveys import imports
from surveys.models import ImportJob, Response
from tests.surveys.test_import import (
    KILL_ROWS,
    ROOT,
    admin,
    csv_bytes,
    database_url,
    uploaded,
    wait_for_progress,
)
from tests.surveys.test_job_heartbeat import RETRY_BUTTON, STOPPED

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real broker)"),
    pytest.mark.django_db(transaction=True),
]

HEARTBEAT_SECONDS, STALLED_AFTER_SECONDS = 0.5, 3


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def start_worker(media_root):
    code = (
        "import django; django.setup()\n"
        "from surveys import import_files\n"
        "import_files.CSV_BLOCK_BYTES = 256 * 1024\n"  # progress every few thousand rows
        "from config.celery import app\n"
        "app.worker_main(['worker', '--pool=solo', '--loglevel=warning',"
        " '--without-mingle', '--without-gossip'])\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media_root),
        "JOB_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "JOB_STALLED_AFTER_SECONDS": str(STALLED_AFTER_SECONDS),
    }
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)


def stop(process) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


@pytest.fixture
def real_workers(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database the worker's process can see (PostgreSQL)")
    settings.JOB_HEARTBEAT_SECONDS = HEARTBEAT_SECONDS
    settings.JOB_STALLED_AFTER_SECONDS = STALLED_AFTER_SECONDS
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    started = []
    yield lambda media_root: started.append(start_worker(media_root)) or started[-1]
    for process in started:
        stop(process)
    celery_app.control.purge()


def test_a_killed_worker_is_reported_within_seconds_and_a_retry_completes(
    alpha, survey, media, login, real_workers
):
    rows = [[f"K{n:06d}", "2026-02-01", "Online", *["4"] * 6, "", ""] for n in range(KILL_ROWS)]
    job = uploaded(alpha, survey, csv_bytes(rows), name="big.csv")
    # No worker runs yet: the file's check (queued by the upload) is done here.
    imports.import_job_check(job_id=job.pk)
    job.refresh_from_db()
    imports.import_job_confirm(
        membership=admin(alpha), job=job, mapping=imports.suggested_mapping(job)
    )
    first = real_workers(media)
    wait_for_progress(job, first, at_least=30)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    killed_at = time.monotonic()

    client = login(admin(alpha))
    url = reverse("surveys:import_job", args=[job.pk])

    def stopped():
        return client.get(url, HTTP_ACCEPT="application/json").json()["status"] == "failed"

    wait_until(stopped, timeout=120, what="the job did not say it stopped")
    noticed_after = time.monotonic() - killed_at
    print(f"a killed worker was noticed after {noticed_after:.1f} s")
    # Silence for STALLED_AFTER_SECONDS, then the page's own check: seconds, not minutes.
    assert noticed_after < 4 * (STALLED_AFTER_SECONDS + HEARTBEAT_SECONDS)
    page = client.get(url).content.decode()
    assert STOPPED in page and RETRY_BUTTON in page
    assert Response.objects.count() == 0

    real_workers(media)
    client.post(reverse("surveys:import_retry", args=[job.pk]))

    def finished():
        job.refresh_from_db()
        return job.status not in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING)

    wait_until(finished, timeout=180, what="the retried import did not finish")
    assert job.status == ImportJob.Status.DONE, job.failure or job.errors[:3]
    assert Response.objects.filter(survey=survey).count() == KILL_ROWS
    assert Response.objects.values("respondent_id").distinct().count() == KILL_ROWS
