"""Survey analysis on synthetic data with known answers.

The synthetic respondents have five drivers, a little correlated, and an overall
satisfaction that is a weighted sum of them plus noise. Both are discretised to the
1 to 5 scale before they are stored, as real answers are.
"""

import json
from datetime import date

import numpy as np
import pytest
import statsmodels.api as sm
from django.template.loader import render_to_string
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from organisations.models import Role
from surveys import analysis, charts
from surveys.models import SATISFACTION_COLUMNS, SURVEY_DRIVERS, Response
from surveys.services import SurveyInput, survey_create, survey_responses_changed
from tests.factories import SiteFactory

# Weights of delivery, timeliness, information, professionalism and staff attitude.
TRUE_WEIGHTS = np.array([0.45, 0.30, 0.18, 0.10, 0.04])


@pytest.fixture
def admin(alpha, standard):
    return alpha[Role.APPLICANT_ADMIN]


def make_survey(membership, *, title="Customer survey 2025", year=2025, **fields):
    data = SurveyInput(
        title=title,
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        channels=["online", "telephone", "face_to_face"],
        sampling_approach="random",
        mode="online",
        groups=fields.pop("groups", ["age_band", "disability"]),
        **fields,
    )
    return survey_create(membership=membership, data=data)


def synthetic_answers(n, *, seed=7, weights=TRUE_WEIGHTS, noise=0.45, shift=0.0):
    """`n` rows of (overall, five drivers) on 1 to 5."""
    rng = np.random.default_rng(seed)
    correlation = np.full((5, 5), 0.25) + np.eye(5) * 0.75
    latent = rng.multivariate_normal(np.zeros(5), correlation, size=n)
    overall = latent @ weights / np.linalg.norm(weights) + rng.normal(0, noise, n)
    scores = np.column_stack([overall, latent]) + shift
    return np.clip(np.rint(3.4 + scores), 1, 5).astype(int)


def store(survey, answers, *, channels=None, groups=None, prefix="r"):
    rows = []
    for i, row in enumerate(answers):
        rows.append(
            Response(
                survey=survey,
                respondent_id=f"{prefix}{i}",
                source=Response.Source.IMPORT,
                channel=channels[i] if channels else "online",
                groups=groups[i] if groups else {},
                **dict(zip(SATISFACTION_COLUMNS, (int(v) for v in row), strict=True)),
            )
        )
    Response.objects.bulk_create(rows, batch_size=2000)
    survey_responses_changed(survey=survey)
    return survey


def shares(count, satisfied):
    """Answers to the overall question alone, `satisfied` of `count` satisfied."""
    answers = np.full((count, 6), 3)
    answers[:satisfied, 0] = 5
    return answers


@pytest.fixture
def surveyed(admin):
    survey = make_survey(admin)
    return store(survey, synthetic_answers(4000))


# Key-driver analysis ------------------------------------------------------------------


def test_the_kda_recovers_the_order_of_the_true_weights(surveyed):
    kda = analysis.survey_analysis(surveyed)["kda"]

    assert kda["available"] and kda["n"] == 4000
    by_beta = sorted(kda["drivers"], key=lambda d: -d["beta"])
    by_importance = sorted(kda["drivers"], key=lambda d: d["importance_rank"])
    assert [d["column"] for d in by_beta] == SURVEY_DRIVERS
    assert [d["column"] for d in by_importance] == SURVEY_DRIVERS
    assert all(d["significant"] for d in kda["drivers"][:3])


def test_the_kda_r_squared_is_statsmodels_own_on_the_same_rows(surveyed):
    kda = analysis.survey_analysis(surveyed)["kda"]
    rows = np.array(
        Response.objects.filter(survey=surveyed).values_list(*SATISFACTION_COLUMNS), dtype=float
    )

    fit = sm.OLS(rows[:, 0], sm.add_constant(rows[:, 1:])).fit()

    assert abs(kda["r_squared"] - fit.rsquared) < 0.02
    assert kda["r_squared"] == pytest.approx(fit.rsquared, abs=1e-9)
    assert kda["adj_r_squared"] == pytest.approx(fit.rsquared_adj, abs=1e-9)
    p_values = [d["p_value"] for d in kda["drivers"]]
    assert p_values == pytest.approx(list(fit.pvalues[1:]), rel=1e-6, abs=1e-300)


def test_relative_importances_split_r_squared_exactly(surveyed):
    kda = analysis.survey_analysis(surveyed)["kda"]

    total = sum(d["relative_importance"] for d in kda["drivers"])

    assert total == pytest.approx(kda["r_squared"], abs=1e-9)
    assert sum(d["share_of_r_squared_pct"] for d in kda["drivers"]) == pytest.approx(100)
    assert all(d["relative_importance"] > 0 for d in kda["drivers"])


