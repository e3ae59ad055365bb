"""The daily review sweep: reminders on the standard's days, escalation, suspension, lapse
and expiry, each notice sent once however often the sweep runs, and nothing lost when it
dies; notices sent before reminder days were the standard's are kept."""

import datetime
import multiprocessing
import os
import signal
import time

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from certification import decisions, reminders, tasks
from certification.models import Application, Certificate, CertificateEvent, Notice
from organisations.models import Notification, Role
from standard.models import Standard

from ..factories import member
from .conftest import certify, record_all_findings

TODAY = datetime.date.today()
Stage = Notice.Stage
OVERDUE = (Stage.OVERDUE, 0)
SUSPENDED = (Stage.SUSPENDED, 0)
EXPIRED = (Stage.EXPIRED, 0)


def reminder(days):
    return (Stage.REMINDER, days)


@pytest.fixture
def certificate(alpha):
    """Alpha's certificate, made directly: faster than the conftest fixture of the same
    name, which walks an engagement to it (that path is tested in test_path.py). Its
    certification body has a second manager, as there."""
    member(alpha.certification_body, Role.CB_MANAGER, email="deputy@alpha.example")
    standard = Standard.objects.create(
        version="test", title="Test standard", summary="For tests.", content_hash="0" * 64
    )
    application = Application.objects.create(
        applicant=alpha.applicant,
        certification_body=alpha.certification_body,
        status=Application.Status.ACCEPTED,
        submitted_by=alpha[Role.APPLICANT_ADMIN].user,
    )
    return Certificate.objects.create(
        number="CV-2026-000001",
        holder=alpha.applicant,
        certification_body=alpha.certification_body,
        application=application,
        holder_name=alpha.applicant.name,
        scope=f"The whole of {alpha.applicant.name}",
        standard=standard,
        original_issue_date=TODAY,
        issue_date=TODAY,
        next_review_due=TODAY + relativedelta(years=1),
        cycle_expires=TODAY + relativedelta(years=3),
        status_changed_on=TODAY,
    )


def due_in(certificate, days):
    certificate.next_review_due = TODAY + datetime.timedelta(days=days)
    certificate.save(update_fields=["next_review_due"])
    return certificate


def clone(certificate, dues):
    """Copies of a real certificate, one per review date, made in one go."""
    fields = [f for f in Certificate._meta.concrete_fields if not f.primary_key]
    copies = []
    for n, due in enumerate(dues):
        copy = Certificate(**{f.attname: getattr(certificate, f.attname) for f in fields})
        copy.number = f"CV-TEST-{n:06d}"
        copy.next_review_due = due
        copies.append(copy)
    Certificate.objects.bulk_create(copies, batch_size=1000)
    return Certificate.objects.exclude(pk=certificate.pk)


def stages(certificate):
    """The notices sent about the certificate: (stage, days before the review)."""
    return sorted(certificate.notices.values_list("stage", "days_before"))


@pytest.fixture
def no_pdfs(monkeypatch):
    """The certificate PDF is built by its own task; these tests count the requests."""
    queued = []
    monkeypatch.setattr(tasks.build_certificate_pdf, "delay", queued.append)
    return queued


@pytest.mark.parametrize(
    "days, stage",
    [
        (91, None),
        (90, reminder(90)),
        (31, reminder(90)),
        (30, reminder(30)),
        (8, reminder(30)),
        (7, reminder(7)),
        (0, reminder(7)),
        (-1, OVERDUE),
        (-30, OVERDUE),
        (-31, SUSPENDED),
    ],
)
def test_it_chooses_the_stage_by_the_days_left(certificate, days, stage):
    due_in(certificate, days)
    reminders.review_sweep()
    assert stages(certificate) == ([stage] if stage else [])


def test_it_sends_only_the_most_relevant_reminder(certificate):
    due_in(certificate, 5)
    counts = reminders.review_sweep()
    assert stages(certificate) == [reminder(7)]
    assert counts["reminder_7"] == 1 and counts["reminder_90"] == counts["reminder_30"] == 0


