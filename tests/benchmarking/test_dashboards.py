"""The scheme unit's dashboards: take-up, certifications per year, the pipeline of
reviews and satisfaction by sector, for a field whose figures are known."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from benchmarking.models import Measure, SectorFigure
from organisations.models import Role

TODAY = datetime.date.today()
DASHBOARDS = ["take_up", "certifications", "pipeline", "satisfaction"]


def url(name: str) -> str:
    return reverse(f"benchmarking:dashboard_{name}")


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def analyst(scheme, login):
    return login(scheme[Role.SCHEME_ANALYST])


# Who sees them ------------------------------------------------------------------------


@pytest.mark.parametrize("name", DASHBOARDS)
@pytest.mark.parametrize(
    "role", [Role.APPLICANT_ADMIN, Role.CB_MANAGER, Role.ASSESSOR, Role.REGULATOR]
)
def test_nobody_but_the_scheme_unit_finds_them(name, role, alpha, login):
    client = login(alpha[role])
    assert client.get(url(name)).status_code == 404
    assert client.get(url(name), {"format": "csv"}).status_code == 404


@pytest.mark.parametrize("name", DASHBOARDS)
@pytest.mark.parametrize("role", [Role.SCHEME_ADMIN, Role.SCHEME_ANALYST])
def test_the_scheme_unit_opens_every_dashboard(name, role, field, scheme, login):
    field.holder()
    response = login(scheme[role]).get(url(name))
    assert response.status_code == 200
    for other in DASHBOARDS:
        assert url(other) in response.content.decode()


@pytest.mark.parametrize("name", DASHBOARDS)
def test_a_filter_that_is_not_in_the_list_is_explained_not_a_server_error(name, analyst, db):
    response = analyst.get(url(name), {"sector": "no-such-sector", "region": "atlantis"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Choose a sector from the list." in html
    assert "Choose a region from the list." in html
    csv_response = analyst.get(url(name), {"region": "atlantis", "format": "csv"})
    assert not csv_response["Content-Type"].startswith("text/csv")


# Take-up ------------------------------------------------------------------------------


def test_take_up_counts_holders_of_valid_and_suspended_certificates_only(field, analyst):
    field.holder(employees=100)
    field.holder(employees=50, status="suspended")
    field.holder(employees=999, status="withdrawn", changed=TODAY - datetime.timedelta(days=5))
    field.holder(sector=field.police, employees=2_400)

    rows = {row[0]: row[1:] for row in read_csv(analyst.get(url("take_up"), {"format": "csv"}))}

    assert rows["Courts and tribunals"] == ["2", "150", "22000", "0.7%"]
    assert rows["Police"] == ["1", "2400", "240000", "1%"]
    assert rows["Total"][:2] == ["3", "2550"]


def test_take_up_at_the_end_of_a_past_year_counts_who_held_a_certificate_then(field, analyst):
    last_year = TODAY.year - 1
    field.holder(first=datetime.date(last_year, 3, 1), employees=100)
    field.holder(
        first=datetime.date(last_year, 3, 1),
        status="withdrawn",
        changed=datetime.date(TODAY.year, 1, 15),
        employees=30,
    )
    field.holder(first=datetime.date(TODAY.year, 1, 2), employees=7)

    rows = {
        row[0]: row[1:]
        for row in read_csv(
            analyst.get(url("take_up"), {"period": last_year, "sector": "courts", "format": "csv"})
        )
    }

    assert list(rows) == ["Sector", "Courts and tribunals", "Total"]
    assert rows["Courts and tribunals"][:2] == ["2", "130"]


# Certifications per year --------------------------------------------------------------


def test_certifications_count_first_certifications_and_renewals_apart(field, analyst):
    field.holder(first=datetime.date(2024, 5, 1), renewed=datetime.date(2025, 5, 1))
    field.holder(first=datetime.date(2025, 2, 1), region="wales")
    field.holder(sector=field.police, first=datetime.date(2025, 3, 1))

    html = analyst.get(url("certifications")).content.decode()
    years = read_csv(analyst.get(url("certifications"), {"format": "csv", "table": "years"}))
    sectors = read_csv(analyst.get(url("certifications"), {"format": "csv", "table": "sectors"}))
    regions = read_csv(analyst.get(url("certifications"), {"format": "csv", "table": "regions"}))

    assert years == [
        ["Year", "First certifications", "Renewals", "All certifications"],
        ["2024", "1", "0", "1"],
        ["2025", "2", "1", "3"],
        ["Total", "3", "1", "4"],
    ]
    assert ["Courts and tribunals", "2", "1", "3"] in sectors
    assert ["Police", "1", "0", "1"] in sectors
    assert ["Wales", "1", "0", "1"] in regions
    assert ["London", "2", "1", "3"] in regions
    assert "Certifications per year" in html and "<svg" in html


def test_certifications_filtered_by_year_and_region(field, analyst):
    field.holder(first=datetime.date(2024, 5, 1), renewed=datetime.date(2025, 5, 1))
    field.holder(first=datetime.date(2025, 2, 1), region="wales")

    years = read_csv(
        analyst.get(
            url("certifications"),
            {"period": "2025", "region": "london", "format": "csv", "table": "years"},
        )
    )

    assert years[1:] == [["2025", "0", "1", "1"], ["Total", "0", "1", "1"]]


# Pipeline -----------------------------------------------------------------------------


def test_pipeline_counts_reviews_due_overdue_suspended_and_lapsed(field, analyst):
    field.holder(due=TODAY + datetime.timedelta(days=30))
    field.holder(due=TODAY + datetime.timedelta(days=120))
    field.holder(due=TODAY - datetime.timedelta(days=3))
    field.holder(status="suspended", due=TODAY - datetime.timedelta(days=40))
    field.holder(status="lapsed", changed=TODAY - datetime.timedelta(days=20))
    field.holder(status="lapsed", changed=TODAY - datetime.timedelta(days=400))

    rows = {row[0]: row[1:] for row in read_csv(analyst.get(url("pipeline"), {"format": "csv"}))}
    html = analyst.get(url("pipeline")).content.decode()

    assert rows["Courts and tribunals"] == ["1", "1", "1", "1"]
    assert rows["Police"] == ["0", "0", "0", "0"]
    assert rows["Total"] == ["1", "1", "1", "1"]
    assert "Reviews pipeline by sector" in html


def test_pipeline_counts_reviews_due_from_the_standards_first_reminder(field, analyst):
    field.standard.reminder_days = [60, 14]
    field.standard.save(update_fields=["reminder_days"])
    field.holder(due=TODAY + datetime.timedelta(days=60))
    field.holder(due=TODAY + datetime.timedelta(days=61))

    table = read_csv(analyst.get(url("pipeline"), {"format": "csv"}))
    html = analyst.get(url("pipeline")).content.decode()

    assert table[0][1] == "Review due within 60 days"
    assert table[-1] == ["Total", "1", "0", "0", "0"]
    assert "Due within 60 days" in html


def test_pipeline_has_no_period_filter(analyst, db):
    html = analyst.get(url("pipeline")).content.decode()
    assert 'name="sector"' in html
    assert 'name="period"' not in html


# Satisfaction -------------------------------------------------------------------------


def _figure(sector, year, measure, *, organisations=8, median=70.0, region="", legal_form=""):
    suppressed = organisations < 5
    return SectorFigure.objects.create(
        sector=sector,
        region=region,
        legal_form=legal_form,
        year=year,
        measure=measure,
        organisations=organisations,
        suppressed=suppressed,
        responses=None if suppressed else organisations * 400,
        mean=None if suppressed else median,
        sd=None if suppressed else 5.0,
        deciles=[] if suppressed else [median - 8 + 2 * i for i in range(9)],
        lower_quartile=None if suppressed else median - 5,
        median=None if suppressed else median,
        upper_quartile=None if suppressed else median + 5,
        share_satisfied=None if suppressed else 0.78,
        computed_at=timezone.now(),
    )


def test_satisfaction_shows_sector_figures_and_suppresses_small_cells(field, analyst):
    _figure(field.courts, 2024, Measure.OVERALL, median=68.0)
    _figure(field.courts, 2025, Measure.OVERALL, median=72.5)
    _figure(field.courts, 2025, Measure.DELIVERY, organisations=3)

    html = analyst.get(url("satisfaction"), {"sector": "courts"}).content.decode()
    rows = read_csv(analyst.get(url("satisfaction"), {"sector": "courts", "format": "csv"}))

    assert "72.5" in html and "67.5 to 77.5" in html
    assert "Fewer than 5 organisations" in html
    assert "<svg" in html
    assert rows[0][:3] == ["Sector", "Measure", "2024: organisations"]
    overall = next(row for row in rows if row[1] == "Overall satisfaction")
    assert overall == [
        "Courts and tribunals", "Overall satisfaction",
        "8", "68.0", "63.0 to 73.0", "78%",
        "8", "72.5", "67.5 to 77.5", "78%",
    ]  # fmt: skip
    delivery = next(row for row in rows if row[1] == "Delivery")
    assert delivery[2:] == ["", "", "", "", "3", *["Fewer than 5 organisations"] * 3]


def test_satisfaction_by_region_reads_that_regions_figures(field, analyst):
    _figure(field.courts, 2025, Measure.OVERALL, median=72.5)
    _figure(field.courts, 2025, Measure.OVERALL, median=61.0, region="wales")

    rows = read_csv(analyst.get(url("satisfaction"), {"region": "wales", "format": "csv"}))

    overall = next(row for row in rows if row[1] == "Overall satisfaction")
    assert overall[3] == "61.0"


# Queries ------------------------------------------------------------------------------


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", DASHBOARDS)
def test_queries_do_not_grow_with_the_field(name, field, analyst, django_assert_max_num_queries):
    field.holder()
    _figure(field.courts, 2025, Measure.OVERALL)
    small = _queries(analyst, url(name))
    for n in range(12):
        field.holder(
            sector=field.police if n % 2 else field.courts,
            region="wales" if n % 3 else "london",
            first=datetime.date(2023 + n % 3, 4, 1),
            status="suspended" if n % 4 == 0 else "active",
        )
        _figure(field.police, 2020 + n, Measure.DELIVERY)
    with django_assert_max_num_queries(small):
        analyst.get(url(name))


# API ----------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["take-up", "certifications", "pipeline", "satisfaction"])
def test_the_api_gives_the_scheme_unit_the_same_figures(route, field, scheme, alpha, login):
    field.holder(employees=4_400)
    path = reverse(f"api-dashboard-{route}")
    assert login(alpha[Role.APPLICANT_ADMIN]).get(path).status_code == 404
    response = login(scheme[Role.SCHEME_ANALYST]).get(path, {"sector": "courts"})
    assert response.status_code == 200
    assert login(scheme[Role.SCHEME_ANALYST]).get(path, {"region": "x"}).status_code == 400


def test_the_take_up_api_gives_shares_as_fractions(field, scheme, login):
    field.holder(employees=4_400)
    response = login(scheme[Role.SCHEME_ADMIN]).get(
        reverse("api-dashboard-take-up"), {"sector": "courts"}
    )
    courts, total = response.json()["rows"]
    assert courts == {
        "sector": "Courts and tribunals",
        "holders": 1,
        "employees": 4400,
        "workforce": 22000,
        "market_share": 0.2,
    }
    assert total["market_share"] == 0.2
