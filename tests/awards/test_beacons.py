import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from awards import beacons
from awards.models import Beacon, CaseStudy, Entry, Event, Result
from organisations.models import Role

BEFORE, AFTER = datetime.date(2025, 3, 3), datetime.date(2026, 3, 3)


@pytest.fixture
def codes(timeliness):
    return list(timeliness.elements.order_by("position").values_list("code", flat=True))


@pytest.fixture
def leader(make_holder, codes):
    """Compliance plus on two Timeliness elements in its latest decided assessment."""
    plus = dict.fromkeys(codes[:2], "compliance_plus")
    return make_holder(
        "Leader Homes",
        assessments=[(BEFORE, {"*": "compliant"}), (AFTER, {"*": "compliant", **plus})],
    )


@pytest.fixture
def admin(scheme):
    return scheme[Role.SCHEME_ADMIN]


def _designate(admin, holder, criterion, **changes):
    values = {"reason": "Answers within a day, and shows others how.", **changes}
    return beacons.beacon_designate(
        membership=admin, organisation=holder.organisation, criterion=criterion, **values
    )


def test_a_holder_with_compliance_plus_on_the_criterion_is_designated_for_two_years(
    admin, leader, timeliness, codes
):
    beacon, grounds = _designate(admin, leader, timeliness)

    assert beacon.starts_on == timezone.localdate()
    assert beacon.ends_on == beacons.years_later(beacon.starts_on, 2)
    assert beacon.result is None
    assert f"compliance plus on {codes[0]}, {codes[1]}" in grounds.describe()


