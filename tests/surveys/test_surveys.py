"""Setting up a survey, its questions and groups, and the method check."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from organisations.models import Role
from surveys import services
from surveys.models import Response, Survey

TODAY = timezone.localdate()


def survey_input(**changes):
    data = {
        "title": "Customer survey 2026",
        "period_start": datetime.date(2025, 4, 1),
        "period_end": datetime.date(2026, 3, 31),
        "channels": ["online", "telephone"],
        "sampling_approach": "random",
        "mode": "online",
        "population": None,
        "fieldwork_start": TODAY - datetime.timedelta(days=60),
        "fieldwork_end": TODAY - datetime.timedelta(days=30),
        "invited_count": 2000,
        "core_wording_confirmed": True,
        "groups": ["age_band"],
    }
    data.update(changes)
    return services.SurveyInput(**data)


@pytest.fixture
def survey(alpha, standard):
    return services.survey_create(membership=alpha[Role.APPLICANT_ADMIN], data=survey_input())


def add_responses(survey, satisfied, dissatisfied):
    rows = [(5, n) for n in range(satisfied)] + [(2, satisfied + n) for n in range(dissatisfied)]
    Response.objects.bulk_create(
        Response(
            survey=survey,
            respondent_id=f"R{n}",
            source="import",
            overall=value,
            delivery=value,
            timeliness=value,
            information=value,
            professionalism=value,
            staff_attitude=value,
        )
        for value, n in rows
    )
    services.survey_responses_changed(survey=survey)


def reason(survey, rule):
    return next(r for r in services.method_check(survey).reasons if r["rule"] == rule)


def test_a_survey_starts_with_the_core_questions_and_the_chosen_groups(survey):
    assert survey.standard.core_questions.filter(kind="satisfaction").count() == 6
    assert [g.code for g in survey.groups.all()] == ["age_band"]
    assert survey.channels == ["telephone", "online"]
    assert survey.method_meets is False
    assert "No responses yet" in reason(survey, "margin")["message"]


def test_margins_of_error_follow_the_schemes_examples():
    assert round(services.margin_of_error(0.5, 100) * 100, 1) == 9.8
    assert round(services.margin_of_error(0.5, 400) * 100, 1) == 4.9
    # The finite population correction narrows it when most customers answered.
    assert services.margin_of_error(0.5, 400, population=800) < services.margin_of_error(0.5, 400)
    assert services.responses_needed(0.05, None) == 385
    assert services.responses_needed(0.05, 1000) < 385


def test_enough_responses_meet_the_method(survey):
    add_responses(survey, satisfied=300, dissatisfied=100)
    survey.refresh_from_db()
    assert survey.response_count == 400
    assert survey.summary["overall"]["satisfied"] == 300
    assert survey.method_meets is True, services.method_check(survey).reasons
    assert "20.0% of 2,000 invited" in reason(survey, "response_rate")["message"]


def test_too_few_responses_do_not_meet_the_method_and_say_how_many_are_needed(survey):
    add_responses(survey, satisfied=60, dissatisfied=40)
    survey.refresh_from_db()
    assert survey.method_meets is False
    message = reason(survey, "margin")["message"]
    assert "±9.6 points from 100 responses" in message
    assert "about 385 responses" in message


@pytest.mark.parametrize(
    "changes, rule, words",
    [
        ({"fieldwork_end": TODAY - datetime.timedelta(days=400)}, "fieldwork", "more than 12"),
        ({"fieldwork_end": TODAY + datetime.timedelta(days=5)}, "fieldwork", "not ended"),
        ({"fieldwork_end": None}, "fieldwork", "Record when"),
        ({"invited_count": None}, "response_rate", "Record how many"),
        ({"sampling_approach": "self_selected"}, "sampling", "self-selected"),
        ({"core_wording_confirmed": False}, "core_questions", "Confirm"),
    ],
)
def test_each_method_rule_says_what_is_missing(alpha, standard, changes, rule, words):
    data = survey_input(**changes)
    if data.fieldwork_end and data.fieldwork_start and data.fieldwork_end < data.fieldwork_start:
        data.fieldwork_start = None
    survey = services.survey_create(membership=alpha[Role.APPLICANT_ADMIN], data=data)
    add_responses(survey, satisfied=300, dissatisfied=100)
    survey.refresh_from_db()
    assert survey.method_meets is False
    assert reason(survey, rule)["passed"] is False
    assert words in reason(survey, rule)["message"]


def test_impossible_methods_are_refused_by_field(alpha, standard):
    with pytest.raises(ValidationError) as error:
        services.survey_create(
            membership=alpha[Role.APPLICANT_ADMIN],
            data=survey_input(
                channels=[],
                population=100,
                invited_count=500,
                period_end=datetime.date(2025, 1, 1),
            ),
        )
    assert set(error.value.message_dict) == {"channels", "invited_count", "period_end"}


def test_internal_assessors_and_other_tenants_cannot_set_up_surveys(alpha, beta, standard):
    with pytest.raises(PermissionDenied):
        services.survey_create(membership=alpha[Role.INTERNAL_ASSESSOR], data=survey_input())
    with pytest.raises(PermissionDenied):
        services.survey_create(
            membership=beta[Role.APPLICANT_ADMIN], organisation=alpha.applicant, data=survey_input()
        )


def test_questions_cannot_change_once_responses_are_stored(alpha, survey):
    editor = alpha[Role.APPLICANT_EDITOR]
    question = services.question_add(
        membership=editor, survey=survey, wording="Was it easy to find us?", kind="yes_no"
    )
    assert question.code == "was_it_easy_to_find_us"
    group = services.group_add(
        membership=editor, survey=survey, label="Tenure", values=["Owner", "Tenant"]
    )
    add_responses(survey, satisfied=5, dissatisfied=5)
    survey.refresh_from_db()
    with pytest.raises(ValidationError):
        services.question_remove(membership=editor, question=question)
    with pytest.raises(ValidationError):
        services.group_remove(membership=editor, group=group)
    with pytest.raises(ValidationError):
        services.survey_update(
            membership=editor, survey=survey, data=survey_input(includes_importance=True)
        )


def test_a_group_needs_a_name_and_two_answers(alpha, survey):
    with pytest.raises(ValidationError) as error:
        services.group_add(
            membership=alpha[Role.APPLICANT_EDITOR], survey=survey, label=" ", values=["Only"]
        )
    assert set(error.value.message_dict) == {"label", "values"}
    assert services.parse_values("Owner\n\n tenant \nOWNER\nTenant") == ["Owner", "tenant"]


# Pages -----------------------------------------------------------------------------------


def date_parts(name, day):
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


def test_an_editor_sets_up_a_survey_in_the_browser_form(alpha, standard, login):
    client = login(alpha[Role.APPLICANT_EDITOR])
    empty = client.post(reverse("surveys:create"), {"title": ""})
    assert empty.status_code == 200
    page = empty.content.decode()
    assert "There is a problem" in page
    assert "Choose at least one channel the survey covers." in page
    assert "Enter the start of the period." in page
    wrong = client.post(
        reverse("surveys:create"),
        {
            "period_start_0": "31",
            "period_start_1": "2",
            "period_start_2": "2026",
            "period_end_0": "4",
            "period_end_2": "2026",
            "fieldwork_end_0": "x",
            "fieldwork_end_1": "1",
            "fieldwork_end_2": "2026",
        },
    ).content.decode()
    assert "The start of the period must be a real date." in wrong
    assert "The end of the period must include a day, month and year." in wrong
    assert "The day of the end of fieldwork must be a number." in wrong
    response = client.post(
        reverse("surveys:create"),
        {
            "title": "Residents survey",
            **date_parts("period_start", datetime.date(2025, 4, 1)),
            **date_parts("period_end", datetime.date(2026, 3, 31)),
            "channels": ["face_to_face"],
            "sampling_approach": "census",
            "mode": "paper",
            **date_parts("fieldwork_end", TODAY - datetime.timedelta(days=3)),
            "invited_count": "900",
            "core_wording_confirmed": "on",
            "groups": ["disability"],
        },
    )
    survey = Survey.objects.get(title="Residents survey")
    assert response.status_code == 302
    assert response.url == reverse("surveys:questions", args=[survey.pk])
    detail = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert "Does not meet the method yet" in detail
    assert "Face to face" in detail
    assert "Overall, how satisfied or dissatisfied are you" in detail


def test_the_questions_page_adds_a_question_and_a_group(alpha, survey, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    url = reverse("surveys:questions", args=[survey.pk])
    client.post(url, {"question-wording": "Would you recommend us?", "question-kind": "yes_no"})
    client.post(url, {"group-label": "Tenure", "group-values": "Owner\nTenant"})
    page = client.get(url).content.decode()
    assert "Would you recommend us?" in page
    assert "Owner, Tenant" in page
    question = survey.questions.get()
    client.post(reverse("surveys:question_remove", args=[question.pk]))
    assert not survey.questions.exists()


def test_internal_assessors_read_surveys_but_get_no_edit_pages(alpha, survey, login):
    client = login(alpha[Role.INTERNAL_ASSESSOR])
    assert client.get(reverse("surveys:detail", args=[survey.pk])).status_code == 200
    for name in ("surveys:edit", "surveys:questions", "surveys:upload"):
        assert client.get(reverse(name, args=[survey.pk])).status_code == 404
    assert client.get(reverse("surveys:create")).status_code == 404


def test_the_scheme_unit_sees_every_survey(survey, scheme, login):
    client = login(scheme[Role.SCHEME_ANALYST])
    assert survey.title in client.get(reverse("surveys:index")).content.decode()


# API -------------------------------------------------------------------------------------


def test_the_api_sets_up_lists_and_changes_a_survey(alpha, beta, standard, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    body = {
        "title": "API survey",
        "period_start": "2025-04-01",
        "period_end": "2026-03-31",
        "channels": ["online"],
        "sampling_approach": "random",
        "mode": "online",
    }
    created = client.post("/api/surveys/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    survey_id = created.json()["id"]
    assert created.json()["method_meets"] is False
    changed = client.put(
        f"/api/surveys/{survey_id}/",
        {**body, "title": "API survey, renamed", "invited_count": 100},
        content_type="application/json",
    )
    assert changed.json()["title"] == "API survey, renamed"
    bad = client.post("/api/surveys/", {**body, "channels": []}, content_type="application/json")
    assert bad.status_code == 400 and "channels" in bad.json()
    other = login(beta[Role.APPLICANT_ADMIN])
    assert other.get(f"/api/surveys/{survey_id}/").status_code == 404
    assert other.get("/api/surveys/").json()["results"] == []


def test_the_analysis_page_shows_each_chart_with_its_table(alpha, survey, login):
    import numpy as np

    rng = np.random.default_rng(3)
    drivers = np.clip(np.rint(3.5 + rng.normal(0, 1, (300, 5))), 1, 5).astype(int)
    overall = np.clip(np.rint(drivers @ [0.4, 0.3, 0.15, 0.1, 0.05]), 1, 5).astype(int)
    Response.objects.bulk_create(
        Response(
            survey=survey,
            respondent_id=f"R{n}",
            source="import",
            channel="online",
            overall=int(overall[n]),
            **dict(
                zip(
                    ["delivery", "timeliness", "information", "professionalism", "staff_attitude"],
                    map(int, drivers[n]),
                    strict=True,
                )
            ),
        )
        for n in range(300)
    )
    services.survey_responses_changed(survey=survey)
    client = login(alpha[Role.INTERNAL_ASSESSOR])
    page = client.get(reverse("surveys:analysis", args=[survey.pk])).content.decode()
    assert page.count('role="img"') >= 2
    assert "Key drivers of overall satisfaction" in page
    assert "Staff attitude" in page
    assert "There is no earlier survey with responses to compare with." in page


def test_a_survey_stops_meeting_the_method_as_its_fieldwork_ages(survey):
    add_responses(survey, satisfied=300, dissatisfied=100)
    survey.refresh_from_db()
    assert survey.method_meets is True
    later = survey.fieldwork_end + datetime.timedelta(days=400)
    assert services.survey_methods_refresh_all(today=later) == 1
    survey.refresh_from_db()
    assert survey.method_meets is False
    assert services.survey_methods_refresh_all(today=later) == 0


def test_method_reasons_are_given_in_the_readers_language(survey, alpha, login):
    from django.utils import translation

    with translation.override("cy"):
        services.survey_method_refresh(survey=survey)
    page = login(alpha[Role.APPLICANT_ADMIN]).get(reverse("surveys:detail", args=[survey.pk]))
    assert "Record how many customers were invited." not in page.content.decode()
    assert "No responses yet" in page.content.decode()


def test_only_the_organisation_reads_respondent_level_answers(alpha, survey, scheme, login):
    add_responses(survey, satisfied=12, dissatisfied=3)
    analyst = login(scheme[Role.SCHEME_ANALYST])
    analysis_page = analyst.get(reverse("surveys:analysis", args=[survey.pk])).content.decode()
    assert "Build the survey report as a PDF" not in analysis_page
    assert analyst.get(reverse("survey_reports:results_csv", args=[survey.pk])).status_code == 404
    assert analyst.get(f"/api/survey-responses/?survey={survey.pk}").json()["results"] == []
    owner = login(alpha[Role.INTERNAL_ASSESSOR])
    assert len(owner.get(f"/api/survey-responses/?survey={survey.pk}").json()["results"]) == 15
    assert owner.get(reverse("survey_reports:results_csv", args=[survey.pk])).status_code == 200


def test_the_api_refuses_repeated_or_unknown_groups_and_changes_it_cannot_make(
    alpha, survey, login
):
    client = login(alpha[Role.APPLICANT_ADMIN])
    body = {
        "title": "Groups",
        "period_start": "2025-04-01",
        "period_end": "2026-03-31",
        "channels": ["online"],
        "sampling_approach": "random",
        "mode": "online",
    }
    twice = client.post(
        "/api/surveys/",
        {**body, "groups": ["age_band", "age_band"]},
        content_type="application/json",
    )
    assert twice.status_code == 400 and "groups" in twice.json()
    unknown = client.post(
        "/api/surveys/", {**body, "groups": ["shoe_size"]}, content_type="application/json"
    )
    assert unknown.status_code == 400
    put = client.put(
        f"/api/surveys/{survey.pk}/",
        {**body, "groups": ["disability"]},
        content_type="application/json",
    )
    assert put.status_code == 400 and "groups" in put.json()


def test_changing_the_population_refreshes_the_analysis(alpha, survey):
    from surveys import analysis

    add_responses(survey, satisfied=300, dissatisfied=100)
    survey.refresh_from_db()
    before = analysis.cached_survey_analysis(survey)["scores"][0]["margin_points"]
    services.survey_update(
        membership=alpha[Role.APPLICANT_ADMIN], survey=survey, data=survey_input(population=2500)
    )
    survey.refresh_from_db()
    after = analysis.cached_survey_analysis(survey)["scores"][0]["margin_points"]
    assert after < before


def test_answers_added_one_by_one_give_the_same_summary_as_counting_them_all(survey):
    import random

    rng = random.Random(5)
    for n in range(40):
        answers = {
            column: rng.choice([1, 2, 3, 4, 5, None]) for column in ("delivery", "timeliness")
        }
        response = Response.objects.create(
            survey=survey,
            respondent_id=f"web-{n}",
            source="hosted",
            overall=rng.randint(1, 5),
            **answers,
        )
        services.survey_response_added(survey=survey, response=response)
    survey.refresh_from_db()
    counted = services.score_summary(survey.responses.all())
    assert survey.response_count == 40 and counted["total"] == 40
    for column in ("overall", "delivery", "timeliness"):
        for figure in ("count", "satisfied"):
            assert survey.summary[column][figure] == counted[column][figure]
        for figure in ("mean", "sd"):
            assert survey.summary[column][figure] == pytest.approx(counted[column][figure])
