"""Effectiveness: a known holder effect is recovered, before and after is a paired
comparison, and nothing is concluded from fewer organisations than the minimum."""

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone
from scipy import stats

from benchmarking import effectiveness
from benchmarking.dashboard_figures import dashboard_figures_refresh
from benchmarking.models import DashboardFigure, OrganisationScore
from organisations.models import Role

from ..factories import SectorFactory

MEASURES = effectiveness.MEASURES
EFFECT = 6.0


def _scores(groups, *, seed=7):
    """Score rows for every measure: `groups` is a list of (sector, year, holders,
    non-holders), scores around 60 (sd 8), holders `EFFECT` points higher."""
    rng = np.random.default_rng(seed)
    rows, organisation = [], 0
    for sector, year, holders, others in groups:
        for holder, count in ((True, holders), (False, others)):
            for _n in range(count):
                organisation += 1
                score = rng.normal(60, 8) + (EFFECT if holder else 0)
                rows += [
                    {"organisation_id": organisation, "sector_id": sector, "year": year,
                     "measure": measure, "score": score, "holder": holder,
                     "sector": f"Sector {sector}"}
                    for measure in MEASURES
                ]  # fmt: skip
    return pd.DataFrame(rows)


def test_a_known_holder_effect_is_recovered_with_the_right_sign_and_an_interval_covering_it():
    scores = _scores([(1, 2025, 40, 40), (2, 2025, 35, 45)])

    entry = effectiveness.holder_comparison(scores, minimum=5)[0]

    result = entry["result"]
    assert entry["enough"] and result["holders"] == 75 and result["non_holders"] == 85
    assert result["difference"] > 0
    assert result["low"] < EFFECT < result["high"]
    assert result["g_low"] < EFFECT / 8 < result["g_high"]
    assert [stratum["label"] for stratum in entry["strata"]] == ["Sector 1", "Sector 2"]
    statement = effectiveness.holder_statement(entry, minimum=5)
    assert "holders score" in statement and "higher than comparable non-holders" in statement
    assert "an association, not proof" in statement


def test_one_sector_and_year_is_welchs_test_itself():
    scores = _scores([(1, 2025, 20, 30)])
    rows = scores[scores["measure"] == "overall"]

    result = effectiveness.holder_comparison(scores, minimum=5)[0]["result"]

    holders, others = rows[rows["holder"]]["score"], rows[~rows["holder"]]["score"]
    welch = stats.ttest_ind(holders, others, equal_var=False)
    interval = welch.confidence_interval()
    assert result["low"] == pytest.approx(interval.low)
    assert result["high"] == pytest.approx(interval.high)
    assert result["p"] == pytest.approx(welch.pvalue)


def test_sectors_with_fewer_holders_than_the_minimum_are_left_out_and_alone_say_nothing():
    scores = _scores([(1, 2025, 4, 40)])

    entry = effectiveness.holder_comparison(scores, minimum=5)[0]

    assert not entry["enough"] and "result" not in entry
    assert entry["holders"] == 4
    assert "too few organisations to say" in effectiveness.holder_statement(entry, minimum=5)


def test_before_and_after_pairs_each_organisation_with_itself():
    before = [50.0, 52.0, 61.0, 58.0, 70.0, 45.0]
    change = [3.0, 5.0, 4.0, 6.0, 2.0, 4.0]
    rows = []
    for organisation, (score, gain) in enumerate(zip(before, change, strict=True), start=1):
        rows += [
            {"organisation_id": organisation, "sector_id": 1, "year": 2021, "measure": "overall",
             "score": score - 10, "holder": False, "sector": "S"},
            {"organisation_id": organisation, "sector_id": 1, "year": 2022, "measure": "overall",
             "score": score, "holder": False, "sector": "S"},
            {"organisation_id": organisation, "sector_id": 1, "year": 2023, "measure": "overall",
             "score": score, "holder": True, "sector": "S"},
            {"organisation_id": organisation, "sector_id": 1, "year": 2024, "measure": "overall",
             "score": score + gain, "holder": True, "sector": "S"},
        ]  # fmt: skip
    first_year = pd.Series(dict.fromkeys(range(1, 7), 2023))

    pairs = effectiveness.certification_pairs(pd.DataFrame(rows), first_year)
    entry = effectiveness.before_after(pairs, minimum=5)[0]

    result = entry["result"]
    assert result["pairs"] == 6
    assert result["difference"] == pytest.approx(4.0)
    expected = stats.ttest_rel(np.add(before, change), before).confidence_interval()
    assert (result["low"], result["high"]) == pytest.approx((expected.low, expected.high))
    assert result["d_z"] == pytest.approx(4.0 / np.std(change, ddof=1))
    assert result["d_z_low"] < result["d_z"] < result["d_z_high"]
    assert "scored 4.0 points higher after" in effectiveness.before_after_statement(
        entry, minimum=5
    )


