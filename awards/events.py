"""Events where practice is shared: award ceremonies, sharing days and webinars. The
scheme unit creates and publishes them, optionally hosted by an organisation (a beacon,
say); anyone registers for an upcoming published event with a free place, and gets an
email with a link that cancels the registration."""

import csv
import datetime
import io
import secrets
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.csvsafe import neutralise
from organisations.models import Membership, Organisation, Role

from .models import AwardCycle, Event, Registration


def _require_scheme_admin(membership: Membership | None) -> None:
    if membership is None or membership.role != Role.SCHEME_ADMIN:
        raise PermissionDenied(_("Only scheme administrators manage events."))


@dataclass
class EventInput:
    kind: str
    title: str
    description: str
    starts_at: datetime.datetime
    location: str
    capacity: int
    host: Organisation | None = None
    cycle: AwardCycle | None = None


def _apply(event: Event, data: EventInput) -> Event:
    for name in ("kind", "starts_at", "capacity", "host", "cycle"):
        setattr(event, name, getattr(data, name))
    event.title = data.title.strip()
    event.description = data.description.strip()
    event.location = data.location.strip()
    if data.host is not None and data.host.kind != Organisation.Kind.APPLICANT:
        raise ValidationError({"host": _("Choose an applicant organisation as the host.")})
    if event.capacity < 1:
        raise ValidationError({"capacity": _("An event needs at least one place.")})
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def event_create(*, membership: Membership, data: EventInput) -> Event:
    """A new event, not yet published."""
    _require_scheme_admin(membership)
    return _apply(Event(), data)


@transaction.atomic
def event_update(*, membership: Membership, event: Event, data: EventInput) -> Event:
    _require_scheme_admin(membership)
    event = Event.objects.select_for_update().get(pk=event.pk)
    taken = event.registrations.filter(cancelled_at__isnull=True).count()
    if data.capacity < taken:
        raise ValidationError(
            {
                "capacity": _("%(count)s people have registered: keep at least that many places.")
                % {"count": taken}
            }
        )
    return _apply(event, data)


@transaction.atomic
def event_publish(*, membership: Membership, event: Event, published: bool) -> Event:
    """Show the event to the public, or take it down (registrations are kept)."""
    _require_scheme_admin(membership)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if published and event.starts_at <= timezone.now():
        raise ValidationError(_("This event has already started, so it cannot be published."))
    event.published = published
    event.save(update_fields=["published"])
    return event


# Registrations ------------------------------------------------------------------------


def _clean_registration(name: str, email: str) -> tuple[str, str]:
    name, email = name.strip(), email.strip().lower()
    errors = {}
    if not name:
        errors["name"] = _("Enter your full name.")
    if not email:
        errors["email"] = _("Enter your email address.")
    if errors:
        raise ValidationError(errors)
    return name, email


@transaction.atomic
def registration_create(
    *,
    event: Event,
    name: str,
    email: str,
    organisation_name: str = "",
    access_needs: str = "",
) -> Registration:
    """Register someone for an upcoming published event: refused when it is full or the
    email address is already registered. The event row is locked while places are
    counted, so two people never take the last place."""
    name, email = _clean_registration(name, email)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if not event.published or event.starts_at <= timezone.now():
        raise ValidationError(_("Registration for this event has closed."))
    live = event.registrations.filter(cancelled_at__isnull=True)
    if live.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("This email address is already registered for this event.")}
        )
    if live.count() >= event.capacity:
        raise ValidationError(_("This event is full: there are no places left."))
    registration = Registration(
        event=event,
        name=name,
        email=email,
        organisation_name=organisation_name.strip(),
        access_needs=access_needs.strip(),
        cancel_token=secrets.token_urlsafe(32),
    )
    registration.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:
        raise ValidationError(
            {"email": _("This email address is already registered for this event.")}
        ) from None
    language = translation.get_language()
    transaction.on_commit(lambda: send_registration_confirmation.delay(registration.pk, language))
    return registration


def registration_by_token(token: str) -> Registration | None:
    """The token is the secret in the confirmation email: anyone holding it may cancel."""
    return Registration.objects.select_related("event").filter(cancel_token=token).first()


@transaction.atomic
def registration_cancel(*, registration: Registration) -> Registration:
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.cancelled_at is None:
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["cancelled_at"])
    return registration


def cancel_url(registration: Registration) -> str:
    path = reverse("awards:registration_cancel", args=[registration.cancel_token])
    return settings.SITE_URL.rstrip("/") + path


def registration_confirmation_send(*, registration_id: int, language: str | None = None) -> None:
    """Email the confirmation with the cancel link; nothing for a cancelled registration."""
    registration = (
        Registration.objects.select_related("event__host")
        .filter(pk=registration_id, cancelled_at__isnull=True)
        .first()
    )
    if registration is None:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {
            "registration": registration,
            "event": registration.event,
            "cancel_url": cancel_url(registration),
        }
        send_mail(
            subject=_("You are registered: %(title)s") % {"title": registration.event.title},
            message=render_to_string("awards/event_registration_email.txt", context),
            from_email=None,
            recipient_list=[registration.email],
        )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_registration_confirmation(registration_id: int, language: str | None = None) -> None:
    registration_confirmation_send(registration_id=registration_id, language=language)


# Reads --------------------------------------------------------------------------------


def with_places(events: QuerySet) -> QuerySet:
    """Events with `registered`: the registrations not cancelled."""
    return events.annotate(
        registered=Count("registrations", filter=Q(registrations__cancelled_at__isnull=True))
    )


def upcoming_events() -> QuerySet:
    """Published events still to come: public, so this read is not scoped."""
    events = Event.objects.filter(published=True, starts_at__gt=timezone.now())
    return with_places(events).select_related("host").order_by("starts_at", "pk")


def public_event(pk: int) -> Event | None:
    return upcoming_events().filter(pk=pk).first()


def places_left(event: Event) -> int:
    registered = getattr(event, "registered", None)
    if registered is None:
        registered = event.registrations.filter(cancelled_at__isnull=True).count()
    return max(event.capacity - registered, 0)


def events_for_scheme() -> QuerySet:
    return with_places(Event.objects.select_related("host", "cycle")).order_by("-starts_at", "-pk")


def live_registrations(event: Event) -> QuerySet:
    return event.registrations.filter(cancelled_at__isnull=True).order_by("created_at", "pk")


def registrations_csv(event: Event) -> str:
    """Every registration, cancelled ones included, as CSV a spreadsheet will not run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Name"),
            _("Email address"),
            _("Organisation"),
            _("Access needs"),
            _("Registered"),
            _("Cancelled"),
        ]
    )
    for registration in event.registrations.order_by("created_at", "pk"):
        writer.writerow(
            neutralise(value)
            for value in (
                registration.name,
                registration.email,
                registration.organisation_name,
                registration.access_needs,
                timezone.localtime(registration.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(registration.cancelled_at).strftime("%Y-%m-%d %H:%M")
                if registration.cancelled_at
                else "",
            )
        )
    return buffer.getvalue()
