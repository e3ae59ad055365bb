"""Each person's notifications: the list and the header's count, marking them read, and
the email outbox that sends each one once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from organisations import notifications
from organisations.models import Notification, Role
from organisations.notifications import NewNotification, notifications_add, notifications_send


def notify(membership, key, subject="A message", link="/register/check/?number=CV-1"):
    notifications_add(
        [
            NewNotification(
                membership.user_id,
                membership.organisation_id,
                key,
                subject,
                f"The body of {subject.lower()}.",
                link,
            )
        ]
    )
    return Notification.objects.get(recipient=membership.user, key=key)


@pytest.fixture
def admin(alpha):
    return alpha[Role.APPLICANT_ADMIN]


def test_adding_the_same_notification_twice_stores_it_once(admin):
    notify(admin, "once", "First")
    notify(admin, "once", "Second")
    assert list(Notification.objects.values_list("subject", flat=True)) == ["First"]


def test_the_list_shows_my_notifications_unread_first(admin, alpha, login):
    read = notify(admin, "old", "Review due in 90 days")
    notifications.notification_mark_read(user=admin.user, notification=read)
    notify(admin, "new", "Review due in 30 days")
    notify(alpha[Role.APPLICANT_EDITOR], "theirs", "Someone else's message")
    page = login(admin).get(reverse("notifications:list")).content.decode()
    assert page.index("Review due in 30 days") < page.index("Review due in 90 days")
    assert "Someone else&#x27;s message" not in page and "Someone else's message" not in page
    assert page.count(">Unread</strong>") == 1


def test_the_header_counts_my_unread_notifications(admin, login):
    notify(admin, "one")
    notify(admin, "two")
    page = login(admin).get(reverse("home")).content.decode()
    assert "Notifications (2" in page
    Notification.objects.update(read_at=timezone.now())
    page = login(admin).get(reverse("home")).content.decode()
    assert "Notifications</a>" in page and "Notifications (" not in page


def test_marking_one_as_read_leaves_the_others_unread(admin, login):
    first, second = notify(admin, "a"), notify(admin, "b")
    client = login(admin)
    response = client.post(reverse("notifications:read", args=[first.pk]), {"page": "1"})
    assert response.status_code == 302
    assert response.url == reverse("notifications:list") + "?page=1"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_marking_all_as_read(admin, login):
    notify(admin, "a")
    notify(admin, "b")
    login(admin).post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(read_at=None).exists()


def test_marking_another_persons_notification_is_not_found(admin, alpha, login):
    theirs = notify(alpha[Role.APPLICANT_EDITOR], "theirs")
    client = login(admin)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    client.post(reverse("notifications:read_all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_list_needs_a_sign_in(client, db):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_each_notification_is_emailed_once(admin, settings):
    settings.SITE_URL = "https://customervoice.example"
    notify(admin, "a", "Review due in 7 days")
    notify(admin, "b", "Review overdue")
    assert notifications_send() == 2
    assert notifications_send() == 0
    assert sorted(m.subject for m in mail.outbox) == ["Review due in 7 days", "Review overdue"]
    message = next(m for m in mail.outbox if m.subject == "Review overdue")
    assert message.to == [admin.user.email]
    assert "The body of review overdue." in message.body
    assert "https://customervoice.example/register/check/?number=CV-1" in message.body
    assert not Notification.objects.filter(emailed_at=None).exists()


def test_a_claim_left_by_a_worker_that_died_is_sent_later(admin):
    notification = notify(admin, "a")
    # Claimed a minute ago by a worker still at work: not taken again.
    Notification.objects.update(email_claimed_at=timezone.now() - timedelta(minutes=1))
    assert notifications_send() == 0
    # Claimed long ago by a worker that died before sending: sent now.
    Notification.objects.update(email_claimed_at=timezone.now() - timedelta(minutes=11))
    assert notifications_send() == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_an_email_that_fails_stays_claimed_to_be_tried_again(admin, monkeypatch):
    notification = notify(admin, "a")

    def refuse(self, messages):
        raise OSError("mail server away")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    assert notifications_send() == 0
    notification.refresh_from_db()
    assert notification.emailed_at is None and notification.email_claimed_at is not None


def test_people_whose_account_is_closed_are_not_emailed(admin):
    notify(admin, "a")
    admin.user.is_active = False
    admin.user.save()
    assert notifications_send() == 0
    assert mail.outbox == []
