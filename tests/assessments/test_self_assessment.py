import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessments import services
from assessments.models import Action, PublicCommitment, Rating, RatingValue, SelfAssessment
from assessments.selectors import overview
from organisations.models import Role
from standard.models import Element, Level, Standard

from ..factories import member

C_PLUS, COMPLIANT, PARTIAL, NON = (
    RatingValue.COMPLIANCE_PLUS,
    RatingValue.COMPLIANT,
    RatingValue.PARTIAL,
    RatingValue.NON_COMPLIANT,
)


pytestmark = pytest.mark.usefixtures("standard")


@pytest.fixture
def draft(alpha):
    return services.self_assessment_start(membership=alpha[Role.APPLICANT_ADMIN])


def rate(membership, self_assessment, code, value, narrative=""):
    rating = self_assessment.ratings.get(element__code=code)
    return services.rating_save(
        membership=membership,
        rating=rating,
        data=services.RatingInput(value=value, narrative=narrative, evidence=[]),
        expected_version=rating.version,
    )


def rate_criterion(membership, self_assessment, slug, values):
    codes = list(
        Element.objects.filter(
            criterion__standard=self_assessment.standard, criterion__slug=slug
        ).values_list("code", flat=True)
    )
    for code, value in zip(codes, values, strict=False):
        rate(membership, self_assessment, code, value)
    return codes


def level_of(self_assessment, slug):
    return next(r for r in overview(self_assessment).criteria if r.criterion.slug == slug)


def test_starting_creates_a_rating_row_for_every_element(draft, standard):
    assert draft.ratings.count() == Element.objects.filter(criterion__standard=standard).count()
    assert draft.number == 1 and draft.is_draft


def test_only_one_draft_at_a_time(alpha, draft):
    with pytest.raises(ValidationError, match="already a draft"):
        services.self_assessment_start(membership=alpha[Role.APPLICANT_ADMIN])


def test_levels_follow_the_pass_rule_and_say_what_the_next_level_asks(alpha, draft):
    editor = alpha[Role.APPLICANT_EDITOR]
    codes = rate_criterion(editor, draft, "timeliness", [COMPLIANT] * 8)
    assert level_of(draft, "timeliness").level == Level.STRONG

    rate(editor, draft, codes[0], PARTIAL)
    result = level_of(draft, "timeliness")
    assert result.level == Level.MEETING
    assert codes[0] in " ".join(result.asks)

    rate(editor, draft, codes[1], NON)
    result = level_of(draft, "timeliness")
    assert result.level == Level.DEVELOPING
    assert f"Close the non-compliance in {codes[1]}" in " ".join(result.asks)


def test_too_many_partials_fall_below_the_pass_rule(alpha, draft):
    editor = alpha[Role.APPLICANT_EDITOR]
    rate_criterion(editor, draft, "timeliness", [PARTIAL] * 2 + [COMPLIANT] * 6)
    assert level_of(draft, "timeliness").level == Level.DEVELOPING


def test_strong_with_many_compliance_plus_still_needs_a_survey_to_lead(alpha, draft):
    rate_criterion(alpha[Role.APPLICANT_EDITOR], draft, "timeliness", [C_PLUS] * 8)
    result = level_of(draft, "timeliness")
    assert result.level == Level.STRONG
    assert "survey" in " ".join(result.asks)


def test_two_people_editing_one_element_do_not_overwrite_each_other(alpha, draft):
    first, second = alpha[Role.APPLICANT_ADMIN], alpha[Role.APPLICANT_EDITOR]
    rating = draft.ratings.get(element__code="3.1")
    opened_version = rating.version
    services.rating_save(
        membership=first,
        rating=rating,
        expected_version=opened_version,
        data=services.RatingInput(COMPLIANT, "First words", []),
    )
    with pytest.raises(services.RatingConflict) as conflict:
        services.rating_save(
            membership=second,
            rating=rating,
            expected_version=opened_version,
            data=services.RatingInput(PARTIAL, "Second words", []),
        )
    assert first.user.full_name in conflict.value.messages[0]
    rating.refresh_from_db()
    assert (rating.value, rating.narrative) == (COMPLIANT, "First words")


