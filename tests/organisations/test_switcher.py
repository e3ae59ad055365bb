"""A person in very many organisations: each request loads only the membership they act
for, and the switcher lists the others a page at a time."""

import pytest
from django.urls import reverse

from organisations.models import Membership, Organisation, Role

from ..factories import SectorFactory, member

MANY = 1500


@pytest.fixture
def busy_person(db):
    """An applicant editor in 1,500 organisations, named so that they sort by number."""
    sector = SectorFactory()
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"Council {n:04d}", kind=Organisation.Kind.APPLICANT, sector=sector)
        for n in range(MANY)
    )
    first = member(organisations[0], Role.APPLICANT_EDITOR)
    Membership.objects.bulk_create(
        Membership(user=first.user, organisation=organisation, role=Role.APPLICANT_EDITOR)
        for organisation in organisations[1:]
    )
    return first


@pytest.fixture
def memberships_loaded(monkeypatch):
    """Counts the Membership rows turned into objects."""
    loaded = []
    from_db = Membership.from_db.__func__

    def counting(cls, db, field_names, values):
        loaded.append(values)
        return from_db(cls, db, field_names, values)

    monkeypatch.setattr(Membership, "from_db", classmethod(counting))
    return loaded


def _acting_for(client, membership):
    client.force_login(membership.user)
    session = client.session
    session["active_membership_id"] = membership.pk
    session.save()
    return client


def test_a_page_loads_one_membership_however_many_a_person_has(
    client, busy_person, memberships_loaded, django_assert_max_num_queries
):
    _acting_for(client, busy_person)
    last = Membership.objects.filter(user=busy_person.user).order_by("-pk").first()
    for membership in (busy_person, last):
        session = client.session
        session["active_membership_id"] = membership.pk
        session.save()
        memberships_loaded.clear()
        with django_assert_max_num_queries(25):
            response = client.get(reverse("organisation_detail", args=[membership.organisation_id]))
        assert response.status_code == 200
        assert len(memberships_loaded) <= 2
        assert membership.organisation.name in response.content.decode()


def test_the_same_page_costs_the_same_for_one_membership_or_many(client, busy_person, alpha):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(membership):
        _acting_for(client, membership)
        client.get(reverse("home"))  # settle the session and caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    # One more query with several memberships: whether to show the switcher link.
    assert queries_for(busy_person) <= queries_for(alpha[Role.APPLICANT_EDITOR]) + 1


def test_the_header_names_the_acting_organisation_and_links_to_the_switcher(client, busy_person):
    body = _acting_for(client, busy_person).get(reverse("home")).content.decode()
    assert "Council 0000" in body
    assert "Council 1499" not in body
    assert reverse("switch") in body


def test_the_switcher_lists_memberships_a_page_at_a_time_and_switches(client, busy_person):
    _acting_for(client, busy_person)
    first_page = client.get(reverse("switch")).content.decode()
    assert "Council 0049" in first_page
    assert "Council 0050" not in first_page
    assert "Page 1 of 30" in first_page
    last_page = client.get(reverse("switch"), {"page": 30}).content.decode()
    assert "Council 1499" in last_page
    assert "Council 0001" not in last_page
    target = Membership.objects.get(user=busy_person.user, organisation__name="Council 1499")
    client.post(reverse("switch"), {"membership": target.pk})
    response = client.get(reverse("organisation_detail", args=[target.organisation_id]))
    assert response.status_code == 200


def test_a_person_in_one_organisation_sees_no_switcher(client, alpha):
    body = _acting_for(client, alpha[Role.APPLICANT_EDITOR]).get(reverse("home")).content.decode()
    assert reverse("switch") not in body