def test_every_driver_has_a_quadrant_and_the_most_urgent_comes_first(admin):
    answers = synthetic_answers(3000)
    # Delivery matters most; make it the least satisfying.
    answers[:, 1] = np.clip(answers[:, 1] - 1, 1, 5)
    kda = analysis.survey_analysis(store(make_survey(admin), answers))["kda"]

    quadrants = {d["column"]: d["quadrant_label"] for d in kda["drivers"]}
    assert quadrants["delivery"] == "Concentrate here"
    assert set(quadrants.values()) <= {
        "Concentrate here",
        "Keep up the good work",
        "Low priority",
        "Possible overkill",
    }
    assert kda["action_order"][0] == "delivery"
    assert sorted(kda["action_order"]) == sorted(SURVEY_DRIVERS)
    assert kda["importance_source"] == "derived"


def test_stated_importance_is_used_when_the_survey_asked_it(admin):
    survey = make_survey(admin, includes_importance=True)
    answers = synthetic_answers(200)
    store(survey, answers)
    Response.objects.filter(survey=survey).update(
        importance_delivery=5,
        importance_timeliness=4,
        importance_information=3,
        importance_professionalism=2,
        importance_staff_attitude=1,
    )
    survey_responses_changed(survey=survey)

    kda = analysis.survey_analysis(survey)["kda"]

    assert kda["importance_source"] == "stated"
    assert [d["importance"] for d in kda["drivers"]] == [5, 4, 3, 2, 1]


def test_too_few_complete_answers_show_why_there_is_no_kda(admin):
    survey = store(make_survey(admin), synthetic_answers(29))

    kda = analysis.survey_analysis(survey)["kda"]

    assert not kda["available"]
    assert "at least 30 respondents who answered all six questions" in kda["reason"]
    assert "this survey has 29" in kda["reason"]


# Scores and their intervals -----------------------------------------------------------


def test_intervals_match_scipy_and_statsmodels_for_a_known_sample(admin):
    answers = synthetic_answers(250, seed=3)
    survey = store(make_survey(admin), answers)

    overall = analysis.survey_analysis(survey)["scores"][0]

    sample = answers[:, 0]
    assert overall["column"] == "overall" and overall["count"] == 250
    assert overall["mean"] == pytest.approx(sample.mean())
    low, high = DescrStatsW(sample).tconfint_mean(alpha=0.05)
    assert (overall["mean_low"], overall["mean_high"]) == pytest.approx((low, high))
    satisfied = int((sample >= 4).sum())
    low, high = proportion_confint(satisfied, 250, alpha=0.05, method="wilson")
    assert overall["satisfied_pct"] == pytest.approx(satisfied / 250 * 100)
    assert (overall["satisfied_pct_low"], overall["satisfied_pct_high"]) == pytest.approx(
        (low * 100, high * 100)
    )
    low, high = proportion_confint(satisfied, 250, alpha=0.05, method="normal")
    assert overall["margin_points"] == pytest.approx((high - low) * 50)
    assert overall["score_100"] == pytest.approx((sample.mean() - 1) * 25)


def test_everyone_satisfied_still_shows_an_interval_below_100(admin):
    survey = store(make_survey(admin), shares(12, 12))

    overall = analysis.survey_analysis(survey)["scores"][0]

    low, _high = proportion_confint(12, 12, alpha=0.05, method="wilson")
    assert overall["satisfied_pct"] == 100
    assert overall["satisfied_pct_low"] == pytest.approx(low * 100)  # about 75.8
    assert overall["satisfied_pct_high"] == 100
    table = render_to_string(
        "surveys/charts/_scores_table.html", {"scores": [overall], "confidence": 95}
    )
    assert "75.8 to 100.0%" in table and "100.0 to 100.0%" not in table


def test_the_margin_of_error_is_not_cut_short_at_100_percent(admin):
    survey = store(make_survey(admin), shares(12, 11))

    overall = analysis.survey_analysis(survey)["scores"][0]

    # The normal interval would reach 107.3%; the margin is its whole half-width.
    share = 11 / 12
    assert overall["margin_points"] == pytest.approx(
        1.959964 * (share * (1 - share) / 12) ** 0.5 * 100
    )
    assert overall["margin_points"] == pytest.approx(15.6, abs=0.05)
    assert overall["satisfied_pct_high"] <= 100