def test_every_rating_change_is_kept_with_who_and_when(alpha, draft):
    editor = alpha[Role.APPLICANT_EDITOR]
    rate(editor, draft, "2.1", PARTIAL)
    rating = rate(editor, draft, "2.1", COMPLIANT)
    changes = list(rating.changes.order_by("changed_at", "pk"))
    assert [(c.from_value, c.to_value) for c in changes] == [("", PARTIAL), (PARTIAL, COMPLIANT)]
    assert all(c.changed_by == editor.user for c in changes)


def test_a_gap_proposes_an_action_due_within_the_allowed_time(alpha, draft):
    rate(alpha[Role.APPLICANT_EDITOR], draft, "2.2", PARTIAL)
    action = Action.objects.get(self_assessment=draft, element__code="2.2")
    assert action.due_date <= services.partial_action_latest_due(draft.standard)
    rate(alpha[Role.APPLICANT_EDITOR], draft, "2.2", COMPLIANT)
    assert not Action.objects.filter(self_assessment=draft, element__code="2.2").exists()


def test_internal_assessors_review_but_do_not_rate(alpha, draft):
    assessor = alpha[Role.INTERNAL_ASSESSOR]
    with pytest.raises(PermissionDenied):
        rate(assessor, draft, "1.1", COMPLIANT)
    rating = rate(alpha[Role.APPLICANT_EDITOR], draft, "1.1", COMPLIANT)
    with pytest.raises(ValidationError, match="Say why"):
        services.rating_review(membership=assessor, rating=rating, agree=False, comment="")
    services.rating_review(
        membership=assessor, rating=rating, agree=False, comment="No evidence of analysis by group."
    )
    rating.refresh_from_db()
    assert rating.review == Rating.Review.CHALLENGED


def fill(membership, self_assessment, value=COMPLIANT):
    for rating in self_assessment.ratings.all():
        services.rating_save(
            membership=membership,
            rating=rating,
            data=services.RatingInput(value, "", []),
            expected_version=rating.version,
        )


def test_submission_needs_every_element_rated_and_challenges_resolved(alpha, draft):
    editor, assessor = alpha[Role.APPLICANT_EDITOR], alpha[Role.INTERNAL_ASSESSOR]
    with pytest.raises(ValidationError, match="not rated yet"):
        services.self_assessment_submit(membership=editor, self_assessment=draft)
    fill(editor, draft)
    rating = draft.ratings.get(element__code="4.1")
    services.rating_review(membership=assessor, rating=rating, agree=False, comment="Why?")
    with pytest.raises(ValidationError, match="challenges on 4.1"):
        services.self_assessment_submit(membership=editor, self_assessment=draft)
    rate(editor, draft, "4.1", PARTIAL, "Revised after challenge")
    with pytest.raises(ValidationError, match="owner and a due date"):
        services.self_assessment_submit(membership=editor, self_assessment=draft)
    action = Action.objects.get(self_assessment=draft, element__code="4.1")
    too_late = services.partial_action_latest_due(draft.standard) + datetime.timedelta(days=1)
    services.action_update(
        membership=editor,
        action=action,
        description="Fix it",
        owner="Customer services lead",
        due_date=too_late,
        status=Action.Status.IN_PROGRESS,
    )
    with pytest.raises(ValidationError, match="must be due within 3 months"):
        services.self_assessment_submit(membership=editor, self_assessment=draft)
    action.due_date = services.partial_action_latest_due(draft.standard)
    action.save()
    services.self_assessment_submit(membership=editor, self_assessment=draft)
    draft.refresh_from_db()
    assert draft.status == SelfAssessment.Status.SUBMITTED


def test_a_submitted_version_is_frozen_and_the_next_carries_forward(alpha, draft):
    editor = alpha[Role.APPLICANT_EDITOR]
    fill(editor, draft)
    rate(editor, draft, "5.1", C_PLUS, "Our practice")
    services.self_assessment_submit(membership=editor, self_assessment=draft)
    with pytest.raises(ValidationError, match="submitted and cannot change"):
        rate(editor, draft, "5.1", PARTIAL)
    following = services.self_assessment_start(membership=editor)
    assert following.number == 2 and following.based_on == draft
    carried = following.ratings.get(element__code="5.1")
    assert (carried.value, carried.narrative) == (C_PLUS, "Our practice")


