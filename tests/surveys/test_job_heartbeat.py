"""A job whose worker died says so within a minute and can be tried again at once; a job
whose worker is alive keeps running, however long it takes."""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from common import heartbeat
from config import tasks as config_tasks
from surveys import imports
from surveys import tasks as survey_tasks
from surveys.models import ImportJob, ReportJob, Response
from tests.surveys.test_import import GOOD_ROWS, admin, csv_bytes, media, uploaded  # noqa: F401

STOPPED = "The work on this file stopped unexpectedly. Nothing was saved. You can try again."
RETRY_BUTTON = "Try this file again"


def confirmed(alpha, survey) -> ImportJob:
    """An upload whose columns are matched: queued, its task not yet run."""
    job = uploaded(alpha, survey, csv_bytes(GOOD_ROWS))
    return imports.import_job_confirm(
        membership=admin(alpha), job=job, mapping=imports.suggested_mapping(job)
    )


def running(job, *, silent_for: timedelta, started_ago: timedelta | None = None):
    """The job as a worker left it: claimed, last marked alive `silent_for` ago."""
    now = timezone.now()
    type(job).objects.filter(pk=job.pk).update(
        status="running",
        progress=95,
        started_at=now - (started_ago or silent_for),
        heartbeat_at=now - silent_for,
    )
    job.refresh_from_db()
    return job


def page_json(client, url):
    return client.get(url, HTTP_ACCEPT="application/json").json()


# Imports ---------------------------------------------------------------------------------


def test_an_import_whose_worker_stopped_says_so_and_a_retry_stores_the_file(
    alpha, survey, login, django_capture_on_commit_callbacks
):
    job = running(confirmed(alpha, survey), silent_for=timedelta(minutes=2))
    client = login(admin(alpha))
    url = reverse("surveys:import_job", args=[job.pk])

    state = page_json(client, url)
    assert (state["status"], state["active"]) == ("failed", False)
    page = client.get(url).content.decode()
    assert STOPPED in page and RETRY_BUTTON in page
    assert "keeps being processed" not in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("surveys:import_retry", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Response.objects.filter(survey=survey).count() == len(GOOD_ROWS)


def test_an_import_whose_worker_is_alive_keeps_running_however_long_it_takes(alpha, survey, login):
    job = running(
        confirmed(alpha, survey), silent_for=timedelta(seconds=5), started_ago=timedelta(hours=1)
    )
    client = login(admin(alpha))
    url = reverse("surveys:import_job", args=[job.pk])

    assert page_json(client, url)["status"] == "running"
    page = client.get(url).content.decode()
    assert STOPPED not in page and RETRY_BUTTON not in page
    with pytest.raises(ValidationError):
        imports.import_job_retry(membership=admin(alpha), job=job)
    imports.import_job_run(job_id=job.pk)  # a second delivery of its task
    assert Response.objects.count() == 0


def test_the_api_answers_a_stopped_import_as_failed_and_retries_it(
    alpha, survey, login, django_capture_on_commit_callbacks
):
    job = running(confirmed(alpha, survey), silent_for=timedelta(minutes=2))
    client = login(admin(alpha))

    listed = client.get("/api/survey-imports/", {"status": "running"}).json()
    assert listed["count"] == 0
    answer = client.get(f"/api/survey-imports/{job.pk}/").json()
    assert (answer["status"], answer["failure"]) == ("failed", STOPPED)

    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(f"/api/survey-imports/{job.pk}/retry/")

    assert retried.status_code == 202
    assert client.get(f"/api/survey-imports/{job.pk}/").json()["status"] == "done"


def test_a_running_import_stopped_by_the_api_can_be_retried_directly(
    alpha, survey, django_capture_on_commit_callbacks
):
    job = running(confirmed(alpha, survey), silent_for=timedelta(minutes=2))

    with django_capture_on_commit_callbacks(execute=True):
        imports.import_job_retry(membership=admin(alpha), job=job)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE


def test_a_task_delivered_again_leaves_a_stopped_or_finished_job_alone(
    alpha, survey, django_capture_on_commit_callbacks
):
    stopped = running(confirmed(alpha, survey), silent_for=timedelta(minutes=2))
    assert survey_tasks.stop_stalled_imports() == 1

    imports.import_job_run(job_id=stopped.pk)  # the dead worker's task, delivered again

    stopped.refresh_from_db()
    assert (stopped.status, stopped.failure) == (ImportJob.Status.FAILED, STOPPED)
    assert Response.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        imports.import_job_retry(membership=admin(alpha), job=stopped)
    imports.import_job_run(job_id=stopped.pk)  # and once more, after the retry stored it

    stopped.refresh_from_db()
    assert stopped.status == ImportJob.Status.DONE
    assert Response.objects.count() == len(GOOD_ROWS)


def test_the_beat_task_stops_only_imports_whose_worker_is_silent(alpha, survey):
    silent = running(confirmed(alpha, survey), silent_for=timedelta(minutes=2))
    other = uploaded(alpha, survey, csv_bytes(GOOD_ROWS[:1]), name="other.csv")
    alive = running(other, silent_for=timedelta(seconds=5))

    assert survey_tasks.stop_stalled_imports() == 1

    assert ImportJob.objects.get(pk=silent.pk).status == ImportJob.Status.FAILED
    assert ImportJob.objects.get(pk=alive.pk).status == ImportJob.Status.RUNNING


# Reports ---------------------------------------------------------------------------------


def report_job(alpha, survey) -> ReportJob:
    return ReportJob.objects.create(survey=survey, requested_by=admin(alpha).user)


def test_a_report_whose_worker_stopped_says_so_and_offers_to_try_again(alpha, survey, login):
    job = running(report_job(alpha, survey), silent_for=timedelta(minutes=2))
    client = login(admin(alpha))
    url = reverse("survey_reports:job", args=[job.pk])

    state = page_json(client, url)
    assert state["status"] == "failed"
    assert state["error"] == "The work on this report stopped unexpectedly. You can try again."
    page = client.get(url).content.decode()
    assert "The work on this report stopped unexpectedly" in page and "Try again" in page
    assert '<div id="report-building" hidden>' in page


def test_the_beat_task_stops_only_reports_whose_worker_is_silent(alpha, survey):
    silent = running(report_job(alpha, survey), silent_for=timedelta(minutes=2))
    alive = running(report_job(alpha, survey), silent_for=timedelta(seconds=5))

    assert config_tasks.stop_stalled_reports() == 1

    assert ReportJob.objects.get(pk=silent.pk).status == ReportJob.Status.FAILED
    assert ReportJob.objects.get(pk=alive.pk).status == ReportJob.Status.RUNNING


# The heartbeat itself --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_job_alive_while_it_runs_and_not_after(alpha, survey, settings):
    settings.JOB_HEARTBEAT_SECONDS, settings.JOB_STALLED_AFTER_SECONDS = 0.05, 0.5
    job = running(report_job(alpha, survey), silent_for=timedelta(0))

    with heartbeat.Heartbeat(ReportJob, job.pk, job.started_at):
        time.sleep(1.2)
        assert config_tasks.stop_stalled_reports() == 0
    assert ReportJob.objects.get(pk=job.pk).status == ReportJob.Status.RUNNING

    time.sleep(0.6)
    assert config_tasks.stop_stalled_reports() == 1
