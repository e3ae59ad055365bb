"""Certification-body consistency: a body or an assessor whose ratings stand out is
named, the others are not, and the scheme unit alone sees the page and the API."""

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import RatingValue
from benchmarking import consistency, views_statistics
from benchmarking.dashboard_figures import dashboard_figures_refresh
from benchmarking.models import DashboardFigure
from certification.models import Application, Engagement, Finding
from organisations.models import Organisation, Role
from standard.models import Element

from ..factories import OrganisationFactory, member

RATINGS = consistency.RATINGS
USUAL = [0.10, 0.75, 0.12, 0.03]
GENEROUS = [0.45, 0.45, 0.08, 0.02]
STRICT = [0.05, 0.55, 0.30, 0.10]


def _frames(assessors):
    """Count frames like the loader's, from (body, assessor, shares, findings per
    element) with six criteria of five elements each."""
    rows = []
    bodies = {}
    for assessor_id, (body, assessor, shares, per_element) in enumerate(assessors, start=1):
        body_id = bodies.setdefault(body, len(bodies) + 1)
        for criterion in range(1, 7):
            for element in range(1, 6):
                for rating, share in zip(RATINGS, shares, strict=True):
                    rows.append({
                        "body_id": body_id, "body": body, "sector_id": 1, "year": 2025,
                        "rating": rating, "criterion": criterion,
                        "criterion_title": f"Criterion {criterion}",
                        "element": f"{criterion}.{element}", "element_title": "An element",
                        "n": round(per_element * share), "assessor_id": assessor_id,
                        "assessor": assessor,
                    })  # fmt: skip
    frame = pd.DataFrame(rows)
    by_element = frame.drop(columns=["assessor_id", "assessor"])
    keys = ["body_id", "body", "sector_id", "year", "rating", "assessor_id", "assessor"]
    by_assessor = frame.groupby(keys, as_index=False)["n"].sum()
    return by_element, by_assessor


FIELD = [
    ("Kestrel", "Kim Reed", GENEROUS, 20),
    ("Kestrel", "Kai Ross", GENEROUS, 20),
    ("Osprey", "Olu Hart", STRICT, 20),
    ("Osprey", "Ola Park", USUAL, 20),
    ("Osprey", "Oz Lane", USUAL, 20),
    ("Osprey", "Owen Few", [0, 0.2, 0.5, 0.3], 1),
    ("Merlin", "Mo Dale", USUAL, 20),
    ("Merlin", "Mia Cole", USUAL, 20),
]


def test_a_body_that_rates_compliance_plus_far_more_often_is_flagged_and_the_others_are_not():
    data = consistency.consistency_figure(*_frames(FIELD))

    flagged = {entry["body"] for entry in data["criteria"] if entry["flagged"]}
    assert flagged == {"Kestrel"}
    kestrel = next(e for e in data["criteria"] if e["body"] == "Kestrel" and e["key"] == "3")
    assert kestrel["largest"]["rating"] == RatingValue.COMPLIANCE_PLUS
    assert kestrel["p_adjusted"] < 0.05
    statements = consistency.consistency_statements(data)
    assert any(
        s.startswith("Kestrel rates compliance plus") and "on criterion 3 (Criterion 3)" in s
        for s in statements
    )
    assert not any(s.startswith(("Osprey rates", "Merlin rates")) for s in statements)


def test_an_assessor_who_stands_out_is_named_and_one_with_too_few_findings_is_not():
    data = consistency.consistency_figure(*_frames(FIELD))

    statements = " ".join(consistency.consistency_statements(data))
    assert "Olu Hart (Osprey) rates partial or non-compliant" in statements
    assert "the body's other assessors" in statements
    assert "Owen Few" not in statements
    assert data["too_few"] == 1
    assert "Owen Few" not in {entry["assessor"] for entry in data["assessors"]}
    usual = next(e for e in data["assessors"] if e["assessor"] == "Ola Park")
    assert not usual["flagged"]
    low, high = usual["plus"]["low"], usual["plus"]["high"]
    assert low < usual["plus"]["share"] < high