def test_carrying_across_versions_of_the_standard_marks_what_changed(alpha):
    admin = alpha[Role.APPLICANT_ADMIN]
    old = services.self_assessment_start(membership=admin, standard=_published("2025"))
    fill(admin, old)
    rate(admin, old, "1.3", PARTIAL)
    for action in old.actions.all():
        services.action_update(
            membership=admin,
            action=action,
            description="Act",
            owner="Lead",
            due_date=services.partial_action_latest_due(old.standard),
            status=Action.Status.PROPOSED,
        )
    services.self_assessment_submit(membership=admin, self_assessment=old)
    new = services.self_assessment_start(membership=admin)
    assert new.standard.version == "2026"
    notes = dict(new.ratings.values_list("element__code", "carry_note"))
    assert "Merged from 1.3, 1.4" in notes["1.3"]
    assert new.ratings.get(element__code="1.3").value == PARTIAL  # the lowest rating is kept
    assert "New in this version" in notes["2.10"]
    assert "Moved from 2.10" in notes["4.10"]
    assert new.actions.filter(element__code="1.3").exists()


def _published(version):
    standard = Standard.objects.get(version=version)
    Standard.objects.filter(pk=standard.pk).update(status=Standard.Status.PUBLISHED)
    standard.refresh_from_db()
    return standard


def test_units_inherit_elements_run_centrally_once_the_headquarters_submits(alpha, draft):
    hq_editor = alpha[Role.APPLICANT_EDITOR]
    rating = draft.ratings.get(element__code="4.2")
    services.rating_save(
        membership=hq_editor,
        rating=rating,
        expected_version=rating.version,
        data=services.RatingInput(C_PLUS, "Central web team", [], True),
    )
    unit_admin = member(alpha.unit, Role.APPLICANT_ADMIN)
    unit_sa = services.self_assessment_start(membership=unit_admin)
    assert rating.element_id not in overview(unit_sa).inherited  # a draft stays the HQ's own

    fill(hq_editor, draft)
    services.rating_save(
        membership=hq_editor,
        rating=draft.ratings.get(pk=rating.pk),
        expected_version=draft.ratings.get(pk=rating.pk).version,
        data=services.RatingInput(C_PLUS, "Central web team", [], True),
    )
    services.self_assessment_submit(membership=hq_editor, self_assessment=draft)
    summary = overview(unit_sa)
    assert summary.ratings[rating.element_id].value == C_PLUS
    assert rating.element_id in summary.inherited
    with pytest.raises(ValidationError, match="run centrally"):
        rate(unit_admin, unit_sa, "4.2", PARTIAL)

    for other in unit_sa.ratings.exclude(element_id=rating.element_id):
        services.rating_save(
            membership=unit_admin,
            rating=other,
            expected_version=other.version,
            data=services.RatingInput(COMPLIANT, "", []),
        )
    services.self_assessment_submit(membership=unit_admin, self_assessment=unit_sa)
    # The headquarters' next version changes nothing in the unit's submitted one.
    following = services.self_assessment_start(membership=alpha[Role.APPLICANT_ADMIN])
    rate(hq_editor, following, "4.2", NON)
    unit_sa.refresh_from_db()
    assert overview(unit_sa).ratings[rating.element_id].value == C_PLUS


def test_a_review_holds_only_for_the_rating_reviewed(alpha, draft):
    editor, assessor = alpha[Role.APPLICANT_EDITOR], alpha[Role.INTERNAL_ASSESSOR]
    rating = rate(editor, draft, "1.1", COMPLIANT)
    services.rating_review(membership=assessor, rating=rating, agree=True, comment="")
    rating = rate(editor, draft, "1.1", NON)
    assert rating.review == Rating.Review.NONE
    services.rating_review(membership=assessor, rating=rating, agree=False, comment="Why?")
    rating = rate(editor, draft, "1.1", NON)  # saved unchanged: the challenge stands
    assert rating.review == Rating.Review.CHALLENGED
    rating = rate(editor, draft, "1.1", NON, "Now explained")
    assert rating.review == Rating.Review.REVISED


def test_a_review_of_a_rating_that_changed_meanwhile_is_refused(alpha, draft):
    rating = rate(alpha[Role.APPLICANT_EDITOR], draft, "1.1", COMPLIANT)
    seen = rating.version
    rate(alpha[Role.APPLICANT_EDITOR], draft, "1.1", PARTIAL)
    with pytest.raises(ValidationError, match="changed while you were reviewing"):
        services.rating_review(
            membership=alpha[Role.INTERNAL_ASSESSOR],
            rating=rating,
            agree=True,
            comment="",
            expected_version=seen,
        )


