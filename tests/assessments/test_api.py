import pytest

from assessments import services
from assessments.models import Rating, SelfAssessment
from organisations.models import Role

pytestmark = pytest.mark.usefixtures("standard")


def test_a_self_assessment_is_started_rated_and_read_through_the_api(alpha, login):
    client = login(alpha[Role.APPLICANT_EDITOR])
    started = client.post("/api/self-assessments/", {}, content_type="application/json")
    assert started.status_code == 201, started.json()
    ratings = client.get(f"/api/ratings/?self_assessment={started.json()['id']}").json()
    first = ratings["results"][0]
    response = client.patch(
        f"/api/ratings/{first['id']}/",
        {"value": "partial", "narrative": "Working on it", "version": first["version"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["value"] == "partial"
    actions = client.get(f"/api/actions/?self_assessment={started.json()['id']}").json()
    assert actions["count"] == 1


def test_a_stale_version_answers_409_with_the_current_rating(alpha, login):
    draft = services.self_assessment_start(membership=alpha[Role.APPLICANT_ADMIN])
    rating = draft.ratings.first()
    client = login(alpha[Role.APPLICANT_EDITOR])
    url = f"/api/ratings/{rating.pk}/"
    client.patch(url, {"value": "compliant", "version": 0}, content_type="application/json")
    stale = client.patch(url, {"value": "partial", "version": 0}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["current"]["value"] == "compliant"
    assert Rating.objects.get(pk=rating.pk).value == "compliant"


def test_submitting_an_incomplete_draft_answers_400_with_the_reasons(alpha, login):
    draft = services.self_assessment_start(membership=alpha[Role.APPLICANT_ADMIN])
    response = login(alpha[Role.APPLICANT_ADMIN]).post(f"/api/self-assessments/{draft.pk}/submit/")
    assert response.status_code == 400
    assert "not rated yet" in str(response.json())
    assert SelfAssessment.objects.get(pk=draft.pk).is_draft


def test_another_tenant_cannot_read_or_rate(alpha, beta, login):
    draft = services.self_assessment_start(membership=alpha[Role.APPLICANT_ADMIN])
    rating = draft.ratings.first()
    client = login(beta[Role.APPLICANT_ADMIN])
    assert client.get(f"/api/self-assessments/{draft.pk}/").status_code == 404
    assert (
        client.patch(
            f"/api/ratings/{rating.pk}/",
            {"value": "compliant", "version": 0},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.get("/api/ratings/").json()["count"] == 0


def test_absurd_ids_are_refused_not_crashed_on(alpha, login):
    draft = services.self_assessment_start(membership=alpha[Role.APPLICANT_ADMIN])
    rating = draft.ratings.first()
    response = login(alpha[Role.APPLICANT_EDITOR]).patch(
        f"/api/ratings/{rating.pk}/",
        {"value": "compliant", "version": 0, "evidence": [99999999999999999999]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "evidence" in response.json()


def test_an_absurd_review_date_is_a_form_error(alpha, login):
    response = login(alpha[Role.APPLICANT_ADMIN]).post(
        "/evidence/add/?kind=note",
        {
            "title": "Note",
            "text": "Text",
            "review_date_0": "1",
            "review_date_1": "1",
            "review_date_2": "99999999999999999999",
        },
    )
    assert response.status_code == 200
    assert "real date" in response.content.decode()


def test_evidence_is_added_through_the_api_with_clear_errors(alpha, login):
    client = login(alpha[Role.APPLICANT_EDITOR])
    missing = client.post("/api/evidence/", {"title": "Policy", "kind": "link"})
    assert missing.status_code == 400 and "url" in missing.json()
    no_file = client.post("/api/evidence/", {"title": "Scan", "kind": "file"})
    assert no_file.status_code == 400 and "upload" in no_file.json()
    note = client.post("/api/evidence/", {"title": "Minutes", "kind": "note", "text": "Agreed."})
    assert note.status_code == 201 and note.json()["kind"] == "note"