def _flagged(share: float, others_share: float) -> dict:
    return {
        "body": "Osprey", "level": "criterion", "key": "3", "title": "Criterion 3",
        "p_adjusted": 0.0001,
        "largest": {"rating": RatingValue.COMPLIANCE_PLUS, "share": share,
                    "others_share": others_share,
                    "ratio": share / others_share if others_share else None},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("share", "others_share", "words"),
    [
        (0.0, 0.09, "Osprey never rates compliance plus on criterion 3 (Criterion 3), while "
                    "the other bodies do in 9% of their findings."),
        (0.03, 0.09, "Osprey rates compliance plus a third as often as the other bodies on "
                     "criterion 3 (Criterion 3): 3% of its findings against 9%."),
        (0.004, 0.2, "Osprey rates compliance plus less than a tenth as often as the other "
                     "bodies"),
        (0.09, 0.03, "Osprey rates compliance plus 3.0 times as often as the other bodies"),
    ],
)  # fmt: skip
def test_a_body_that_rates_far_less_often_is_worded_as_never_or_a_fraction(
    share, others_share, words
):
    statement = consistency.comparison_statement(_flagged(share, others_share))

    assert statement.startswith(words)
    assert "0.0 times" not in statement


def test_with_one_body_there_is_no_one_to_compare_with():
    data = consistency.consistency_figure(*_frames(FIELD[:2]))

    assert data["criteria"] == []
    assert "no other body to compare with" in consistency.consistency_statements(data)[0]


def _legend_clear(legend: list[dict], width: int) -> bool:
    """No label (at 13 px, about 0.55 em a character) reaches the next colour box on its
    line, nor the chart's right edge."""
    ends = [item["x"] + 18 + len(item["label"]) * 13 * 0.55 for item in legend]
    for item, after, end in zip(legend, legend[1:], ends, strict=False):
        if after["y"] == item["y"] and after["x"] <= end:
            return False
    return max(ends) <= width


def test_the_chart_legend_spaces_its_items_by_the_length_of_their_labels():
    chart = views_statistics.distribution_chart(consistency.consistency_figure(*_frames(FIELD)))

    assert [item["label"] for item in chart["legend"]][:2] == ["Compliance plus", "Compliant"]
    assert _legend_clear(chart["legend"], chart["width"])
    long = [(f"A much longer rating label {n}", "#1d70b8") for n in range(4)]
    legend = views_statistics._legend(long, top=100)
    assert _legend_clear(legend, views_statistics.WIDTH)
    assert len({item["y"] for item in legend}) > 1  # wrapped onto more lines


# Through the database, the refresh and the pages ---------------------------------------


@pytest.fixture
def findings_field(standard, alpha):
    """Three bodies, six assessed applicants each in alpha's sector, every element rated:
    Kestrel gives compliance plus to every other element, the others to one in ten."""
    elements = list(Element.objects.filter(criterion__standard=standard).order_by("code"))
    now = timezone.now()
    sector = alpha.applicant.sector
    for body_name in ("Kestrel", "Osprey", "Merlin"):
        body = OrganisationFactory(
            name=body_name, kind=Organisation.Kind.CERTIFICATION_BODY, sector=None
        )
        assessor = member(body, Role.ASSESSOR, full_name=f"{body_name} Assessor")
        for n in range(6):
            applicant = OrganisationFactory(name=f"{body_name} client {n}", sector=sector)
            application = Application.objects.create(
                applicant=applicant,
                certification_body=body,
                status=Application.Status.ACCEPTED,
                submitted_by=assessor.user,
            )
            engagement = Engagement.objects.create(
                application=application,
                kind=Engagement.Kind.INITIAL,
                status=Engagement.Status.DECIDED,
                standard=standard,
                created_by=assessor.user,
                reported_at=now,
            )
            Finding.objects.bulk_create(
                Finding(
                    engagement=engagement,
                    element=element,
                    rating=_rating(body_name, index),
                    updated_by=assessor.user,
                    updated_at=now,
                )
                for index, element in enumerate(elements)
            )
    return sector


