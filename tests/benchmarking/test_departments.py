"""The customer-experience element of a department's performance dashboard: its units'
certification and satisfaction, for the headquarters' own people and the scheme unit."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from benchmarking.models import Measure
from organisations.models import Organisation, Role

from ..factories import organisation_score_create
from .conftest import Field

TODAY = datetime.date.today()
A_YEAR_AGO = TODAY - datetime.timedelta(days=370)


def page(organisation) -> str:
    return reverse("benchmarking:department", kwargs={"organisation_pk": organisation.pk})


@pytest.fixture
def department(alpha, standard, scored_survey):
    """Alpha's unit holds a certificate whose review is overdue and has scores for two
    years; the headquarters holds none and has no scores."""
    field = Field(standard)
    field.holder(name="Spare holder")  # another organisation's certificate, not shown
    field.certify(alpha.unit, first=A_YEAR_AGO, due=TODAY - datetime.timedelta(days=5))
    for year, mean in ((2024, 3.0), (2025, 3.8)):
        survey = scored_survey(alpha.unit, year=year)
        for measure in Measure:
            organisation_score_create(
                alpha.unit,
                survey,
                measure.value,
                year=year,
                mean=mean,
                sd=0.9,
                count=400,
                satisfied=280,
            )
    return alpha


def test_a_headquarters_sees_its_units_certification_and_latest_satisfaction(department, login):
    client = login(department[Role.APPLICANT_EDITOR])
    response = client.get(reverse("benchmarking:departments"), follow=True)
    html = response.content.decode()

    assert response.redirect_chain[-1][0] == page(department.applicant)
    assert "Alpha Borough Council" in html and "Alpha Housing Unit" in html
    assert "Not certified" in html
    assert f"CV-T-{department.unit.pk}" in html
    assert "Overdue" in html
    assert "70.0" in html  # (3.8 - 1) x 25, from the 2025 survey, not 2024's 50.0
    assert "50.0" not in html
    assert "objective outcomes, resources and organisational capacity" in html
    assert "Spare holder" not in html


def test_a_headquarters_certificate_naming_no_units_covers_them_all(alpha, standard, login):
    certificate = Field(standard).certify(alpha.applicant, first=A_YEAR_AGO)

    html = login(alpha[Role.APPLICANT_ADMIN]).get(page(alpha.applicant)).content.decode()

    assert html.count(certificate.number) == 2  # the headquarters' row and its unit's
    assert "Not certified" not in html


def test_the_csv_holds_what_the_tables_show(department, login):
    client = login(department[Role.APPLICANT_ADMIN])
    response = client.get(page(department.applicant), {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(text))}

    assert rows["Organisation"][:6] == [
        "Certification status",
        "Certificate number",
        "Next review due",
        "Year of the latest survey",
        "Overall satisfaction: score (0 to 100)",
        "Overall satisfaction: 95% interval",
    ]
    unit = rows["Alpha Housing Unit"]
    assert unit[:4] == [
        "Valid",
        f"CV-T-{department.unit.pk}",
        (TODAY - datetime.timedelta(days=5)).isoformat(),
        "2025",
    ]
    assert unit[4] == "70.0"
    assert unit[5] == "67.8 to 72.2"
    assert rows["Alpha Borough Council"][:4] == ["Not certified", "", "", ""]


def test_the_scheme_unit_lists_departments_and_opens_any(department, beta, scheme, login):
    client = login(scheme[Role.SCHEME_ANALYST])
    html = client.get(reverse("benchmarking:departments")).content.decode()

    assert "Alpha Borough Council" in html and "Beta Borough Council" in html
    assert client.get(page(department.applicant)).status_code == 200
    assert client.get(page(beta.applicant)).status_code == 200


def test_another_headquarters_and_other_roles_find_nothing(department, beta, login):
    assert login(beta[Role.APPLICANT_ADMIN]).get(page(department.applicant)).status_code == 404
    for role in (Role.CB_MANAGER, Role.REGULATOR):
        client = login(department[role])
        assert client.get(reverse("benchmarking:departments")).status_code == 404
        assert client.get(page(department.applicant)).status_code == 404


def test_an_organisation_without_units_has_no_department_dashboard(department, scheme, login):
    client = login(scheme[Role.SCHEME_ADMIN])
    assert client.get(page(department.unit)).status_code == 404
    lone = Organisation.objects.create(
        name="Lone Council", kind=Organisation.Kind.APPLICANT, sector=department.unit.sector
    )
    assert client.get(page(lone)).status_code == 404


def test_the_api_gives_a_headquarters_its_own_department(department, beta, scheme, login):
    path = reverse("api-dashboard-departments")
    own = login(department[Role.APPLICANT_ADMIN]).get(path)
    units = {row["name"]: row for row in own.json()}

    assert units["Alpha Housing Unit"]["certificate_status"] == "active"
    overall = units["Alpha Housing Unit"]["scores"][0]
    assert overall["measure"] == "overall" and overall["score"] == pytest.approx(70.0)
    assert overall["low"] < 70 < overall["high"]
    assert units["Alpha Borough Council"]["is_headquarters"] is True

    other = {"headquarters": beta.applicant.pk}
    assert login(department[Role.APPLICANT_ADMIN]).get(path, other).status_code == 404
    scheme_client = login(scheme[Role.SCHEME_ANALYST])
    assert scheme_client.get(path).status_code == 400
    assert scheme_client.get(path, other).status_code == 200
    assert login(department[Role.CB_MANAGER]).get(path).status_code == 404