def test_a_carried_gap_whose_action_was_done_gets_a_new_one(alpha, draft):
    editor = alpha[Role.APPLICANT_EDITOR]
    fill(editor, draft)
    rate(editor, draft, "3.3", PARTIAL)
    action = Action.objects.get(self_assessment=draft, element__code="3.3")
    services.action_update(
        membership=editor,
        action=action,
        description="Done",
        owner="Lead",
        due_date=services.partial_action_latest_due(draft.standard),
        status=Action.Status.DONE,
    )
    services.self_assessment_submit(membership=editor, self_assessment=draft)
    following = services.self_assessment_start(membership=editor)
    assert following.actions.filter(element__code="3.3", status="proposed").exists()


def test_the_programme_page_is_for_the_programme_only(alpha, draft, login):
    editor = alpha[Role.APPLICANT_EDITOR]
    fill(editor, draft)
    services.self_assessment_submit(membership=editor, self_assessment=draft)
    services.self_assessment_share(
        membership=alpha[Role.APPLICANT_ADMIN],
        self_assessment=draft,
        certification_body=alpha.certification_body,
        purpose="Initial",
    )
    url = reverse("assessments:programme", args=[draft.pk])
    assert login(alpha[Role.APPLICANT_ADMIN]).get(url).status_code == 200
    assert login(alpha[Role.ASSESSOR]).get(url).status_code == 404


def test_a_shared_submission_is_visible_to_that_certification_body_only(alpha, beta, draft):
    editor = alpha[Role.APPLICANT_EDITOR]
    fill(editor, draft)
    services.self_assessment_submit(membership=editor, self_assessment=draft)
    body_a, body_b = alpha[Role.ASSESSOR], beta[Role.ASSESSOR]
    assert not SelfAssessment.objects.visible_to(body_a).exists()
    services.self_assessment_share(
        membership=alpha[Role.APPLICANT_ADMIN],
        self_assessment=draft,
        certification_body=alpha.certification_body,
        purpose="Initial assessment 2027",
    )
    assert list(SelfAssessment.objects.visible_to(body_a)) == [draft]
    assert Rating.objects.visible_to(body_a).count() == draft.ratings.count()
    assert not SelfAssessment.objects.visible_to(body_b).exists()


def test_drafts_cannot_be_shared(alpha, draft):
    with pytest.raises(ValidationError, match="Submit the self-assessment"):
        services.self_assessment_share(
            membership=alpha[Role.APPLICANT_ADMIN],
            self_assessment=draft,
            certification_body=alpha.certification_body,
            purpose="Too early",
        )


def test_the_element_page_saves_and_answers_409_on_a_stale_version(alpha, draft, login):
    client = login(alpha[Role.APPLICANT_EDITOR])
    url = reverse("assessments:element", args=[draft.pk, "3.2"])
    ok = client.post(
        url,
        {"value": COMPLIANT, "narrative": "We track it", "version": 0},
        HTTP_ACCEPT="application/json",
    )
    assert ok.status_code == 200 and ok.json()["version"] == 1
    stale = client.post(
        url, {"value": PARTIAL, "narrative": "Stale", "version": 0}, HTTP_ACCEPT="application/json"
    )
    assert stale.status_code == 409
    assert "nothing of yours was saved" in stale.json()["error"]
    page = client.post(url, {"value": PARTIAL, "narrative": "Stale", "version": 0})
    assert page.status_code == 409
    assert "What you had entered" in page.content.decode()


def test_a_bad_rating_value_is_refused_clearly(alpha, draft, login):
    client = login(alpha[Role.APPLICANT_EDITOR])
    url = reverse("assessments:element", args=[draft.pk, "3.2"])
    response = client.post(url, {"value": "excellent", "version": 0})
    assert "Select a valid choice" in response.content.decode()
    assert draft.ratings.get(element__code="3.2").value == ""


def test_public_commitment_is_made_and_withdrawn(alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    response = client.post(
        reverse("assessments:commitment"), {"statement": "We are working towards it."}
    )
    assert response.status_code == 302, response.content.decode()
    commitment = PublicCommitment.objects.get(organisation=alpha.applicant)
    assert commitment.is_active
    client.post(reverse("assessments:commitment"), {"withdraw": "1"})
    commitment.refresh_from_db()
    assert not commitment.is_active


def test_only_applicants_have_a_commitment_page(alpha, login):
    assert login(alpha[Role.CB_MANAGER]).get(reverse("assessments:commitment")).status_code == 404