def test_it_tells_the_holders_administrators_and_the_bodys_managers(certificate, alpha):
    due_in(certificate, 30)
    counts = reminders.review_sweep()
    people = set(Notification.objects.values_list("recipient__email", flat=True))
    assert people == {
        alpha[Role.APPLICANT_ADMIN].user.email,
        alpha[Role.CB_MANAGER].user.email,
        "deputy@alpha.example",
    }
    assert counts["notifications"] == 3
    notification = Notification.objects.get(recipient=alpha[Role.APPLICANT_ADMIN].user)
    number = certificate.number
    assert notification.subject == f"Annual review of certificate {number} due in 30 days"
    assert "Alpha Borough Council's certificate" in notification.body
    assert notification.link == f"/register/check/?number={certificate.number}"
    assert notification.organisation == alpha.applicant
    event = certificate.events.get(kind=CertificateEvent.Kind.REMINDED)
    assert event.status_after == Certificate.Status.ACTIVE


def test_running_it_twice_sends_each_notification_once(certificate):
    due_in(certificate, 7)
    first = reminders.review_sweep()
    second = reminders.review_sweep()
    assert first["reminder_7"] == 1 and first["notifications"] == 3
    assert set(second.values()) == {0}
    assert Notice.objects.count() == 1
    assert Notification.objects.count() == 3
    assert certificate.events.filter(kind=CertificateEvent.Kind.REMINDED).count() == 1


def test_a_renewed_certificate_is_reminded_again_for_its_new_date(certificate):
    due_in(certificate, 20)
    reminders.review_sweep()
    # The review passed: the next one is due a year on, and its reminders start again.
    new_due = certificate.next_review_due + relativedelta(years=1)
    certificate.next_review_due = new_due
    certificate.save(update_fields=["next_review_due"])
    reminders.review_sweep(today=new_due - datetime.timedelta(days=80))
    reminders.review_sweep(today=new_due - datetime.timedelta(days=20))
    notices = certificate.notices.order_by("review_due", "days_before")
    dues = list(notices.values_list("days_before", "review_due"))
    assert dues == [
        (30, TODAY + datetime.timedelta(days=20)),
        (30, new_due),
        (90, new_due),
    ]
    assert Notification.objects.count() == 9


def test_an_overdue_review_is_escalated_to_the_scheme_unit(certificate, scheme):
    due_in(certificate, -3)
    reminders.review_sweep()
    admin = scheme[Role.SCHEME_ADMIN].user
    notification = Notification.objects.get(recipient=admin)
    assert notification.subject == f"Annual review of certificate {certificate.number} is overdue"
    assert not Notification.objects.filter(recipient=scheme[Role.SCHEME_ANALYST].user).exists()
    assert Notification.objects.count() == 4
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE
    assert certificate.events.filter(kind=CertificateEvent.Kind.ESCALATED).count() == 1


def test_it_suspends_after_the_grace_period(
    certificate, scheme, no_pdfs, django_capture_on_commit_callbacks
):
    due_in(certificate, -31)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.review_sweep()
    version = certificate.version
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.SUSPENDED
    assert certificate.status_changed_on == TODAY
    assert certificate.version == version + 1
    assert no_pdfs == [certificate.pk]  # its PDF is built again, saying so
    assert not certificate.may_display_mark
    event = certificate.events.get(kind=CertificateEvent.Kind.SUSPENDED)
    assert event.status_after == Certificate.Status.SUSPENDED and event.decision is None
    subjects = set(Notification.objects.values_list("subject", flat=True))
    assert subjects == {f"Certificate {certificate.number} is suspended"}
    assert Notification.objects.filter(recipient=scheme[Role.SCHEME_ADMIN].user).exists()


