"""A new applicant completes a self-assessment in the browser, as a person would."""

import re

import pytest

from assessments import services
from assessments.models import RatingValue, SelfAssessment
from organisations.models import Role

from .conftest import assert_accessible
from .test_accessibility import sign_in

pytestmark = pytest.mark.browser


def test_an_applicant_completes_plans_downloads_and_submits(page, standard, alpha):
    admin = alpha[Role.APPLICANT_ADMIN]
    sign_in(page, admin.user.email)
    page.get_by_role("link", name="Assess your service against the standard").click()
    assert_accessible(page)
    page.get_by_role("button", name="Start self-assessment").click()
    assert "Self-assessment, version 1" in page.content()
    assert_accessible(page)

    # Most elements are rated through the service to keep the test short; the
    # person rates the first three in the browser.
    self_assessment = SelfAssessment.objects.get(organisation=alpha.applicant)
    for rating in self_assessment.ratings.select_related("element")[3:]:
        services.rating_save(
            membership=admin,
            rating=rating,
            expected_version=rating.version,
            data=services.RatingInput(RatingValue.COMPLIANT, "", []),
        )

    page.get_by_role("link", name=re.compile(r"^1\. Customer insight")).click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^1\.1 ")).click()
    assert_accessible(page)
    page.get_by_label("Compliant", exact=True).check()
    page.get_by_label("How you meet this element").fill("We profile customers by group.")
    page.get_by_role("button", name="Save and go to the next element").click()
    page.get_by_label("Partial").check()
    page.get_by_role("button", name="Save and go to the next element").click()
    page.get_by_label("Compliance plus").check()
    page.get_by_label("How you meet this element").fill("Our panel co-designs services.")
    page.wait_for_timeout(2500)  # autosave, without pressing the button
    assert "Saved at" in page.locator("[data-autosave-status]").inner_text()

    page.goto(f"/assessments/{self_assessment.pk}/")
    assert_accessible(page)
    assert "Meeting" in page.content()  # one partial in customer insight

    page.get_by_role("link", name="Gap report and action plan").click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Close the gap in 1.2")).click()
    page.get_by_label("Owner").fill("Head of insight")
    page.get_by_role("button", name="Save action").click()
    assert "Head of insight" in page.content()

    page.goto(f"/assessments/{self_assessment.pk}/")
    page.get_by_role("button", name="Build the gap report as a PDF").click()
    page.get_by_role("link", name=re.compile("Download")).wait_for(timeout=20_000)
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download")).click()
    assert download.value.suggested_filename.endswith(".pdf")

    page.goto(f"/assessments/{self_assessment.pk}/submit/")
    assert_accessible(page)
    page.get_by_role("button", name="Submit self-assessment").click()
    assert "is submitted" in page.content()
    assert_accessible(page)
    self_assessment.refresh_from_db()
    assert self_assessment.status == SelfAssessment.Status.SUBMITTED