def test_the_page_designates_and_says_on_what_grounds(admin, leader, timeliness, codes, login):
    client = login(admin)
    response = client.post(
        reverse("awards:beacon_designate"),
        {
            "organisation": leader.organisation.pk,
            "criterion": timeliness.pk,
            "reason": "A model of prompt answers.",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Leader Homes is a beacon for" in page
    assert f"compliance plus on {codes[0]}" in page
    assert Beacon.objects.filter(organisation=leader.organisation).count() == 1


def test_a_holder_without_grounds_is_refused_with_the_reason(admin, make_holder, timeliness, login):
    steady = make_holder("Steady Housing", assessments=[(AFTER, {"*": "compliant"})])
    with pytest.raises(ValidationError, match="has not won a published award"):
        _designate(admin, steady, timeliness)

    response = login(admin).post(
        reverse("awards:beacon_designate"),
        {"organisation": steady.organisation.pk, "criterion": timeliness.pk, "reason": "Good."},
    )
    assert "has not won a published award" in response.content.decode()
    assert not Beacon.objects.exists()


def test_compliance_plus_only_in_an_earlier_assessment_does_not_count(
    admin, make_holder, timeliness, codes
):
    faded = make_holder(
        "Faded Homes",
        assessments=[(BEFORE, {"*": "compliance_plus"}), (AFTER, {"*": "compliant"})],
    )
    with pytest.raises(ValidationError):
        _designate(admin, faded, timeliness)


def test_compliance_plus_on_another_criterion_does_not_count(admin, leader, standard):
    delivery = standard.criteria.get(slug="delivery")
    with pytest.raises(ValidationError):
        _designate(admin, leader, delivery)


def test_a_suspended_holder_is_not_a_beacon_on_compliance_plus(admin, make_holder, timeliness):
    suspended = make_holder(
        "Suspended Homes", assessments=[(AFTER, {"*": "compliance_plus"})], status="suspended"
    )
    with pytest.raises(ValidationError):
        _designate(admin, suspended, timeliness)


def _published_win(cycle, holder, admin):
    entry = Entry.objects.create(
        category=cycle.best,
        organisation=holder.organisation,
        source=Entry.Source.EVIDENCE,
        status=Entry.Status.SUBMITTED,
    )
    result = Result.objects.create(
        category=cycle.best,
        entry=entry,
        place=Result.Place.WINNER,
        reasons="The fastest answers in housing.",
        recorded_by=admin,
    )
    cycle.published_at = timezone.now()
    cycle.save(update_fields=["published_at"])
    return result


def test_a_published_win_on_the_criterion_makes_a_beacon(admin, make_holder, cycle, timeliness):
    winner = make_holder("Winner Homes", assessments=[(AFTER, {"*": "compliant"})])
    result = _published_win(cycle, winner, admin)

    beacon, grounds = _designate(admin, winner, timeliness)

    assert beacon.result == result
    assert "Winner in" in grounds.describe()


def test_a_win_not_yet_published_does_not_count(admin, make_holder, cycle, timeliness):
    winner = make_holder("Winner Homes", assessments=[(AFTER, {"*": "compliant"})])
    _published_win(cycle, winner, admin)
    cycle.published_at = None
    cycle.save(update_fields=["published_at"])

    with pytest.raises(ValidationError):
        _designate(admin, winner, timeliness)


def test_a_second_overlapping_designation_is_refused(admin, leader, timeliness):
    _designate(admin, leader, timeliness)
    with pytest.raises(ValidationError, match="already a beacon"):
        _designate(admin, leader, timeliness)


def test_the_period_must_end_after_it_starts(admin, leader, timeliness):
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        _designate(admin, leader, timeliness, starts_on=today, ends_on=today)


def test_only_scheme_administrators_designate_and_end(scheme, leader, timeliness, login):
    analyst = scheme[Role.SCHEME_ANALYST]
    with pytest.raises(PermissionDenied):
        _designate(analyst, leader, timeliness)
    assert login(analyst).get(reverse("awards:beacon_designate")).status_code == 403
    assert login(analyst).get(reverse("awards:beacon_admin")).status_code == 200
    assert login(leader.admin).get(reverse("awards:beacon_admin")).status_code == 404


def test_current_beacons_are_public_by_criterion_and_sector(admin, leader, timeliness, client):
    _designate(admin, leader, timeliness)

    listed = client.get(reverse("awards:beacons"), {"criterion": "timeliness"}).content.decode()
    assert "Leader Homes" in listed
    other_criterion = client.get(reverse("awards:beacons"), {"criterion": "delivery"})
    assert "Leader Homes" not in other_criterion.content.decode()
    other_sector = client.get(reverse("awards:beacons"), {"sector": "health"})
    assert "Leader Homes" not in other_sector.content.decode()
    assert (
        "Leader Homes"
        in client.get(reverse("awards:beacons"), {"sector": "housing"}).content.decode()
    )


def test_a_beacon_page_lists_its_case_studies_and_events(admin, leader, timeliness, client):
    _designate(admin, leader, timeliness)
    CaseStudy.objects.create(
        organisation=leader.organisation,
        criterion=timeliness,
        title="Same-day callbacks",
        summary="Every call returned the same day.",
        body="We changed the rota.",
        status=CaseStudy.Status.APPROVED,
        published_at=timezone.now(),
        written_by=leader.admin,
    )
    CaseStudy.objects.create(
        organisation=leader.organisation,
        criterion=timeliness,
        title="A draft nobody reads",
        summary="Not yet.",
        body="Not yet.",
        written_by=leader.admin,
    )
    Event.objects.create(
        kind=Event.Kind.SHARING_DAY,
        title="Leader Homes sharing day",
        description="Come and see.",
        starts_at=timezone.now() + datetime.timedelta(days=20),
        location="Leeds",
        capacity=30,
        host=leader.organisation,
        published=True,
    )

    page = client.get(reverse("awards:beacon", args=[leader.organisation.pk])).content.decode()

    assert "Same-day callbacks" in page
    assert "Leader Homes sharing day" in page
    assert "A draft nobody reads" not in page


def test_the_register_shows_a_beacon_on_the_holder_page(admin, leader, timeliness, client):
    holder_url = reverse("register:holder", args=[leader.organisation.pk])
    assert "Its case studies and events" not in client.get(holder_url).content.decode()

    _designate(admin, leader, timeliness)

    page = client.get(holder_url).content.decode()
    assert "Beacon" in page
    assert reverse("awards:beacon", args=[leader.organisation.pk]) in page


def test_ending_early_needs_a_reason_and_takes_it_off_the_public_list(
    admin, leader, timeliness, client, login
):
    beacon, _grounds = _designate(admin, leader, timeliness)
    end_url = reverse("awards:beacon_end", args=[beacon.pk])

    refused = login(admin).post(end_url, {"reason": ""})
    assert "Say why the designation ends early." in refused.content.decode()

    login(admin).post(end_url, {"reason": "Its certificate was suspended."})

    beacon.refresh_from_db()
    assert beacon.ended_early_on == timezone.localdate()
    assert "Its certificate was suspended." in beacon.reason
    client.logout()
    assert "Leader Homes" not in client.get(reverse("awards:beacons")).content.decode()
    assert client.get(reverse("awards:beacon", args=[leader.organisation.pk])).status_code == 404
    with pytest.raises(ValidationError):
        beacons.beacon_end(membership=admin, beacon=beacon, reason="Again.")


def test_an_organisation_that_is_no_beacon_has_no_beacon_page(leader, client):
    assert client.get(reverse("awards:beacon", args=[leader.organisation.pk])).status_code == 404


def test_the_scheme_list_shows_each_designation_and_offers_to_end_current_ones(
    admin, leader, timeliness, login
):
    beacon, _grounds = _designate(admin, leader, timeliness)

    page = login(admin).get(reverse("awards:beacon_admin")).content.decode()

    assert "Leader Homes" in page
    assert "Answers within a day, and shows others how." in page
    assert reverse("awards:beacon_end", args=[beacon.pk]) in page
