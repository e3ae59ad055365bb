import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from awards import case_studies
from awards.models import CaseStudy
from organisations.models import Role, Sector

from ..factories import member


@pytest.fixture
def holder(make_holder):
    return make_holder(
        "Leader Homes", assessments=[(datetime.date(2026, 3, 3), {"*": "compliant"})]
    )


@pytest.fixture
def element(timeliness):
    return timeliness.elements.order_by("position").first()


@pytest.fixture
def reviewer(scheme):
    return scheme[Role.SCHEME_ADMIN]


def _form(criterion, elements=(), **changes):
    return {
        "criterion": criterion.pk,
        "elements": [e.pk for e in elements],
        "title": "Same-day callbacks",
        "summary": "Every call returned the same day.",
        "body": "We changed the rota so someone always answers.",
        "contact": "Customer team, customers@leader.example",
        **changes,
    }


def _write(membership, criterion, elements=(), **changes):
    values = {
        "title": "Same-day callbacks",
        "summary": "Every call returned the same day.",
        "body": "We changed the rota.",
        **changes,
    }
    return case_studies.case_study_create(
        membership=membership,
        data=case_studies.CaseStudyInput(criterion=criterion, elements=list(elements), **values),
    )


def _published(membership, criterion, elements=(), reviewer=None, **changes):
    case_study = _write(membership, criterion, elements, **changes)
    case_studies.case_study_submit(membership=membership, case_study=case_study)
    return case_studies.case_study_approve(membership=reviewer, case_study=case_study)


def test_written_returned_changed_and_approved_it_is_published_and_linked_from_the_element(
    holder, timeliness, element, reviewer, login, client
):
    author = login(holder.admin)
    response = author.post(
        reverse("awards:case_study_create"), _form(timeliness, [element]), follow=True
    )
    case_study = CaseStudy.objects.get()
    assert case_study.status == CaseStudy.Status.DRAFT
    assert "Your draft is saved." in response.content.decode()

    author.post(reverse("awards:case_study_submit", args=[case_study.pk]))
    case_study.refresh_from_db()
    assert case_study.status == CaseStudy.Status.SUBMITTED
    # Waiting: neither public nor changeable.
    assert "Same-day callbacks" not in client.get(reverse("awards:case_studies")).content.decode()

    review_url = reverse("awards:case_study_review", args=[case_study.pk])
    scheme_client = login(reviewer)
    queue = scheme_client.get(reverse("awards:case_study_reviews")).content.decode()
    assert "Same-day callbacks" in queue
    scheme_client.post(review_url, {"decision": "return", "note": "Say how many calls."})

    author = login(holder.admin)
    draft = author.get(reverse("awards:case_study_draft", args=[case_study.pk])).content.decode()
    assert "Say how many calls." in draft
    author.post(
        reverse("awards:case_study_edit", args=[case_study.pk]),
        _form(timeliness, [element], body="We answered 4,000 calls the same day."),
    )
    author.post(reverse("awards:case_study_submit", args=[case_study.pk]))

    login(reviewer).post(review_url, {"decision": "approve", "note": ""})

    case_study.refresh_from_db()
    assert case_study.status == CaseStudy.Status.APPROVED
    assert case_study.published_at is not None
    client.logout()
    library = client.get(reverse("awards:case_studies")).content.decode()
    assert "Same-day callbacks" in library
    page = client.get(reverse("awards:case_study", args=[case_study.pk])).content.decode()
    assert "We answered 4,000 calls the same day." in page
    element_url = reverse("standard:element", args=[timeliness.standard.version, element.code])
    element_page = client.get(element_url).content.decode()
    assert reverse("awards:case_study", args=[case_study.pk]) in element_page


def test_returning_needs_a_note(holder, timeliness, reviewer, login):
    case_study = _write(holder.admin, timeliness)
    case_studies.case_study_submit(membership=holder.admin, case_study=case_study)

    response = login(reviewer).post(
        reverse("awards:case_study_review", args=[case_study.pk]), {"decision": "return"}
    )

    assert "Tell the author what to change." in response.content.decode()
    case_study.refresh_from_db()
    assert case_study.status == CaseStudy.Status.SUBMITTED