def test_the_grace_period_is_the_standards(certificate):
    standard = certificate.standard
    standard.review_grace_days = 10
    standard.save(update_fields=["review_grace_days"])
    due_in(certificate, -10)
    reminders.review_sweep()
    assert stages(certificate) == [OVERDUE]
    due_in(certificate, -11)
    reminders.review_sweep()
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.SUSPENDED


def remind_on(standard, days):
    standard.reminder_days = days
    standard.save(update_fields=["reminder_days"])


def test_the_reminder_days_are_the_standards(certificate):
    remind_on(certificate.standard, [60, 14])
    due = certificate.next_review_due
    for days in (90, 61, 60, 30, 15, 14, 7, 0):
        reminders.review_sweep(today=due - datetime.timedelta(days=days))
    assert stages(certificate) == [reminder(14), reminder(60)]
    assert Notification.objects.count() == 6
    subjects = set(Notification.objects.values_list("subject", flat=True))
    assert subjects == {
        f"Annual review of certificate {certificate.number} due in 60 days",
        f"Annual review of certificate {certificate.number} due in 14 days",
    }


@pytest.mark.parametrize(
    "days, sent",
    [
        (61, []),
        (60, [reminder(60)]),
        (15, [reminder(60)]),
        (14, [reminder(14)]),
        (0, [reminder(14)]),
    ],
)
def test_a_reminder_covers_the_days_down_to_the_next_one(certificate, days, sent):
    remind_on(certificate.standard, [60, 14])
    due_in(certificate, days)
    counts = reminders.review_sweep()
    assert stages(certificate) == sent
    assert counts.get("reminder_90", 0) == counts.get("reminder_30", 0) == 0


def test_each_certificate_is_reminded_on_its_own_standards_days(certificate):
    newer = Standard.objects.create(
        version="newer", title="Newer", summary="For tests.", content_hash="1" * 64
    )
    remind_on(newer, [60, 14])
    (copy,) = clone(certificate, [TODAY + datetime.timedelta(days=45)])
    copy.standard = newer
    copy.save(update_fields=["standard"])
    due_in(certificate, 45)
    counts = reminders.review_sweep()
    assert stages(certificate) == [reminder(90)]
    assert stages(copy) == [reminder(60)]
    assert counts["reminder_90"] == counts["reminder_60"] == 1
    assert counts["reminder_30"] == counts["reminder_14"] == counts["reminder_7"] == 0


def test_new_reminder_days_claim_each_notice_once(certificate):
    remind_on(certificate.standard, [60, 14])
    due_in(certificate, 10)
    clone(certificate, [TODAY + datetime.timedelta(days=n) for n in range(59)])
    first = reminders.review_sweep(batch_size=7)
    second = reminders.review_sweep(batch_size=7)
    assert (first["reminder_60"], first["reminder_14"]) == (44, 16)
    assert set(second.values()) == {0}
    _assert_each_notice_once(expected=60, recipients=3)


def test_the_body_plans_the_reviews_due_from_the_current_standards_first_reminder(
    certificate, alpha, login
):
    current = Standard.objects.create(
        version="2099",
        title="Current",
        summary="For tests.",
        content_hash="2" * 64,
        status=Standard.Status.PUBLISHED,
        published_on=TODAY,
    )
    remind_on(current, [60, 14])
    due_in(certificate, 45)
    clone(certificate, [TODAY + datetime.timedelta(days=75)])
    client = login(alpha[Role.CB_MANAGER])
    home = client.get(reverse("home")).content.decode()
    assert "Plan 1 annual review due in the next 60 days" in home
    index = client.get(reverse("certification:index")).content.decode()
    assert "you and the holder are reminded 60 and 14 days before" in index


