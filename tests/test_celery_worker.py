"""Runs a real Celery worker against Redis, as production does."""

import time

import pytest
from django.conf import settings
from django.core import mail

from config.celery import app as celery_app
from organisations.models import Role
from organisations.services import invitation_create

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real broker)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker():
    from celery.contrib.testing import tasks  # noqa: F401  (the ping task the check uses)
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=True, shutdown_timeout=10):
        yield


def test_a_worker_sends_the_invitation_email(alpha, worker):
    mail.outbox.clear()
    invitation_create(
        membership=alpha[Role.APPLICANT_ADMIN],
        email="worker-test@example.gov.uk",
        role=Role.APPLICANT_EDITOR,
    )
    deadline = time.monotonic() + 20
    while not any("worker-test@example.gov.uk" in m.to for m in mail.outbox):
        assert time.monotonic() < deadline, "the worker did not send the email within 20 s"
        time.sleep(0.1)
    assert "Alpha Borough Council" in mail.outbox[-1].subject