def test_a_case_study_waiting_or_published_cannot_be_changed(holder, timeliness, reviewer):
    case_study = _write(holder.admin, timeliness)
    case_studies.case_study_submit(membership=holder.admin, case_study=case_study)
    data = case_studies.CaseStudyInput(timeliness, [], "New title", "New.", "New.")
    with pytest.raises(ValidationError):
        case_studies.case_study_update(membership=holder.admin, case_study=case_study, data=data)
    case_studies.case_study_approve(membership=reviewer, case_study=case_study)
    with pytest.raises(ValidationError):
        case_studies.case_study_update(membership=holder.admin, case_study=case_study, data=data)


def test_an_editor_writes_but_an_internal_assessor_does_not(holder, timeliness):
    editor = member(holder.organisation, Role.APPLICANT_EDITOR)
    assessor = member(holder.organisation, Role.INTERNAL_ASSESSOR)

    assert _write(editor, timeliness).written_by == editor
    with pytest.raises(PermissionDenied):
        _write(assessor, timeliness)


def test_only_holders_of_a_valid_certificate_write_case_studies(make_holder, timeliness, login):
    suspended = make_holder("Suspended Homes", status="suspended")
    with pytest.raises(ValidationError, match="valid certificate"):
        _write(suspended.admin, timeliness)

    page = login(suspended.admin).get(reverse("awards:own_case_studies")).content.decode()
    assert "Once your organisation holds a valid certificate" in page


def test_elements_must_belong_to_the_chosen_criterion(holder, timeliness, standard, login):
    delivery_element = standard.criteria.get(slug="delivery").elements.first()
    with pytest.raises(ValidationError):
        _write(holder.admin, timeliness, [delivery_element])

    response = login(holder.admin).post(
        reverse("awards:case_study_create"), _form(timeliness, [delivery_element])
    )
    assert "Choose elements of the criterion chosen above." in response.content.decode()
    assert not CaseStudy.objects.exists()


def test_only_scheme_administrators_approve(holder, timeliness, scheme, login):
    case_study = _write(holder.admin, timeliness)
    case_studies.case_study_submit(membership=holder.admin, case_study=case_study)
    with pytest.raises(PermissionDenied):
        case_studies.case_study_approve(membership=holder.admin, case_study=case_study)
    analyst = login(scheme[Role.SCHEME_ANALYST])
    review_url = reverse("awards:case_study_review", args=[case_study.pk])
    assert analyst.get(review_url).status_code == 200
    assert analyst.post(review_url, {"decision": "approve"}).status_code == 403
    assert login(holder.admin).get(reverse("awards:case_study_reviews")).status_code == 404


def test_another_organisation_reaches_no_draft(holder, make_holder, timeliness, login, client):
    case_study = _write(holder.admin, timeliness)
    other = login(make_holder("Other Homes").admin)

    for name in ("awards:case_study_draft", "awards:case_study_edit"):
        assert other.get(reverse(name, args=[case_study.pk])).status_code == 404
    assert other.post(reverse("awards:case_study_submit", args=[case_study.pk])).status_code == 404
    assert (
        "Same-day callbacks" not in other.get(reverse("awards:own_case_studies")).content.decode()
    )
    client.logout()
    assert client.get(reverse("awards:case_study", args=[case_study.pk])).status_code == 404


def test_the_library_searches_words_and_filters_by_sector_and_criterion(
    holder, make_holder, timeliness, standard, reviewer, client
):
    health = make_holder("Health Trust", sector=Sector.objects.get(slug="health"))
    _published(holder.admin, timeliness, reviewer=reviewer, title="Same-day callbacks")
    _published(
        health.admin,
        standard.criteria.get(slug="delivery"),
        reviewer=reviewer,
        title="Clinic letters people understand",
        body="Plain English letters.",
    )
    _write(holder.admin, timeliness, title="Unpublished draft")

    def titles(**params):
        page = client.get(reverse("awards:case_studies"), params).content.decode()
        found = {"Same-day callbacks", "Clinic letters people understand", "Unpublished draft"}
        return {title for title in found if title in page}

    assert titles() == {"Same-day callbacks", "Clinic letters people understand"}
    assert titles(q="plain english") == {"Clinic letters people understand"}
    assert titles(q="callbacks leader") == {"Same-day callbacks"}
    assert titles(sector="housing") == {"Same-day callbacks"}
    assert titles(criterion="delivery") == {"Clinic letters people understand"}
    assert titles(q="nothing like this") == set()


