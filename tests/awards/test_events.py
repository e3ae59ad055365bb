import csv
import datetime
import io
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from awards import events, views_public
from awards.models import Event, Registration
from organisations.models import Role


@pytest.fixture
def admin(scheme):
    return scheme[Role.SCHEME_ADMIN]


def _event(admin, *, capacity=2, published=True, days=14, title="Timeliness sharing day"):
    event = events.event_create(
        membership=admin,
        data=events.EventInput(
            kind=Event.Kind.SHARING_DAY,
            title=title,
            description="Beacons show how they answer quickly.",
            starts_at=timezone.now() + datetime.timedelta(days=days),
            location="Leeds Civic Hall",
            capacity=capacity,
        ),
    )
    if published:
        events.event_publish(membership=admin, event=event, published=True)
    return event


def _register(client, event, email="sam@example.org", name="Sam Patel"):
    return client.post(
        reverse("awards:event", args=[event.pk]),
        {"name": name, "email": email, "organisation_name": "Leeds Council", "access_needs": ""},
        follow=True,
    )


def test_the_scheme_unit_creates_and_publishes_an_event_the_public_then_sees(admin, login, client):
    scheme_client = login(admin)
    day = timezone.localdate() + datetime.timedelta(days=30)
    response = scheme_client.post(
        reverse("awards:event_create"),
        {
            "kind": "webinar",
            "title": "Answering within a day",
            "description": "A webinar by this year's winners.",
            "day_0": day.day,
            "day_1": day.month,
            "day_2": day.year,
            "time": "14:30",
            "location": "Online",
            "capacity": "100",
        },
        follow=True,
    )
    event = Event.objects.get()
    assert "Publish it when it is ready." in response.content.decode()
    form = scheme_client.get(reverse("awards:event_create")).content.decode()
    capacity = re.search(r'<input[^>]*name="capacity"[^>]*>', form).group(0)
    assert 'class="govuk-input govuk-input--width-10"' in capacity
    assert 'inputmode="numeric"' in capacity
    assert timezone.localtime(event.starts_at).strftime("%H:%M") == "14:30"
    client.logout()
    assert "Answering within a day" not in client.get(reverse("awards:events")).content.decode()
    assert client.get(reverse("awards:event", args=[event.pk])).status_code == 404

    login(admin).post(reverse("awards:event_manage", args=[event.pk]), {"published": "1"})

    client.logout()
    assert "Answering within a day" in client.get(reverse("awards:events")).content.decode()
    assert client.get(reverse("awards:event", args=[event.pk])).status_code == 200


def test_an_event_in_the_past_cannot_be_created(admin, login):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = login(admin).post(
        reverse("awards:event_create"),
        {
            "kind": "ceremony",
            "title": "Too late",
            "description": "Gone.",
            "day_0": yesterday.day,
            "day_1": yesterday.month,
            "day_2": yesterday.year,
            "time": "10:00",
            "location": "London",
            "capacity": "10",
        },
    )
    assert "The event must start in the future." in response.content.decode()
    assert not Event.objects.exists()