def test_a_share_of_a_half_from_100_responses_is_plus_or_minus_98_points(admin):
    survey = store(make_survey(admin), shares(100, 50))

    overall = analysis.survey_analysis(survey)["scores"][0]

    assert overall["margin_points"] == pytest.approx(9.8, abs=0.05)


def test_the_finite_population_correction_narrows_the_interval(admin):
    answers = shares(400, 240)
    infinite = analysis.survey_analysis(store(make_survey(admin), answers))["scores"][0]
    finite = make_survey(admin, title="Small population", year=2024, population=1000)
    finite = analysis.survey_analysis(store(finite, answers))["scores"][0]

    correction = ((1000 - 400) / 999) ** 0.5
    assert finite["margin_points"] < infinite["margin_points"]
    assert finite["margin_points"] == pytest.approx(infinite["margin_points"] * correction)
    # The Wilson interval shown narrows around the estimate by the same factor.
    low, high = proportion_confint(240, 400, alpha=0.05, method="wilson")
    assert finite["satisfied_pct_low"] == pytest.approx(60 - (60 - low * 100) * correction)
    assert finite["satisfied_pct_high"] == pytest.approx(60 + (high * 100 - 60) * correction)
    assert finite["mean_high"] - finite["mean_low"] < infinite["mean_high"] - infinite["mean_low"]


# Breakdowns ---------------------------------------------------------------------------


@pytest.fixture
def grouped(admin):
    answers = synthetic_answers(120)
    channels = ["online"] * 90 + ["telephone"] * 15 + ["letter"] * 10 + ["face_to_face"] * 5
    ages = ["16-24"] * 60 + ["25-34"] * 42 + ["65-74"] * 10 + ["75 or over"] * 8
    groups = [{"age_band": age, "disability": "No"} for age in ages]
    return store(make_survey(admin), answers, channels=channels, groups=groups)


def _groups(result, key):
    breakdown = next(b for b in result["breakdowns"] if b["key"] == key)
    return {g["value"]: g for g in breakdown["groups"]}


def test_small_groups_are_suppressed_with_no_figures(grouped):
    result = analysis.survey_analysis(grouped)

    channels = _groups(result, "channel")
    assert channels["online"]["count"] == 90 and not channels["online"]["suppressed"]
    assert channels["telephone"]["count"] == 15
    small = channels["face_to_face"]
    assert small == {
        "value": "face_to_face",
        "label": "Face to face",
        "suppressed": True,
        "message": "Fewer than 10 responses",
    }
    ages = _groups(result, "age_band")
    assert ages["16-24"]["scores"][0]["count"] == 60
    assert ages["75 or over"]["suppressed"] and "scores" not in ages["75 or over"]
    assert list(ages) == ["16-24", "25-34", "65-74", "75 or over"]  # the attribute's order


def test_a_small_group_cannot_be_worked_out_from_the_totals(grouped):
    # Face to face (5) is too small; with every other channel shown, the totals less
    # the shown channels would give it away, so the next smallest is hidden too.
    channels = _groups(analysis.survey_analysis(grouped), "channel")
    assert channels["face_to_face"]["suppressed"] and channels["letter"]["suppressed"]
    assert "scores" not in channels["letter"]
    assert not channels["telephone"]["suppressed"]
    ages = _groups(analysis.survey_analysis(grouped), "age_band")
    assert ages["75 or over"]["suppressed"] and ages["65-74"]["suppressed"]
    assert not ages["25-34"]["suppressed"]


def test_a_setting_raises_the_minimum_group_size(grouped, settings):
    settings.SURVEY_MIN_GROUP_SIZE = 20

    channels = _groups(analysis.survey_analysis(grouped), "channel")

    assert channels["telephone"]["suppressed"]
    assert channels["telephone"]["message"] == "Fewer than 20 responses"


def test_a_setting_cannot_lower_the_standards_rule(grouped, settings):
    settings.SURVEY_MIN_GROUP_SIZE = 3

    result = analysis.survey_analysis(grouped)

    assert result["min_group_size"] == 10
    face_to_face = _groups(result, "channel")["face_to_face"]
    assert face_to_face["suppressed"] and "scores" not in face_to_face
    assert face_to_face["message"] == "Fewer than 10 responses"


def test_a_driver_few_answered_is_suppressed_in_a_group(grouped):
    Response.objects.filter(survey=grouped, channel="telephone").exclude(
        respondent_id__in=["r100", "r101"]
    ).update(staff_attitude=None)
    survey_responses_changed(survey=grouped)

    telephone = _groups(analysis.survey_analysis(grouped), "channel")["telephone"]

    by_column = {s["column"]: s for s in telephone["scores"]}
    assert by_column["staff_attitude"]["suppressed"]
    assert not by_column["delivery"]["suppressed"]


