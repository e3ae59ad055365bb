"""The take-up dashboard, loaded with a field shaped like the review's table of March
2005, shows that table's market shares on the page and in the CSV."""

import csv
import io
import re

import pytest
from django.urls import reverse

from benchmarking.field_2005 import EMPLOYEES, HOLDERS, load_2005_field
from certification.models import Certificate
from organisations.models import Organisation, Role

URL = reverse("benchmarking:dashboard_take_up")


@pytest.fixture
def field_2005(standard):
    return load_2005_field()


def _row(html: str, sector: str) -> list[str]:
    """The cells of the take-up table's row for `sector`, as text."""
    row = re.search(rf"<tr[^>]*>\s*<th[^>]*>{re.escape(sector)}</th>(.*?)</tr>", html, re.S)
    assert row, f"no row for {sector}"
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_field_has_the_reviews_holders_with_real_certificates(field_2005):
    assert field_2005 == {"holders": HOLDERS, "employees": EMPLOYEES, "certificates": HOLDERS}
    holders = Organisation.objects.filter(certificates__status__in=["active", "suspended"])
    assert holders.distinct().count() == 1_452
    assert Certificate.objects.filter(number__startswith="CV-").count() == 1_452


def test_it_reproduces_the_reviews_market_shares(field_2005, scheme, login):
    client = login(scheme[Role.SCHEME_ANALYST])
    html = client.get(URL).content.decode()

    assert _row(html, "Courts and tribunals")[-1] == "20%"
    assert _row(html, "Education")[-1] == "3%"
    assert _row(html, "Police")[-1] == "12%"
    assert _row(html, "Total") == ["1,452", "410,452", "5,781,000", "7.1%"]


def test_the_csv_holds_the_same_shares(field_2005, scheme, login):
    client = login(scheme[Role.SCHEME_ADMIN])
    rows = {row[0]: row[1:] for row in _csv(client.get(URL, {"format": "csv"}))}

    assert rows["Sector"] == [
        "Holders",
        "Employees in holder organisations",
        "Sector's workforce",
        "Market share",
    ]
    assert rows["Courts and tribunals"] == ["40", "4400", "22000", "20%"]
    assert rows["Education"][-1] == "3%"
    assert rows["Police"][-1] == "12%"
    assert rows["Total"] == ["1452", "410452", "5781000", "7.1%"]


def test_a_region_filter_counts_that_regions_holders_without_shares(field_2005, scheme, login):
    client = login(scheme[Role.SCHEME_ANALYST])
    rows = {row[0]: row[1:] for row in _csv(client.get(URL, {"region": "wales", "format": "csv"}))}

    in_wales = Organisation.objects.filter(region="wales", certificates__isnull=False)
    assert rows["Sector"] == ["Holders", "Employees in holder organisations"]
    assert rows["Total"][0] == str(in_wales.count())
    assert 0 < in_wales.count() < 1_452
    html = client.get(URL, {"region": "wales"}).content.decode()
    assert "market shares are shown only without a region or legal form filter" in html
