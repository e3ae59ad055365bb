"""The benchmarking API: an organisation's report and its sector's figures, scoped so that
no organisation reads another's scores."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarking.models import PeerGroup, PeerGroupMember, SectorFigure
from organisations.models import Organisation, Role

from ..factories import OrganisationFactory, SectorFactory, member
from .conftest import refresh

FIGURES = ["mean", "sd", "median", "lower_quartile", "upper_quartile", "deciles", "responses"]


pytestmark = pytest.mark.usefixtures("no_dashboard_figures")


@pytest.fixture
def libraries(standard, make_field):
    """Six libraries, the first in a peer group with four others; a sector of three
    museums beside them."""
    sector = SectorFactory(slug="libraries", name="Libraries")
    field = make_field(sector, [3.0, 3.4, 3.8, 4.0, 4.2, 4.6], name="Library", region="london")
    admin = member(field[0], Role.APPLICANT_ADMIN)
    group = PeerGroup.objects.create(sector=sector, name="Big libraries")
    for organisation in field[:5]:
        PeerGroupMember.objects.create(
            peer_group=group, organisation=organisation, joined_by=admin.user
        )
    PeerGroup.objects.create(sector=sector, name="Mobile libraries")
    museums = SectorFactory(slug="museums", name="Museums")
    make_field(museums, [3.5, 3.6, 3.7], name="Museum")
    refresh(sector)
    refresh(museums)
    return {"sector": sector, "field": field, "admin": admin, "group": group, "museums": museums}


def get(client, path, **params):
    response = client.get(path, params, HTTP_ACCEPT="application/json")
    return response.status_code, response.json()


# Reports --------------------------------------------------------------------------------


def test_a_member_reads_its_own_report_only(libraries, login):
    status, body = get(login(libraries["admin"]), "/api/benchmarks/")
    assert status == 200
    [report] = body["results"]
    assert report["organisation"]["name"] == "Library 1"
    sector, group = report["comparisons"]
    assert (sector["kind"], sector["name"]) == ("sector", "Libraries")
    assert group["name"] == "Big libraries"
    overall = sector["rows"][0]
    assert overall["own"]["score_100"] == pytest.approx(50)
    assert overall["figure"]["median"] == pytest.approx(72.5)
    assert overall["difference"] == "below"


def test_another_organisations_report_is_not_found(libraries, login):
    client = login(libraries["admin"])
    other = libraries["field"][1]
    assert client.get(f"/api/benchmarks/{other.pk}/").status_code == 404
    assert client.get(f"/api/benchmarks/{libraries['field'][0].pk}/").status_code == 200


def test_a_headquarters_reads_its_units_reports(libraries, login):
    unit = OrganisationFactory(
        name="Library 1 mobile unit", sector=libraries["sector"], parent=libraries["field"][0]
    )
    status, body = get(login(libraries["admin"]), "/api/benchmarks/")
    assert [r["organisation"]["name"] for r in body["results"]] == [
        "Library 1",
        "Library 1 mobile unit",
    ]
    status, report = get(login(libraries["admin"]), f"/api/benchmarks/{unit.pk}/")
    assert status == 200 and report["available"] is False


def test_the_year_is_chosen_and_checked(libraries, login):
    client = login(libraries["admin"])
    pk = libraries["field"][0].pk
    status, report = get(client, f"/api/benchmarks/{pk}/", year=2024)
    assert status == 200
    assert report["year"] == 2024 and report["available"] is False
    status, errors = get(client, f"/api/benchmarks/{pk}/", year="last")
    assert status == 400 and "year" in errors


def test_the_scheme_unit_reads_every_applicants_report(libraries, scheme, login):
    client = login(scheme[Role.SCHEME_ANALYST])
    status, body = get(client, "/api/benchmarks/")
    assert body["count"] == 9
    status, report = get(client, f"/api/benchmarks/{libraries['field'][3].pk}/")
    assert report["organisation"]["name"] == "Library 4"


def test_a_page_of_reports_takes_a_constant_number_of_queries(libraries, scheme, make_field, login):
    client = login(scheme[Role.SCHEME_ANALYST])
    client.get("/api/benchmarks/")  # the session and the membership are loaded once
    with CaptureQueriesContext(connection) as few:
        client.get("/api/benchmarks/")
    make_field(libraries["sector"], [3.3, 3.9, 4.4], name="Newer library")
    refresh(libraries["sector"])
    with CaptureQueriesContext(connection) as many:
        assert get(client, "/api/benchmarks/")[1]["count"] == 12
    assert len(many) == len(few)


@pytest.mark.parametrize(
    "kind, role",
    [
        (Organisation.Kind.CERTIFICATION_BODY, Role.CB_MANAGER),
        (Organisation.Kind.REGULATOR, Role.REGULATOR),
    ],
)
def test_bodies_and_regulators_read_no_reports_or_figures(libraries, kind, role, login):
    other = OrganisationFactory(
        kind=kind, sector=libraries["sector"] if kind == Organisation.Kind.REGULATOR else None
    )
    client = login(member(other, role))
    assert get(client, "/api/benchmarks/")[1]["count"] == 0
    assert get(client, "/api/sector-figures/")[1]["count"] == 0
    assert client.get(f"/api/benchmarks/{libraries['field'][0].pk}/").status_code == 404


def test_an_anonymous_request_is_refused(libraries, client):
    assert client.get("/api/benchmarks/").status_code in (401, 403)
    assert client.get("/api/sector-figures/").status_code in (401, 403)


# Sector figures -------------------------------------------------------------------------


def test_a_member_reads_its_sectors_and_its_groups_figures_only(libraries, login):
    status, body = get(login(libraries["admin"]), "/api/sector-figures/")
    rows = body["results"]
    assert {row["sector_name"] for row in rows} == {"Libraries"}
    assert {row["peer_group_name"] for row in rows} == {None, "Big libraries"}
    # Six measures for the sector and six for the group, in 2025.
    assert body["count"] == 12
    # Never the region split the scheme's dashboards use, although every library is in London.
    assert SectorFigure.objects.exclude(region="").exists()


def test_suppressed_figures_carry_only_their_count(libraries, login):
    _status, body = get(
        login(libraries["admin"]), "/api/sector-figures/", peer_group=libraries["group"].pk
    )
    # Five of the six libraries: the sixth could be worked out by subtraction.
    for row in body["results"]:
        assert row["suppressed"] is True
        assert row["organisations"] == 5
        assert all(row[name] is None for name in FIGURES)


def test_figures_are_filtered_by_year_measure_and_peer_group(libraries, login):
    client = login(libraries["admin"])
    _status, body = get(client, "/api/sector-figures/", year=2025, measure="timeliness")
    assert [(r["measure"], r["peer_group_name"]) for r in body["results"]] == [
        ("timeliness", None),
        ("timeliness", "Big libraries"),
    ]
    assert get(client, "/api/sector-figures/", year=2024)[1]["count"] == 0
    sector_row = body["results"][0]
    assert sector_row["median"] == pytest.approx(72.5)
    assert len(sector_row["deciles"]) == 9


def test_another_sectors_or_groups_figures_are_never_listed(libraries, login):
    client = login(libraries["admin"])
    mobile = PeerGroup.objects.get(name="Mobile libraries")
    assert get(client, "/api/sector-figures/", peer_group=mobile.pk)[1]["count"] == 0
    assert get(client, "/api/sector-figures/", peer_group=10**9)[1]["count"] == 0


def test_the_api_is_in_the_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "/api/benchmarks/" in schema["paths"]
    assert "/api/benchmarks/{id}/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/sector-figures/"]["get"]["parameters"]}
    assert {"year", "measure", "peer_group"} <= parameters
