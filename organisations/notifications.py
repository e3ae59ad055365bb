"""Notifications: a message for one person, listed on their notifications page and
emailed once through an outbox.

Whatever makes notifications (the certificate review sweep, for one) adds them with
`notifications_add`; each has a `key` unique for its recipient, so adding the same one
again does nothing. `notifications_send` then emails those not yet sent: it claims them
(in one short transaction it locks unsent rows nobody claimed in the last `CLAIM_EXPIRES`,
skipping rows another worker holds, and stamps them claimed), so two workers never take
the same one; sends them over one connection, and marks each sent as soon as it is.
Delivery is at least once: a worker that dies between sending one and marking it leaves
its claim to go stale, and that one is sent again after `CLAIM_EXPIRES`. An email sent
twice is better than one never sent.
"""

import json
import logging
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Notification, User

CLAIM_EXPIRES = timedelta(minutes=10)
SEND_LIMIT = 200

logger = logging.getLogger(__name__)


class NewNotification(NamedTuple):
    recipient_id: int
    organisation_id: int | None
    key: str
    subject: str
    body: str
    link: str = ""


@transaction.atomic
def notifications_add(notifications: list[NewNotification]) -> int:
    """Store new notifications; one whose recipient already has its key is skipped.
    Returns how many were stored. Set-based: the review sweep adds tens of thousands."""
    if not notifications:
        return 0
    meta = Notification._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    fields = [meta.get_field(name) for name in NewNotification._fields]
    created = meta.get_field("created_at")
    # get_field may give a reverse relation (no column); these are the table's own.
    columns = ", ".join(quote(field.column) for field in [*fields, created])  # type: ignore[union-attr, arg-type]
    conflict = "ON CONFLICT (recipient_id, key) DO NOTHING"
    now = created.get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement for the lot: the rows travel as one JSON array.
            values = ", ".join(
                f"(row->>{n})::{field.db_type(connection)}" for n, field in enumerate(fields)
            )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {values}, %s "
                f"FROM json_array_elements(%s::json) AS row {conflict}",
                [now, json.dumps(notifications)],
            )
            return cursor.rowcount
        placeholders = ", ".join(["%s"] * (len(fields) + 1))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) {conflict}",
            [(*row, now) for row in notifications],
        )
        return cursor.rowcount


def unread_count(user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@transaction.atomic
def notification_mark_read(*, user: User, notification: Notification) -> None:
    """Only the recipient marks a notification read (the view answers 404 to anyone else)."""
    Notification.objects.filter(pk=notification.pk, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _claim(limit: int) -> list[int]:
    """Take up to `limit` notifications not yet emailed, nor claimed by a worker in the
    last `CLAIM_EXPIRES`. Rows another worker is claiming at this moment are skipped."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - CLAIM_EXPIRES),
                emailed_at__isnull=True,
                recipient__is_active=True,
            )
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Notification.objects.filter(pk__in=ids).update(email_claimed_at=now)
    return ids


def _email(notification: Notification) -> EmailMessage:
    link = settings.SITE_URL.rstrip("/") + notification.link if notification.link else ""
    body = render_to_string(
        "organisations/email/notification.txt", {"notification": notification, "link": link}
    )
    return EmailMessage(subject=notification.subject, body=body, to=[notification.recipient.email])


def notifications_send(*, limit: int = SEND_LIMIT) -> int:
    """Email the notifications not yet sent, up to `limit`; returns how many were sent."""
    ids = _claim(limit)
    if not ids:
        return 0
    notifications = (
        Notification.objects.filter(pk__in=ids)
        .select_related("recipient")
        .order_by("created_at", "pk")
    )
    sent = 0
    # The recipient's language is unknown: emails are written in the site's own.
    with translation.override(settings.LANGUAGE_CODE), get_connection() as mail:
        for notification in notifications:
            try:
                mail.send_messages([_email(notification)])
            except OSError:  # smtplib's errors too
                # Left claimed: it is tried again once the claim is stale.
                logger.exception("Could not email notification %s", notification.pk)
                continue
            # Marked one by one, so a worker that dies sends again at most one email.
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
            sent += 1
    return sent