def test_pairs_that_all_changed_by_the_same_amount_give_no_effect_size_and_say_so():
    means = np.array([3.2, 3.5, 3.7, 3.8, 4.1])
    before, after = (means - 1) * 25, (means + 0.2 - 1) * 25  # 0 to 100, as stored

    result = effectiveness.paired_difference(before, after)

    assert result["same_change"]
    assert result["difference"] == pytest.approx(5.0)
    assert result["d_z"] is None and result["d_z_low"] is None and result["d_z_high"] is None
    assert result["low"] is None and result["high"] is None and result["p"] is None
    entry = {"measure": "overall", "pairs": 5, "enough": True, "result": result}
    statement = effectiveness.before_after_statement(entry, minimum=5)
    assert "every one of the 5 organisations" in statement
    assert "changed by the same amount: 5.0 points higher after" in statement
    assert "d_z =" not in statement


def test_fewer_pairs_than_the_minimum_give_no_figures():
    pairs = pd.DataFrame(
        {"organisation_id": [1, 2], "measure": ["overall"] * 2, "score_before": [50.0, 60.0],
         "certified": [2023, 2023], "score_after": [55.0, 66.0], "sector_id": [1, 1]}
    )  # fmt: skip

    entry = effectiveness.before_after(pairs, minimum=5)[0]

    assert entry == {"measure": "overall", "pairs": 2, "enough": False}
    assert "too few organisations to say" in effectiveness.before_after_statement(entry, minimum=5)


# Through the database, the refresh and the pages ---------------------------------------


@pytest.fixture
def scored_sector(make_field):
    """Twelve organisations scored in 2025: six holders at 70, six non-holders at 60 (the
    mean on the 1-5 scale is set so that the score is exact), and a little spread."""
    sector = SectorFactory(slug="courts", name="Courts")
    organisations = make_field(sector, [3.8] * 12)
    rows = []
    for index, organisation in enumerate(organisations):
        holder = index < 6
        score = (70 if holder else 60) + (index % 3)
        survey = organisation.surveys.get()
        rows += [
            OrganisationScore(
                organisation=organisation, survey=survey, sector=sector,
                legal_form=organisation.legal_form, year=2025, measure=measure, count=400,
                mean=score / 25 + 1, sd=0.9, satisfied=300, score=score, holder=holder,
            )
            for measure in MEASURES
        ]  # fmt: skip
    OrganisationScore.objects.bulk_create(rows)
    return sector


def test_the_refresh_stores_the_figures_and_the_page_states_them(scored_sector, scheme, login):
    dashboard_figures_refresh(sector=scored_sector, now=timezone.now())
    dashboard_figures_refresh(sector=None, now=timezone.now())

    stored = DashboardFigure.objects.get(
        kind=DashboardFigure.Kind.EFFECTIVENESS, sector=scored_sector, year=2025
    )
    assert stored.data["holders"][0]["result"]["difference"] == pytest.approx(10.0)
    assert DashboardFigure.objects.filter(sector=None, year=0).count() == 2
    client = login(scheme[Role.SCHEME_ANALYST])
    url = reverse("benchmarking:dashboard_effectiveness")
    page = client.get(url, {"sector": "courts", "period": "2025"}).content.decode()
    assert "holders score 10.0 points higher than comparable non-holders" in page
    assert "not proof that certification caused it" in page
    assert "too few organisations to say" in page  # before and after: no pairs
    assert "<svg" in page
    csv = client.get(url, {"sector": "courts", "format": "csv", "table": "holders"})
    assert "Overall satisfaction" in b"".join(csv.streaming_content).decode("utf-8-sig")


def test_no_figures_for_fewer_organisations_than_the_minimum(
    scored_sector, scheme, login, settings
):
    settings.BENCHMARK_MIN_ORGANISATIONS = 7
    dashboard_figures_refresh(sector=scored_sector, now=timezone.now())

    data = DashboardFigure.objects.get(
        kind=DashboardFigure.Kind.EFFECTIVENESS, sector=scored_sector, year=0
    ).data
    assert all(not entry["enough"] and "result" not in entry for entry in data["holders"])
    client = login(scheme[Role.SCHEME_ANALYST])
    page = client.get(reverse("benchmarking:dashboard_effectiveness"), {"sector": "courts"})
    assert "10.0" not in page.content.decode()
    assert "too few organisations to say" in page.content.decode()


@pytest.mark.parametrize("role", [Role.APPLICANT_ADMIN, Role.ASSESSOR, Role.REGULATOR])
def test_anyone_but_the_scheme_unit_gets_404(alpha, login, role):
    client = login(alpha[role])

    assert client.get(reverse("benchmarking:dashboard_effectiveness")).status_code == 404
    assert client.get("/api/dashboards/effectiveness/").status_code == 404


def test_the_api_gives_the_scheme_unit_the_figures_in_plain_words(scored_sector, scheme, login):
    dashboard_figures_refresh(sector=scored_sector, now=timezone.now())
    client = login(scheme[Role.SCHEME_ADMIN])

    answer = client.get("/api/dashboards/effectiveness/", {"sector": "courts", "year": 2025}).json()

    assert answer["kind"] == "effectiveness" and answer["year"] == 2025
    assert answer["statements"][0].startswith("Overall satisfaction: holders score 10.0 points")
    bad = client.get("/api/dashboards/effectiveness/", {"sector": "no-such-sector"})
    assert bad.status_code == 400
