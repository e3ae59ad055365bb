import re

import pytest

from organisations.models import Role

from ..factories import PASSWORD, UserFactory
from .conftest import assert_accessible

pytestmark = pytest.mark.browser


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.wait_for_load_state()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/cy/",
        "/accounts/login/",
        "/accounts/signup/",
        "/standard/2026/",
        "/standard/2026/criteria/information-and-access/",
        "/standard/2026/elements/4.6/",
        "/standard/compare/?old=2025&new=2026",
        "/cookies/",
        "/accessibility/",
    ],
)
def test_public_pages_have_no_accessibility_failures(page, standard, path):
    page.goto(path)
    assert page.locator("h1").count() == 1
    assert_accessible(page)


def test_a_newcomer_signs_in_registers_their_organisation_and_adds_a_site(page, standard):
    UserFactory(email="newcomer@lakeside.example.gov.uk")
    sign_in(page, "newcomer@lakeside.example.gov.uk")
    assert "not yet part of an organisation" in page.content()
    page.get_by_role("link", name="Register your organisation").click()
    assert_accessible(page)

    page.get_by_role("button", name="Register organisation").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)

    page.get_by_label("Name").fill("Lakeside District Council")
    page.get_by_label("Sector").select_option(label="Local government")
    page.get_by_label("Region").select_option(label="North West")
    page.get_by_label("Number of employees").fill("850")
    page.get_by_role("button", name="Register organisation").click()
    assert "Lakeside District Council is registered" in page.content()
    assert_accessible(page)

    page.get_by_role("link", name="Add the sites where you serve customers").click()
    page.get_by_label("Name").fill("Town Hall")
    page.get_by_label("Address").fill("1 Market Square\nLakeside")
    page.get_by_role("button", name="Save site").click()
    assert "Town Hall" in page.content()
    assert_accessible(page)


def test_an_admin_invites_a_colleague_accessibly(page, alpha):
    sign_in(page, alpha[Role.APPLICANT_ADMIN].user.email)
    page.get_by_role("link", name=re.compile("Manage your team")).click()
    assert_accessible(page)
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_role("button", name="Send invitation").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)


def test_two_factor_setup_is_accessible(page, db):
    from organisations.models import Membership, Organisation

    from ..factories import OrganisationFactory

    body = OrganisationFactory(kind=Organisation.Kind.CERTIFICATION_BODY, sector=None)
    user = UserFactory(email="new.assessor@body.example")
    Membership.objects.create(user=user, organisation=body, role=Role.ASSESSOR)
    sign_in(page, user.email)
    assert "/2fa/" in page.url or "reauthenticate" in page.url
    assert_accessible(page)


def test_a_person_in_two_organisations_switches_between_them_accessibly(page, alpha):
    from organisations.services import membership_create

    editor = alpha[Role.APPLICANT_EDITOR]
    membership_create(user=editor.user, organisation=alpha.unit, role=Role.APPLICANT_ADMIN)
    sign_in(page, editor.user.email)
    page.get_by_role("link", name="Switch organisation").click()
    assert page.get_by_role("heading", level=1).is_visible()
    assert_accessible(page)

    page.get_by_role(
        "button", name=re.compile(f"Act for this organisation {alpha.unit.name}")
    ).click()
    page.wait_for_load_state()

    assert f"Acting for {alpha.unit.name}" in " ".join(
        page.locator(".app-switcher").inner_text().split()
    )
    assert_accessible(page)