def test_the_library_is_paginated(holder, timeliness, reviewer, client):
    for n in range(case_studies.PAGE_SIZE + 1):
        _published(holder.admin, timeliness, reviewer=reviewer, title=f"Practice number {n:02d}")

    first = client.get(reverse("awards:case_studies"), {"q": "practice"}).content.decode()
    second = client.get(reverse("awards:case_studies"), {"q": "practice", "page": 2})

    assert "Page 1 of 2" in first
    assert "q=practice&amp;page=2" in first
    assert "Practice number 00" in second.content.decode()


# The API -------------------------------------------------------------------------------


def test_the_api_shows_the_public_only_published_ones_with_filters(
    holder, timeliness, element, reviewer, client
):
    published = _published(holder.admin, timeliness, [element], reviewer=reviewer)
    _write(holder.admin, timeliness, title="Unpublished draft")

    rows = client.get("/api/case-studies/").json()["results"]
    assert [row["id"] for row in rows] == [published.pk]
    assert rows[0]["elements"] == [element.code]
    assert rows[0]["review_note"] == ""
    for params, count in [
        ({"sector": "housing"}, 1),
        ({"sector": "health"}, 0),
        ({"criterion": "timeliness"}, 1),
        ({"element": element.code}, 1),
        ({"element": "9.9"}, 0),
        ({"search": "rota"}, 1),
        ({"search": "zebra"}, 0),
    ]:
        assert client.get("/api/case-studies/", params).json()["count"] == count, params


def test_a_holder_writes_and_submits_through_the_api_and_sees_its_drafts(
    holder, make_holder, timeliness, element, login
):
    api = login(holder.admin)
    created = api.post(
        "/api/case-studies/",
        {
            "criterion": timeliness.pk,
            "elements": [element.pk],
            "title": "Same-day callbacks",
            "summary": "Every call returned.",
            "body": "We changed the rota.",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert api.get("/api/case-studies/", {"status": "draft"}).json()["count"] == 1

    submitted = api.post(f"/api/case-studies/{pk}/submit/")
    assert submitted.json()["status"] == "submitted"

    other = login(make_holder("Other Homes").admin)
    assert other.get(f"/api/case-studies/{pk}/").status_code == 404
    assert (
        other.patch(f"/api/case-studies/{pk}/", {}, content_type="application/json").status_code
        == 404
    )
    assert other.get("/api/case-studies/").json()["count"] == 0


def test_the_api_refuses_elements_of_another_criterion(holder, timeliness, standard, login):
    delivery_element = standard.criteria.get(slug="delivery").elements.first()
    response = login(holder.admin).post(
        "/api/case-studies/",
        {
            "criterion": timeliness.pk,
            "elements": [delivery_element.pk],
            "title": "T",
            "summary": "S",
            "body": "B",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "elements" in response.json()


def test_approving_records_the_reviewer_and_day(holder, timeliness, reviewer):
    case_study = _published(holder.admin, timeliness, reviewer=reviewer)
    assert case_study.reviewed_by == reviewer
    assert timezone.now() - case_study.published_at < datetime.timedelta(minutes=1)


def test_the_author_changes_a_draft_on_a_form_filled_in_with_it(holder, timeliness, login):
    case_study = _write(holder.admin, timeliness, title="First title")

    page = login(holder.admin).get(reverse("awards:case_study_edit", args=[case_study.pk]))

    assert 'value="First title"' in page.content.decode()
    listing = login(holder.admin).get(reverse("awards:own_case_studies")).content.decode()
    assert "First title" in listing
    assert "Draft" in listing