def _rating(body_name: str, index: int) -> str:
    if body_name == "Kestrel":
        return RatingValue.COMPLIANCE_PLUS if index % 2 == 0 else RatingValue.COMPLIANT
    if index % 10 == 0:
        return RatingValue.COMPLIANCE_PLUS
    return RatingValue.PARTIAL if index % 10 == 9 else RatingValue.COMPLIANT


def test_the_refresh_stores_the_figures_for_the_sector_every_year_and_all_years(findings_field):
    now = timezone.now()
    dashboard_figures_refresh(sector=findings_field, now=now)

    figures = DashboardFigure.objects.filter(
        kind=DashboardFigure.Kind.CONSISTENCY, sector=findings_field
    )
    assert sorted(figures.values_list("year", flat=True)) == [0, now.year]
    data = figures.get(year=0).data
    assert {e["body"] for e in data["criteria"] if e["flagged"]} == {"Kestrel"}


def test_findings_with_no_report_or_rating_date_count_in_the_year_their_engagement_began(
    findings_field,
):
    Engagement.objects.update(reported_at=None)
    Finding.objects.update(updated_at=None)
    began = Engagement.objects.earliest("created_at").created_at.year

    dashboard_figures_refresh(sector=findings_field, now=timezone.now())

    figures = DashboardFigure.objects.filter(
        kind=DashboardFigure.Kind.CONSISTENCY, sector=findings_field
    )
    assert sorted(figures.values_list("year", flat=True)) == [0, began]
    assert {e["body"] for e in figures.get(year=began).data["criteria"] if e["flagged"]} == {
        "Kestrel"
    }


def test_the_scheme_unit_sees_the_page_with_its_chart_table_and_csv(findings_field, scheme, login):
    dashboard_figures_refresh(sector=None, now=timezone.now())
    client = login(scheme[Role.SCHEME_ANALYST])
    url = reverse("benchmarking:dashboard_consistency")

    page = client.get(url).content.decode()
    assert "Kestrel rates compliance plus" in page
    assert "<svg" in page and "Ratings by criterion" in page
    # The wide criteria table scrolls in a labelled region the keyboard can reach.
    assert (
        '<div class="app-table-scroll" tabindex="0" role="region" '
        'aria-label="Ratings by criterion: each body against the other bodies">'
    ) in page

    csv = client.get(url, {"format": "csv", "table": "criteria"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "Kestrel" in b"".join(csv.streaming_content).decode("utf-8-sig")


def test_before_any_refresh_the_page_says_when_the_figures_come(scheme, login, db):
    page = login(scheme[Role.SCHEME_ADMIN]).get(reverse("benchmarking:dashboard_consistency"))

    assert "They are worked out at the next refresh" in page.content.decode()


def test_the_page_reads_a_constant_number_of_queries(
    findings_field, scheme, login, django_assert_max_num_queries
):
    dashboard_figures_refresh(sector=findings_field, now=timezone.now())
    client = login(scheme[Role.SCHEME_ANALYST])
    url = reverse("benchmarking:dashboard_consistency")
    with django_assert_max_num_queries(12):
        assert client.get(url, {"sector": findings_field.slug}).status_code == 200


@pytest.mark.parametrize("role", [Role.APPLICANT_ADMIN, Role.CB_MANAGER, Role.REGULATOR])
def test_anyone_but_the_scheme_unit_gets_404(alpha, login, role):
    client = login(alpha[role])

    assert client.get(reverse("benchmarking:dashboard_consistency")).status_code == 404
    assert client.get("/api/dashboards/consistency/").status_code == 404


def test_the_api_gives_the_scheme_unit_the_figures_and_statements(findings_field, scheme, login):
    dashboard_figures_refresh(sector=findings_field, now=timezone.now())
    client = login(scheme[Role.SCHEME_ANALYST])

    answer = client.get("/api/dashboards/consistency/", {"sector": findings_field.slug}).json()

    assert answer["year"] == 0 and answer["sector"] == findings_field.slug
    assert any(s.startswith("Kestrel rates compliance plus") for s in answer["statements"])
    assert answer["data"]["bodies"]
    empty = client.get("/api/dashboards/consistency/", {"year": 1999}).json()
    assert empty["data"] is None and empty["next_refresh"]
