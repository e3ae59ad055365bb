"""Saving a finding locks the finding and its engagement, never the standard or the body
that other engagements share: two assessors at work on two engagements never wait for
each other, and never deadlock."""

import re
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from certification import services
from certification.models import Finding
from organisations.models import Role

from ..factories import SiteFactory, member
from .conftest import open_engagement

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


def _save(finding, body, notes):
    return services.finding_save(
        membership=body.lead,
        finding=finding,
        expected_version=finding.version,
        data=services.FindingInput(rating="compliant", notes=notes),
    )


def _second_engagement(alpha, body):
    """The unit applies to the same body under the same standard as its headquarters."""
    SiteFactory(organisation=alpha.unit, name="Alpha Unit Office", is_central_function=True)
    admin = member(alpha.unit, Role.APPLICANT_ADMIN, email="unit-admin@alpha.example")
    submitted = services.application_submit(
        membership=admin, applicant=alpha.unit, certification_body=alpha.certification_body
    )
    application = services.application_answer(
        membership=body.manager, application=submitted, accept=True
    )
    return open_engagement(application, body)


@pytest.mark.django_db(transaction=True)
def test_two_engagements_sharing_a_standard_save_findings_at_once(alpha, body, application):
    first = open_engagement(application, body)
    second = _second_engagement(alpha, body)
    assert first.standard_id == second.standard_id
    holding, release = threading.Event(), threading.Event()
    errors = []

    def hold_a_save_open():
        try:
            with transaction.atomic():
                _save(first.findings.first(), body, "Seen at the civic centre")
                holding.set()
                release.wait(timeout=30)
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(error)
            holding.set()
        finally:
            connections.close_all()

    worker = threading.Thread(target=hold_a_save_open)
    worker.start()
    try:
        assert holding.wait(timeout=30)
        with transaction.atomic():
            # Waiting for a lock the other save holds fails at once instead of hanging.
            connection.cursor().execute("SET LOCAL lock_timeout = '3s'")
            _save(second.findings.first(), body, "Seen at the unit office")
    finally:
        release.set()
        worker.join(timeout=30)
    assert not errors
    assert Finding.objects.filter(notes="Seen at the civic centre").count() == 1
    assert Finding.objects.filter(notes="Seen at the unit office").count() == 1


@pytest.mark.django_db
def test_a_finding_save_locks_only_the_finding_and_its_engagement(body, application):
    engagement = open_engagement(application, body)
    with CaptureQueriesContext(connection) as captured:
        _save(engagement.findings.first(), body, "Seen at reception")
    locked = [
        re.search(r"FOR UPDATE(.*)$", query["sql"]).group(1).strip()
        for query in captured.captured_queries
        if "FOR UPDATE" in query["sql"]
    ]
    assert locked == ['OF "certification_finding"', 'OF "certification_engagement"']