def _left_by_subtraction(result, breakdown, column):
    """The answers to `column` left when a breakdown's shown figures are taken from the
    survey's own: what the hidden figures of that column add up to."""
    whole = next(s for s in result["scores"] if s["column"] == column)
    shown = [
        cell
        for group in breakdown["groups"]
        if not group["suppressed"]
        for cell in group["scores"]
        if cell["column"] == column and not cell["suppressed"]
    ]
    return whole["count"] - sum(cell["count"] for cell in shown)


def test_a_question_few_answered_in_a_group_cannot_be_worked_out_by_subtraction(admin):
    # Online 50, telephone 15, but only 3 on the telephone answered staff attitude.
    channels = ["online"] * 50 + ["telephone"] * 15
    survey = store(make_survey(admin), synthetic_answers(65), channels=channels)
    Response.objects.filter(survey=survey, channel="telephone").exclude(
        respondent_id__in=["r50", "r51", "r52"]
    ).update(staff_attitude=None)
    survey_responses_changed(survey=survey)

    result = analysis.survey_analysis(survey)

    whole = {s["column"]: s for s in result["scores"]}["staff_attitude"]
    assert not whole["suppressed"] and whole["count"] == 53
    online, telephone = (
        _groups(result, "channel")["online"],
        _groups(result, "channel")["telephone"],
    )
    online_cells = {s["column"]: s for s in online["scores"]}
    telephone_cells = {s["column"]: s for s in telephone["scores"]}
    assert telephone_cells["staff_attitude"]["suppressed"]
    # Online's figure is hidden too: 53 less nothing gives nothing away.
    assert online_cells["staff_attitude"] == {
        "column": "staff_attitude",
        "label": "Staff attitude",
        "suppressed": True,
        "message": "Fewer than 10 responses",
    }
    assert not online_cells["delivery"]["suppressed"]
    assert not telephone_cells["delivery"]["suppressed"]
    for breakdown in result["breakdowns"]:
        for column in SATISFACTION_COLUMNS:
            left = _left_by_subtraction(result, breakdown, column)
            assert left == 0 or left >= 10, (breakdown["key"], column, left)


def test_no_hidden_figure_of_any_breakdown_can_be_had_by_subtraction(grouped):
    Response.objects.filter(survey=grouped, channel="telephone").exclude(
        respondent_id__in=["r90", "r91"]
    ).update(timeliness=None)
    survey_responses_changed(survey=grouped)

    result = analysis.survey_analysis(grouped)

    for breakdown in result["breakdowns"]:
        for column in SATISFACTION_COLUMNS:
            left = _left_by_subtraction(result, breakdown, column)
            assert left == 0 or left >= 10, (breakdown["key"], column, left)


@pytest.fixture
def sited(alpha, admin):
    civic = alpha.site  # "Alpha Civic Centre"
    library = SiteFactory(organisation=civic.organisation, name="Alpha Library")
    depot = SiteFactory(organisation=civic.organisation, name="Alpha Depot")
    SiteFactory(organisation=civic.organisation, name="Alpha Annexe")  # no responses
    survey = store(make_survey(admin), synthetic_answers(120))
    responses = list(Response.objects.filter(survey=survey).order_by("pk"))
    for response, site in zip(
        responses, [library] * 60 + [civic] * 40 + [depot] * 5 + [None] * 15, strict=True
    ):
        response.site = site
    Response.objects.bulk_update(responses, ["site"])
    survey_responses_changed(survey=survey)
    return survey, civic, library, depot


def test_results_by_site_follow_the_sites_names_with_the_same_suppression(sited):
    survey, civic, library, depot = sited

    result = analysis.survey_analysis(survey)

    breakdown = next(b for b in result["breakdowns"] if b["key"] == "site")
    assert breakdown["label"] == "Site"
    groups = [(g["label"], g.get("count")) for g in breakdown["groups"]]
    # In name order; the depot (5) is too small, and the 15 from no site are hidden
    # with it so that the depot cannot be had from the totals.
    assert groups == [
        ("Alpha Civic Centre", 40),
        ("Alpha Depot", None),
        ("Alpha Library", 60),
        ("Not stated", None),
    ]
    assert _groups(result, "site")[str(depot.pk)]["message"] == "Fewer than 10 responses"
    html = render_to_string("surveys/charts/breakdowns.html", {"analysis": result})
    assert "Share satisfied by site" in html


def test_there_are_no_results_by_site_when_no_response_has_a_site(grouped):
    keys = [b["key"] for b in analysis.survey_analysis(grouped)["breakdowns"]]

    assert keys == ["channel", "age_band", "disability"]


