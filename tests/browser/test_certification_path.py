"""The whole certification path as the people involved walk it: an application, the plan
with its sampled sites, a visit, findings, the report PDF, an independent decision, the
certificate, its register entry and the public certificate check."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.test import Client

from certification.models import Certificate, Engagement
from organisations.middleware import SESSION_KEY
from organisations.models import Role

from ..certification.conftest import accredit, competent, record_all_findings
from ..factories import SiteFactory, member
from .conftest import assert_accessible
from .test_accessibility import sign_in

pytestmark = pytest.mark.browser


def act_as(page, membership, base_url):
    """Sign `membership`'s person in for the page, past the password and second factor
    (the sign-in pages themselves are walked in test_accessibility)."""
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": base_url,
            }
        ]
    )


def fill_date(page, name, day):
    for part, value in enumerate((day.day, day.month, day.year)):
        page.locator(f"#id_{name}_{part}").fill(str(value))


def test_an_application_becomes_a_certificate_anyone_can_check(
    page, standard, alpha, tmp_path, settings, live_server
):
    settings.MEDIA_ROOT = tmp_path
    body = alpha.certification_body
    accredit(body)
    sector = alpha.applicant.sector
    lead = competent(alpha[Role.ASSESSOR], sector)
    deputy = member(body, Role.CB_MANAGER, email="deputy@alpha.example")
    alpha.site.is_central_function = True
    alpha.site.save()
    for n in range(8):
        SiteFactory(organisation=alpha.applicant, name=f"Alpha Library {n + 1}")

    # The applicant applies.
    sign_in(page, alpha[Role.APPLICANT_ADMIN].user.email)
    page.get_by_role("link", name="Certification", exact=True).click()
    assert_accessible(page)
    page.get_by_role("link", name="Apply for certification").click()
    page.get_by_role("button", name="Send application").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)
    page.get_by_label(body.name).check()
    page.get_by_role("button", name="Send application").click()
    assert "Waiting for the certification body" in page.content()
    application_url = page.url

    # The body's manager accepts and plans: the sample follows the rules, with reasons.
    act_as(page, alpha[Role.CB_MANAGER], live_server.url)
    page.goto(application_url)
    assert_accessible(page)
    page.get_by_label("Accept").check()
    page.get_by_role("button", name="Send answer").click()
    page.get_by_role("link", name="Plan an assessment").click()
    page.get_by_label("Initial assessment").check()
    page.get_by_label("Assessor days").fill("3.5")
    fill_date(page, "starts_on", datetime.date.today())
    page.get_by_role("button", name="Save and compute the plan").click()
    assert_accessible(page)
    sites = page.locator("table", has_text="Sites to visit").inner_text()
    assert "Central function, visited every time" in sites
    assert "Chosen at random" in sites
    # Nine sites (eight libraries and the unit's office) besides the central function.
    assert "9 sites besides the central function; initial assessment: √x gives 3." in (
        page.content()
    )
    engagement_url = page.url
    page.get_by_role("link", name="Name the team").click()
    page.get_by_label(f"{lead.user} (Assessor)").first.check()
    page.get_by_role("button", name="Save the team").click()
    assert_accessible(page)

    # The lead assessor records a visit and a finding (saved as they type).
    act_as(page, lead, live_server.url)
    page.goto(engagement_url)
    page.get_by_role("link", name="Record a site visit").click()
    assert_accessible(page)
    page.get_by_label("Site", exact=True).select_option(label=alpha.site.name)
    fill_date(page, "visited_on", datetime.date.today())
    page.get_by_label("Hours on site").fill("6")
    page.get_by_label("Customers spoken to").fill("9")
    page.get_by_label("Observations").fill("Waiting times shown at the counter.")
    page.get_by_role("button", name="Save the visit").click()
    assert "Waiting times shown" in page.content()
    page.get_by_role("link", name="1.1 ", exact=False).first.click()
    assert_accessible(page)
    page.get_by_label("Compliant", exact=True).check()
    page.get_by_label("What you found").fill("Customer segments are mapped and reviewed.")
    page.wait_for_selector("text=Saved at")
    engagement = Engagement.objects.get()
    assert engagement.findings.get(element__code="1.1").rating == "compliant"
    record_all_findings(engagement, lead_body(alpha, lead, deputy))
    page.goto(engagement_url)
    page.get_by_role("link", name="Report for decision").click()
    page.get_by_label("Summary of the assessment").fill("A service that knows its customers.")
    page.get_by_role("button", name="Report for decision").click()
    assert "Report ready for decision" in page.content()

    # The report PDF is built in the background.
    # Tasks run in process here, so the click waits while the PDF is built.
    page.get_by_role("button", name="Build the assessment report (PDF)").click(timeout=60_000)
    page.wait_for_selector("text=Download", timeout=60_000)
    assert_accessible(page)

    # Someone off the team decides; the certificate follows.
    act_as(page, deputy, live_server.url)
    page.goto(engagement_url)
    page.get_by_role("link", name="Make the decision").click()
    assert_accessible(page)
    page.get_by_label("Certify", exact=True).check()
    page.get_by_label("Reasons").fill("Every criterion meets the pass rule.")
    page.get_by_role("button", name="Record the decision").click()
    certificate = Certificate.objects.get()
    page.get_by_role("link", name="See the certificate").click()
    assert certificate.number in page.content()
    assert_accessible(page)

    # The public finds the holder and checks the certificate.
    page.context.clear_cookies()
    page.goto("/register/")
    assert_accessible(page)
    page.get_by_label("Search by name").fill("Alpha Borough")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=alpha.applicant.name).click()
    assert certificate.number in page.content()
    assert_accessible(page)
    page.goto("/register/check/")
    page.get_by_label("Certificate number").fill(certificate.number)
    page.get_by_role("button", name="Check").click()
    assert page.locator(".govuk-panel__title").inner_text() == "Valid"
    assert_accessible(page)


def lead_body(alpha, lead, deputy):
    from ..certification.conftest import Body

    return Body(alpha[Role.CB_MANAGER], lead, lead, deputy)