def test_a_suspended_certificate_lapses_after_the_further_period(certificate):
    due_in(certificate, -31)
    reminders.review_sweep()
    months = certificate.standard.withdrawal_after_suspension_months
    lapse_day = TODAY + relativedelta(months=months)
    reminders.review_sweep(today=lapse_day)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.SUSPENDED
    reminders.review_sweep(today=lapse_day + datetime.timedelta(days=1))
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.LAPSED
    assert certificate.status_changed_on == lapse_day + datetime.timedelta(days=1)
    kinds = list(certificate.events.values_list("kind", flat=True))
    assert kinds[:2] == [CertificateEvent.Kind.LAPSED, CertificateEvent.Kind.SUSPENDED]
    assert Notification.objects.filter(subject__endswith="has lapsed").count() == 3


def test_a_certificate_suspended_by_its_body_does_not_lapse_by_the_sweep(engagement, body):
    record_all_findings(engagement, body)
    certificate = certify(engagement, body).certificate
    decisions.decision_on_certificate(
        membership=body.deputy, certificate=certificate, kind="suspend", reasons="Complaints."
    )
    reminders.review_sweep(today=TODAY + relativedelta(months=7))
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.SUSPENDED
    assert not certificate.notices.exists()


def test_a_certificate_whose_cycle_ended_expires(certificate):
    certificate.cycle_expires = TODAY - datetime.timedelta(days=1)
    certificate.save(update_fields=["cycle_expires"])
    reminders.review_sweep()
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.EXPIRED
    assert stages(certificate) == [EXPIRED]
    assert certificate.events.filter(kind=CertificateEvent.Kind.EXPIRED).count() == 1
    assert Notification.objects.filter(subject__endswith="has expired").count() == 3


def test_the_daily_task_emails_each_notification_once(certificate, alpha):
    due_in(certificate, 7)
    tasks.review_sweep.delay()
    tasks.review_sweep.delay()
    assert len(mail.outbox) == 3
    to_admin = next(m for m in mail.outbox if m.to == [alpha[Role.APPLICANT_ADMIN].user.email])
    assert to_admin.subject == f"Annual review of certificate {certificate.number} due in 7 days"
    assert f"/register/check/?number={certificate.number}" in to_admin.body
    assert not Notification.objects.filter(emailed_at=None).exists()


def test_a_sweep_that_fails_mid_batch_loses_and_doubles_nothing(certificate, monkeypatch):
    due_in(certificate, 3)
    # 60 certificates, each due for a reminder: 9 for the 7-day one, the rest later.
    clone(certificate, [TODAY + datetime.timedelta(days=n % 90) for n in range(59)])
    real_add = reminders.notifications_add
    calls = []

    def fail_on_the_third_batch(notifications):
        calls.append(len(notifications))
        if len(calls) == 3:
            raise RuntimeError("the worker fell over")
        return real_add(notifications)

    monkeypatch.setattr(reminders, "notifications_add", fail_on_the_third_batch)
    with pytest.raises(RuntimeError):
        reminders.review_sweep(batch_size=4)
    assert Notice.objects.count() == 8  # two batches committed, the third rolled back
    monkeypatch.setattr(reminders, "notifications_add", real_add)
    reminders.review_sweep(batch_size=4)
    reminders.review_sweep(batch_size=4)
    _assert_each_notice_once(expected=60, recipients=3)


def _assert_each_notice_once(*, expected, recipients):
    assert Notice.objects.count() == expected
    assert Notice.objects.values("certificate").distinct().count() == expected
    assert Notification.objects.count() == expected * recipients
    events = CertificateEvent.objects.exclude(kind=CertificateEvent.Kind.ISSUED)
    assert events.count() == expected


# Notices sent before reminder days were the standard's ------------------------------

