from celery import shared_task

from . import notifications, services

# Rounds of `notifications.SEND_LIMIT` emails a run sends at most; the next run, five
# minutes later, carries on.
EMAIL_ROUNDS = 50


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation(invitation_id: int) -> None:
    services.invitation_send(invitation_id=invitation_id)


@shared_task
def send_notification_emails() -> int:
    """Every five minutes (Celery beat), and after the review sweep: the email outbox."""
    sent = 0
    for _round in range(EMAIL_ROUNDS):
        done = notifications.notifications_send()
        sent += done
        if done < notifications.SEND_LIMIT:
            break
    return sent