def test_registering_sends_a_confirmation_whose_link_cancels(
    admin, client, django_capture_on_commit_callbacks
):
    event = _event(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = _register(client, event)

    assert "You are registered" in response.content.decode()
    registration = Registration.objects.get()
    assert registration.organisation_name == "Leeds Council"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sam@example.org"]
    link = re.search(r"https?://\S+/awards/events/cancel/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    confirm = client.get(f"/{path}")
    assert "Cancel my registration" in confirm.content.decode()
    cancelled = client.post(f"/{path}", follow=True)

    assert "Your registration is cancelled" in cancelled.content.decode()
    registration.refresh_from_db()
    assert registration.cancelled_at is not None
    # The place is free again, and the same address may register anew.
    assert "You are registered" in _register(client, event).content.decode()


def test_the_same_email_cannot_register_twice(admin, client):
    event = _event(admin)
    _register(client, event, email="sam@example.org")

    again = _register(client, event, email="SAM@example.org ")

    assert "This email address is already registered for this event." in again.content.decode()
    assert Registration.objects.count() == 1


def test_a_full_event_refuses_registrations(admin, client):
    event = _event(admin, capacity=1)
    _register(client, event, email="first@example.org")

    page = client.get(reverse("awards:event", args=[event.pk])).content.decode()
    assert "This event is full" in page
    assert 'name="email"' not in page
    with pytest.raises(ValidationError, match="This event is full"):
        events.registration_create(event=event, name="Late", email="late@example.org")
    listing = client.get(reverse("awards:events")).content.decode()
    assert "Full" in listing


def test_registrations_are_rate_limited(admin, client, monkeypatch):
    monkeypatch.setattr(views_public, "REGISTRATION_RATE", "2/h")
    event = _event(admin, capacity=10)
    for n in range(2):
        _register(client, event, email=f"person{n}@example.org")

    response = _register(client, event, email="third@example.org")

    assert response.status_code == 429
    assert Registration.objects.count() == 2


def test_unpublished_and_past_events_take_no_registrations(admin, client):
    hidden = _event(admin, published=False)
    assert client.get(reverse("awards:event", args=[hidden.pk])).status_code == 404
    assert _register(client, hidden).status_code == 404
    with pytest.raises(ValidationError, match="closed"):
        events.registration_create(event=hidden, name="Sam", email="sam@example.org")

    past = _event(admin)
    Event.objects.filter(pk=past.pk).update(starts_at=timezone.now() - datetime.timedelta(hours=1))
    assert "Timeliness sharing day" not in client.get(reverse("awards:events")).content.decode()
    assert client.get(reverse("awards:event", args=[past.pk])).status_code == 404


def test_an_unknown_cancel_link_is_not_found(client, db):
    assert client.get(reverse("awards:registration_cancel", args=["nope"])).status_code == 404


def test_the_scheme_unit_sees_registrations_and_downloads_them_safely(admin, scheme, login, client):
    event = _event(admin, capacity=5)
    _register(client, event, email="sam@example.org", name="=HYPERLINK(1)")
    _register(client, event, email="jo@example.org", name="Jo Bloggs")

    analyst = login(scheme[Role.SCHEME_ANALYST])
    page = analyst.get(reverse("awards:event_manage", args=[event.pk])).content.decode()
    assert "jo@example.org" in page
    assert "2 of 5 taken, 3 left" in page
    download = analyst.get(reverse("awards:event_registrations_csv", args=[event.pk]))

    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0][:2] == ["Name", "Email address"]
    assert ["'=HYPERLINK(1)", "sam@example.org"] == rows[1][:2]
    assert rows[2][:2] == ["Jo Bloggs", "jo@example.org"]


def test_capacity_cannot_drop_below_those_registered(admin, client):
    event = _event(admin, capacity=3)
    _register(client, event, email="a@example.org")
    _register(client, event, email="b@example.org")
    data = events.EventInput(
        kind=event.kind,
        title=event.title,
        description=event.description,
        starts_at=event.starts_at,
        location=event.location,
        capacity=1,
    )
    with pytest.raises(ValidationError):
        events.event_update(membership=admin, event=event, data=data)


def test_only_the_scheme_unit_manages_events(admin, scheme, make_holder, login):
    event = _event(admin)
    analyst = scheme[Role.SCHEME_ANALYST]
    with pytest.raises(PermissionDenied):
        events.event_publish(membership=analyst, event=event, published=False)
    assert login(analyst).get(reverse("awards:event_create")).status_code == 403
    holder = make_holder("Leader Homes")
    outsider = login(holder.admin)
    for name in ("awards:event_manage", "awards:event_edit", "awards:event_registrations_csv"):
        assert outsider.get(reverse(name, args=[event.pk])).status_code == 404
    assert outsider.get(reverse("awards:event_admin")).status_code == 404


def test_a_hosted_event_names_its_host(admin, make_holder, client):
    host = make_holder("Leader Homes").organisation
    event = _event(admin)
    events.event_update(
        membership=admin,
        event=event,
        data=events.EventInput(
            kind=event.kind,
            title=event.title,
            description=event.description,
            starts_at=event.starts_at,
            location=event.location,
            capacity=event.capacity,
            host=host,
        ),
    )
    assert "hosted by Leader Homes" in client.get(reverse("awards:events")).content.decode()


def test_the_scheme_pages_list_events_and_change_one(admin, login):
    event = _event(admin, capacity=7)
    scheme_client = login(admin)

    listing = scheme_client.get(reverse("awards:event_admin")).content.decode()
    form = scheme_client.get(reverse("awards:event_edit", args=[event.pk])).content.decode()

    assert "Timeliness sharing day" in listing
    assert "Published" in listing
    assert 'value="Leeds Civic Hall"' in form
    day = timezone.localtime(event.starts_at)
    response = scheme_client.post(
        reverse("awards:event_edit", args=[event.pk]),
        {
            "kind": "sharing_day",
            "title": "Timeliness sharing day, moved",
            "description": "Beacons show how they answer quickly.",
            "day_0": day.day,
            "day_1": day.month,
            "day_2": day.year,
            "time": "09:30",
            "location": "Leeds Civic Hall",
            "capacity": "12",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.capacity) == ("Timeliness sharing day, moved", 12)