def test_the_breakdowns_take_one_query_each(sited, django_assert_num_queries):
    survey = sited[0]
    with django_assert_num_queries(5):  # the attributes, then channel, site, each attribute
        result = analysis.breakdowns(survey, minimum=10)

    assert [b["key"] for b in result] == ["channel", "site", "age_band", "disability"]


# Change since the last survey ---------------------------------------------------------


def _change(admin, before, now):
    store(make_survey(admin, title="Survey 2024", year=2024), before, prefix="a")
    survey = store(make_survey(admin, title="Survey 2025", year=2025), now, prefix="b")
    return analysis.survey_analysis(survey)["change"]


def test_a_tiny_change_is_within_the_margin_of_error(admin):
    change = _change(admin, shares(400, 280), shares(400, 284))

    overall = change["rows"][0]
    assert change["available"] and change["previous"]["title"] == "Survey 2024"
    assert overall["satisfied_points"] == pytest.approx(1.0)
    assert not overall["real_change"]
    assert overall["statement"] == "up 1.0 points, within the margin of error"


def test_a_large_change_is_a_real_change(admin):
    change = _change(admin, shares(400, 200), shares(400, 300))

    overall = change["rows"][0]
    assert overall["real_change"] and overall["satisfied_p_value"] < 0.001
    assert overall["statement"] == "up 25.0 points, a real change"
    assert overall["satisfied_points_low"] < 25 < overall["satisfied_points_high"]


def test_a_real_change_is_one_whose_interval_shown_leaves_out_zero(admin):
    # 10 of 10 satisfied, then 7 of 10: the pooled z-test's p-value is a little above
    # 0.05, but the interval the chart draws lies wholly below zero.
    change = _change(admin, shares(10, 10), shares(10, 7))

    overall = change["rows"][0]
    assert overall["satisfied_points_high"] < 0
    assert overall["satisfied_p_value"] > 0.05
    assert overall["real_change"]
    assert overall["statement"] == "down 30.0 points, a real change"
    bar = charts.change_chart(change)["rows"][0]
    assert bar["fill"] == bar["stroke"] == charts.RED  # a solid bar, as for a real change
    assert bar["whisker_high"] < charts.change_chart(change)["zero_x"]
    # Everyone gave 5 the first time, so the change in the average has the interval of
    # this time's average, less 5.
    low, high = DescrStatsW(shares(10, 7)[:, 0] - 5.0).tconfint_mean(alpha=0.05)
    assert (overall["mean_difference_low"], overall["mean_difference_high"]) == pytest.approx(
        (low, high)
    )
    assert json.loads(json.dumps(change, allow_nan=False)) == change


def test_the_change_in_means_is_welchs_test_with_its_interval(admin):
    before, now = synthetic_answers(300, seed=1), synthetic_answers(500, seed=2, shift=-0.3)
    overall = _change(admin, before, now)["rows"][0]

    welch = stats.ttest_ind(now[:, 0], before[:, 0], equal_var=False)
    low, high = welch.confidence_interval(0.95)
    assert overall["mean_p_value"] == pytest.approx(welch.pvalue)
    assert (overall["mean_difference_low"], overall["mean_difference_high"]) == pytest.approx(
        (low, high)
    )
    assert overall["statement"].startswith("down ")


def test_without_an_earlier_survey_there_is_no_change(surveyed):
    change = analysis.survey_analysis(surveyed)["change"]

    assert not change["available"]
    assert "no earlier survey" in change["reason"]


# The entry point ----------------------------------------------------------------------


def test_the_analysis_is_plain_json(grouped):
    result = analysis.survey_analysis(grouped)

    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_the_cached_analysis_follows_the_data_version(surveyed, django_assert_num_queries):
    first = analysis.cached_survey_analysis(surveyed)
    with django_assert_num_queries(1):  # only the look-up of the previous survey
        assert analysis.cached_survey_analysis(surveyed) == first

    Response.objects.filter(survey=surveyed, respondent_id="r0").delete()
    survey_responses_changed(survey=surveyed)

    assert analysis.cached_survey_analysis(surveyed)["kda"]["n"] == 3999


def test_drivers_whose_answers_always_move_together_get_no_key_driver_analysis(admin):
    answers = [(v, v, v, v, v, v) for v in [1, 2, 3, 4, 5] * 20]
    survey = store(make_survey(admin), answers)
    kda = analysis.survey_analysis(survey)["kda"]
    assert kda["available"] is False
    assert "cannot separate the drivers" in kda["reason"]
