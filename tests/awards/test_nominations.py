"""Nominations of teams and people: who may nominate whom, the nominee's consent by the
emailed link (once), and withdrawal before judging."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from awards import nominations
from awards.models import Entry
from organisations.models import Role

from ..factories import member
from .conftest import move_cycle_to


@pytest.fixture
def open_cycle(cycle):
    return move_cycle_to(cycle, "nominations")


@pytest.fixture
def holder(make_holder):
    return make_holder("Harbour Homes")


def _nominate(membership, category, organisation, **changes):
    data = {
        "nominee_name": "Repairs Team",
        "nominee_email": "repairs@harbour.example",
        "statement": "Cut the wait for urgent repairs from five days to one.",
        "evidence": "Repairs log, April to March.",
        **changes,
    }
    return nominations.nomination_create(
        membership=membership, category=category, organisation=organisation, **data
    )


def _consent_link():
    body = mail.outbox[-1].body
    return re.search(r"https?://\S+(/awards/consent/\S+/)", body).group(1)


def test_an_administrator_nominates_a_team_and_the_nominee_is_asked_by_email(
    open_cycle, holder, login, django_capture_on_commit_callbacks
):
    client = login(holder.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("awards:nomination_new"),
            {
                "category": open_cycle.team.pk,
                "organisation": holder.organisation.pk,
                "nominee_name": "Repairs Team",
                "nominee_email": "repairs@harbour.example",
                "statement": "Cut the wait for urgent repairs.",
                "evidence": "",
            },
        )
    entry = Entry.objects.get()
    assert response.status_code == 302
    assert entry.status == Entry.Status.AWAITING_CONSENT
    assert mail.outbox[-1].to == ["repairs@harbour.example"]
    page = client.get(reverse("awards:nominations")).content.decode()
    assert "Repairs Team" in page and "Waiting for the nominee" in page


def test_the_nominee_consents_once_and_the_nomination_is_submitted(
    open_cycle, holder, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = _nominate(holder.admin, open_cycle.team, holder.organisation)
    link = _consent_link()
    page = client.get(link)
    assert page.status_code == 200
    assert "Cut the wait for urgent repairs" in page.content.decode()

    response = client.post(link, {"answer": "consent"})
    assert "goes to the judges" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SUBMITTED and entry.consented_at

    again = client.post(link, {"answer": "refuse"})
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SUBMITTED
    assert "You agreed to this nomination" in again.content.decode()


def test_a_nominee_who_refuses_ends_the_nomination(open_cycle, holder, client):
    entry = _nominate(holder.admin, open_cycle.individual, holder.organisation)
    client.post(reverse("awards:consent", args=[entry.consent_token]), {"answer": "refuse"})
    entry.refresh_from_db()
    assert entry.status == Entry.Status.DECLINED
    with pytest.raises(ValidationError):
        nominations.nomination_answer(token=entry.consent_token, consent=True)


def test_the_consent_page_wants_an_answer_and_an_unknown_token_is_not_found(
    open_cycle, holder, client
):
    entry = _nominate(holder.admin, open_cycle.team, holder.organisation)
    response = client.post(reverse("awards:consent", args=[entry.consent_token]), {})
    assert "Say whether you agree to be nominated" in response.content.decode()
    assert client.get(reverse("awards:consent", args=["no-such-token"])).status_code == 404


def test_a_certification_body_nominates_a_holder_it_certifies_only(
    open_cycle, holder, make_holder, certification_body
):
    manager = member(certification_body, Role.CB_MANAGER, email="manager@heron.example")
    entry = _nominate(manager, open_cycle.team, holder.organisation)
    assert entry.nominated_by == manager
    assert nominations.nominations_visible_to(manager).filter(pk=entry.pk).exists()

    other_body = make_holder("Other Body Homes").certificate
    other_body.certification_body = holder.organisation  # any other body
    other_body.save()
    with pytest.raises(ValidationError):
        _nominate(manager, open_cycle.team, other_body.holder)


def test_only_current_holders_are_nominated_and_only_in_team_or_individual_categories(
    open_cycle, holder, make_holder
):
    suspended = make_holder("Paused Homes", status="suspended")
    with pytest.raises(ValidationError):
        _nominate(suspended.admin, open_cycle.team, suspended.organisation)
    with pytest.raises(ValidationError):
        _nominate(holder.admin, open_cycle.best, holder.organisation)
    with pytest.raises(ValidationError):
        _nominate(holder.admin, open_cycle.team, suspended.organisation)


def test_nominations_outside_the_open_window_are_refused(cycle, holder):
    with pytest.raises(ValidationError):
        _nominate(holder.admin, cycle.team, holder.organisation)


def test_the_nominator_withdraws_before_judging_but_not_after(open_cycle, holder, login):
    entry = _nominate(holder.admin, open_cycle.team, holder.organisation)
    client = login(holder.admin)
    page = client.get(reverse("awards:nomination", args=[entry.pk])).content.decode()
    assert "Withdraw the nomination" in page
    client.post(reverse("awards:nomination_withdraw", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WITHDRAWN

    later = _nominate(holder.admin, open_cycle.team, holder.organisation)
    move_cycle_to(open_cycle, "judging")
    client.post(reverse("awards:nomination_withdraw", args=[later.pk]))
    later.refresh_from_db()
    assert later.status == Entry.Status.AWAITING_CONSENT


def test_another_organisation_does_not_see_a_nomination(open_cycle, holder, make_holder, login):
    entry = _nominate(holder.admin, open_cycle.team, holder.organisation)
    stranger = make_holder("Stranger Homes")
    client = login(stranger.admin)
    assert client.get(reverse("awards:nomination", args=[entry.pk])).status_code == 404
    assert client.post(reverse("awards:nomination_withdraw", args=[entry.pk])).status_code == 404
    assert "Repairs Team" not in client.get(reverse("awards:nominations")).content.decode()


def test_an_editor_cannot_nominate(open_cycle, holder, login):
    editor = member(holder.organisation, Role.APPLICANT_EDITOR, email="editor@harbour.example")
    assert login(editor).get(reverse("awards:nomination_new")).status_code == 404
