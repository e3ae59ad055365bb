import datetime

from django.utils import timezone

from awards import services
from organisations.models import Role

from .conftest import move_cycle_to

CYCLES = "/api/award-cycles/"
CATEGORIES = "/api/award-categories/"


def _new_cycle(year=2033):
    opens = timezone.localdate() + datetime.timedelta(days=30)
    return {
        "year": year,
        "title": f"Awards {year}",
        "nominations_open": opens.isoformat(),
        "nominations_close": (opens + datetime.timedelta(days=30)).isoformat(),
        "judging_ends": (opens + datetime.timedelta(days=60)).isoformat(),
    }


def test_the_public_reads_only_cycles_whose_nominations_have_opened(client, cycle):
    assert client.get(CYCLES).json()["results"] == []
    assert client.get(f"{CYCLES}{cycle.pk}/").status_code == 404

    move_cycle_to(cycle, "nominations")
    rows = client.get(CYCLES).json()["results"]

    assert [row["title"] for row in rows] == [cycle.title]
    assert rows[0]["stage"] == "nominations"
    assert [c["title"] for c in rows[0]["criteria"]][0] == "Impact on customers"


def test_the_scheme_unit_reads_every_cycle(scheme, cycle, login):
    client = login(scheme[Role.SCHEME_ANALYST])

    assert client.get(f"{CYCLES}{cycle.pk}/").json()["stage"] == "preparing"


def test_a_scheme_administrator_creates_and_changes_a_cycle(scheme, login, db):
    client = login(scheme[Role.SCHEME_ADMIN])

    response = client.post(CYCLES, _new_cycle(), content_type="application/json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]

    response = client.patch(
        f"{CYCLES}{pk}/", {"title": "Awards of 2033"}, content_type="application/json"
    )
    assert response.json()["title"] == "Awards of 2033"


def test_the_api_refuses_dates_out_of_order_with_a_reason(scheme, login, db):
    client = login(scheme[Role.SCHEME_ADMIN])
    data = _new_cycle() | {"judging_ends": timezone.localdate().isoformat()}

    response = client.post(CYCLES, data, content_type="application/json")

    assert response.status_code == 400
    assert "judging_ends" in response.json()


def test_others_may_not_create_cycles(alpha, scheme, login, db):
    for membership in (alpha[Role.APPLICANT_ADMIN], scheme[Role.SCHEME_ANALYST]):
        client = login(membership)
        response = client.post(CYCLES, _new_cycle(), content_type="application/json")
        assert response.status_code == 403


def test_a_published_cycle_cannot_be_changed_through_the_api(scheme, cycle, login):
    move_cycle_to(cycle, "nominations")
    client = login(scheme[Role.SCHEME_ADMIN])

    response = client.patch(
        f"{CYCLES}{cycle.pk}/", {"title": "Renamed"}, content_type="application/json"
    )

    assert response.status_code == 400


def test_categories_filter_and_show_candidates_to_the_scheme_unit_only(
    scheme, cycle, holders, login, client, timeliness
):
    services.shortlist_compute(membership=scheme[Role.SCHEME_ADMIN], category=cycle.best)
    move_cycle_to(cycle, "nominations")

    public = client.get(CATEGORIES, {"cycle": cycle.pk, "kind": "best", "level": "organisation"})
    rows = public.json()["results"]
    assert [row["id"] for row in rows] == [cycle.best.pk]
    assert rows[0]["candidates"] is None
    assert rows[0]["criterion_title"] == "Timeliness"
    assert "Leader Homes" not in public.content.decode()

    scheme_client = login(scheme[Role.SCHEME_ANALYST])
    rows = scheme_client.get(
        CATEGORIES, {"criterion": timeliness.pk, "kind": "best", "level": "organisation"}
    ).json()["results"]
    candidates = rows[0]["candidates"]
    assert candidates[0]["organisation_name"] == "Leader Homes"
    assert candidates[0]["reasons"][0].startswith("Rated strong on Timeliness")


def test_categories_of_a_cycle_being_prepared_are_not_public(client, cycle):
    assert client.get(CATEGORIES).json()["results"] == []
    assert client.get(f"{CATEGORIES}{cycle.best.pk}/").status_code == 404
