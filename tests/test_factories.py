"""The factories build states the services could have produced: each is read back by
the code that reads the real thing, and refused where the services would refuse it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments.models import SelfAssessment
from certification import reminders
from certification.models import Certificate, Engagement, Notice
from surveys.models import Response
from surveys.services import score_summary

from .factories.assessments import SelfAssessmentFactory
from .factories.certification import CertificateFactory, EngagementFactory, NoticeFactory
from .factories.surveys import SurveyFactory
from .surveys.test_analysis import synthetic_answers


def test_a_submitted_self_assessment_has_an_owned_action_for_each_gap(standard):
    submitted = SelfAssessmentFactory(
        status=SelfAssessment.Status.SUBMITTED,
        ratings={"*": "compliant", "1.1": "partial", "1.2": "non_compliant"},
    )

    assert submitted.ratings.count() == sum(c.elements.count() for c in standard.criteria.all())
    actions = {a.element.code: a for a in submitted.actions.select_related("element")}
    assert sorted(actions) == ["1.1", "1.2"]
    assert all(a.owner and a.due_date for a in actions.values())


def test_a_self_assessment_the_submission_check_would_refuse_is_not_built(standard):
    with pytest.raises(ValidationError, match="Rate every element"):
        SelfAssessmentFactory(status=SelfAssessment.Status.SUBMITTED, ratings={"1.1": "compliant"})


def test_a_second_draft_of_one_organisation_is_refused(standard):
    draft = SelfAssessmentFactory()

    with pytest.raises(ValidationError):
        SelfAssessmentFactory(organisation=draft.organisation)


def test_a_surveys_summary_is_the_surveys_apps_own_of_its_responses(standard):
    survey = SurveyFactory(answers=synthetic_answers(120))

    assert survey.response_count == 120
    assert survey.summary == score_summary(Response.objects.filter(survey=survey))
    assert survey.method_meets is not None


def test_an_engagement_has_the_plans_scope_and_a_finding_for_each_element(standard):
    engagement = EngagementFactory(findings={"*": "compliant", "2.1": "partial"})

    planned = set(engagement.elements.values_list("element__code", flat=True))
    assert planned and planned == set(engagement.findings.values_list("element__code", flat=True))
    assert engagement.findings.get(element__code="2.1").action.due_date
    assert not engagement.findings.filter(rating="").exists()


def test_a_certificate_is_on_the_register_with_its_decision_and_history(client, standard):
    certificate = CertificateFactory(findings={"*": "compliant"})

    assert certificate.holder_name == certificate.holder.name
    decision = certificate.decisions.get()
    assert decision.engagement.status == Engagement.Status.DECIDED
    assert list(certificate.events.values_list("kind", "decision")) == [("issued", decision.pk)]
    response = client.get(reverse("register:check"), {"number": certificate.number})
    assert response.status_code == 200
    assert certificate.holder_name in response.content.decode()


def test_a_certificate_on_an_assessment_with_an_unrated_element_is_refused(standard):
    with pytest.raises(ValidationError, match="Findings missing"):
        CertificateFactory(findings={"1.1": "compliant"})


def test_the_sweep_does_not_send_a_reminder_again_after_a_notice(standard):
    certificate = CertificateFactory(
        next_review_due=timezone.localdate() + datetime.timedelta(days=80)
    )
    notice = NoticeFactory(certificate=certificate)

    assert (notice.stage, notice.days_before) == (Notice.Stage.REMINDER, 90)
    assert reminders.review_sweep()["reminder_90"] == 0
    assert certificate.events.filter(kind="reminded").count() == 1


def test_a_suspension_notice_leaves_the_certificate_suspended(standard):
    notice = NoticeFactory(stage=Notice.Stage.SUSPENDED)

    notice.certificate.refresh_from_db()
    assert notice.certificate.status == Certificate.Status.SUSPENDED
    assert notice.days_before == 0