MIGRATION = "notice_reminder_days_before"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _before_and_after():
    """The certification migration before this change, and every app's latest."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    (node,) = [n for n in graph.nodes if n[0] == "certification" and n[1].endswith(MIGRATION)]
    (before,) = [n.key for n in graph.node_map[node].parents if n.key[0] == "certification"]
    return [before], graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_reminders_already_sent_are_kept_and_not_sent_again(certificate):
    before, latest = _before_and_after()
    due_in(certificate, 20)
    earlier_review = certificate.next_review_due - datetime.timedelta(days=365)
    old = [
        ("due_90", certificate.next_review_due),
        ("due_30", certificate.next_review_due),
        ("due_7", earlier_review),
        ("overdue", earlier_review),
    ]
    try:
        apps = _migrate(before)
        OldNotice = apps.get_model("certification", "Notice")
        for stage, review_due in old:
            OldNotice.objects.create(
                certificate_id=certificate.pk, stage=stage, review_due=review_due
            )
    finally:
        _migrate(latest)

    kept = Notice.objects.values_list("stage", "days_before", "review_due")
    assert sorted(kept) == sorted(
        [
            (*reminder(90), certificate.next_review_due),
            (*reminder(30), certificate.next_review_due),
            (*reminder(7), earlier_review),
            (Notice.Stage.OVERDUE, 0, earlier_review),
        ]
    )
    assert set(reminders.review_sweep().values()) == {0}
    assert not Notification.objects.exists()

    try:
        apps = _migrate(before)
        back = apps.get_model("certification", "Notice").objects.values_list("stage", "review_due")
        assert sorted(back) == sorted(old)
    finally:
        _migrate(latest)


@pytest.mark.django_db(transaction=True)
def test_going_back_keeps_one_reminder_per_old_window(certificate):
    before, latest = _before_and_after()
    due = certificate.next_review_due
    for days in (60, 45, 14):
        Notice.objects.create(
            certificate=certificate, stage=Notice.Stage.REMINDER, days_before=days, review_due=due
        )
    try:
        apps = _migrate(before)
        back = apps.get_model("certification", "Notice").objects.values_list("stage", "review_due")
        assert sorted(back) == [("due_30", due), ("due_90", due)]
    finally:
        _migrate(latest)


def _sweep_slowly_in_a_child():
    """The child: a sweep whose batches each take a while, so that it is killed mid-way."""
    connections.close_all()
    real_handle = reminders._handle_batch

    def slow(*args, **kwargs):
        made = real_handle(*args, **kwargs)
        time.sleep(0.05)  # inside the batch's transaction
        return made

    reminders._handle_batch = slow
    reminders.review_sweep(batch_size=25)
    os._exit(0)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: a test's in-memory SQLite database cannot be shared with "
    "another process",
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_loses_and_doubles_nothing(certificate, scheme, no_pdfs):
    # 2,000 certificates at every stage, the review dates spread over 100 days either side.
    dues = [TODAY + datetime.timedelta(days=(n % 200) - 100) for n in range(1999)]
    clone(certificate, dues)
    due_in(certificate, 5)
    expected = Certificate.objects.filter(next_review_due__lte=TODAY + datetime.timedelta(days=90))
    expected = expected.count()
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(target=_sweep_slowly_in_a_child)
    child.start()
    deadline = time.monotonic() + 60
    while Notice.objects.count() < 100 and time.monotonic() < deadline and child.is_alive():
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    assert child.exitcode == -signal.SIGKILL, "the sweep ended before it could be killed"
    assert 0 < Notice.objects.count() < expected
    reminders.review_sweep()
    assert set(reminders.review_sweep().values()) == {0}
    assert Notice.objects.count() == expected
    escalating = Notice.objects.filter(stage__in=[Stage.OVERDUE, Stage.SUSPENDED]).count()
    # Holder's administrator and the body's two managers, and the scheme's administrator
    # when a stage escalates.
    assert Notification.objects.count() == expected * 3 + escalating
    assert Notification.objects.values("recipient", "key").distinct().count() == (
        Notification.objects.count()
    )
    events = CertificateEvent.objects.exclude(kind=CertificateEvent.Kind.ISSUED)
    assert events.count() == expected
    suspended = Certificate.objects.filter(status=Certificate.Status.SUSPENDED).count()
    assert suspended == Notice.objects.filter(stage=Stage.SUSPENDED).count() > 0
