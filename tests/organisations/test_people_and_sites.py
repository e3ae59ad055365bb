from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from organisations.models import Invitation, Membership, Organisation, Role, Site

from ..factories import PASSWORD, OrganisationFactory, SectorFactory, UserFactory, member


def test_a_new_person_registers_their_organisation_and_becomes_its_admin(client, db):
    sector = SectorFactory()
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("organisation_register"),
        {
            "name": "Lakeside District Council",
            "sector": sector.pk,
            "region": "north-west",
            "legal_form": "public",
            "employee_count": 900,
        },
        follow=True,
    )
    organisation = Organisation.objects.get(name="Lakeside District Council")
    assert organisation.kind == Organisation.Kind.APPLICANT
    assert Membership.objects.get(user=user).role == Role.APPLICANT_ADMIN
    assert "Lakeside District Council is registered" in response.content.decode()


def test_registering_without_a_sector_says_what_is_missing(client, db):
    client.force_login(UserFactory())
    response = client.post(reverse("organisation_register"), {"name": "No Sector Trust"})
    page = response.content.decode()
    assert "There is a problem" in page
    assert "<title>Error:" in page
    assert not Organisation.objects.exists()


def test_someone_without_an_organisation_is_sent_to_register_one(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("organisation_detail", args=[1]))
    assert response.url == reverse("organisation_register")


def test_an_admin_adds_changes_and_deletes_a_site(alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    add = reverse("site_add", args=[alpha.applicant.pk])
    client.post(
        add,
        {
            "name": "Harbour Office",
            "address": "2 Quay Road",
            "region": "london",
            "employee_count": 12,
            "is_central_function": "on",
        },
    )
    site = Site.objects.get(name="Harbour Office")
    assert site.is_central_function
    assert (
        not Site.objects.filter(organisation=alpha.applicant, is_central_function=True)
        .exclude(pk=site.pk)
        .exists()
    )
    client.post(
        reverse("site_edit", args=[site.pk]),
        {"name": "Harbour House", "address": "2 Quay Road", "employee_count": 14},
    )
    site.refresh_from_db()
    assert (site.name, site.employee_count) == ("Harbour House", 14)
    client.post(reverse("site_delete", args=[site.pk]))
    assert not Site.objects.filter(pk=site.pk).exists()


def test_a_duplicate_site_name_is_refused_with_a_clear_message(alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    response = client.post(
        reverse("site_add", args=[alpha.applicant.pk]),
        {"name": alpha.site.name.upper(), "address": "Elsewhere", "employee_count": 1},
    )
    assert "already has a site with that name" in response.content.decode()
    assert Site.objects.filter(organisation=alpha.applicant).count() == 1


def test_an_editor_cannot_change_sites_or_invite(alpha, login):
    client = login(alpha[Role.APPLICANT_EDITOR])
    response = client.post(reverse("site_delete", args=[alpha.site.pk]))
    assert response.status_code == 403
    assert Site.objects.filter(pk=alpha.site.pk).exists()
    response = client.post(
        reverse("members", args=[alpha.applicant.pk]),
        {"email": "x@example.gov.uk", "role": Role.APPLICANT_EDITOR},
    )
    assert response.status_code == 403


def test_an_invited_colleague_gets_an_email_and_joins_in_the_chosen_role(
    alpha, login, client, django_capture_on_commit_callbacks
):
    admin = login(alpha[Role.APPLICANT_ADMIN])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            reverse("members", args=[alpha.applicant.pk]),
            {"email": "Sam.Jones@Example.gov.uk", "role": Role.INTERNAL_ASSESSOR},
        )
    invitation = Invitation.objects.get(email="sam.jones@example.gov.uk")
    assert len(mail.outbox) == 1
    link = reverse("invitation_accept", args=[invitation.token])
    assert link in mail.outbox[0].body

    newcomer = UserFactory(email="sam.jones@example.gov.uk")
    client.force_login(newcomer)
    client.post(link)
    membership = Membership.objects.get(user=newcomer)
    assert (membership.organisation, membership.role) == (alpha.applicant, Role.INTERNAL_ASSESSOR)
    assert client.get(link).status_code == 410


def test_an_invitation_cannot_be_taken_by_someone_else(alpha, client):
    client.force_login(UserFactory(email="other@example.gov.uk"))
    response = client.post(reverse("invitation_accept", args=[alpha.invitation.token]))
    assert "was sent to newcomer@alpha.example" in response.content.decode()
    assert not Membership.objects.filter(user__email="other@example.gov.uk").exists()


def test_an_expired_or_withdrawn_invitation_cannot_be_used(alpha, login, client):
    Invitation.objects.filter(pk=alpha.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert (
        client.get(reverse("invitation_accept", args=[alpha.invitation.token])).status_code == 410
    )
    admin = login(alpha[Role.APPLICANT_ADMIN])
    admin.post(reverse("invitation_revoke", args=[alpha.invitation.pk]))
    alpha.invitation.refresh_from_db()
    assert alpha.invitation.revoked_at is not None


def test_an_invitation_followed_before_signing_in_is_picked_up_after(alpha, client):
    link = reverse("invitation_accept", args=[alpha.invitation.token])
    assert "Sign in, or create an account" in client.get(link).content.decode()
    UserFactory(email="newcomer@alpha.example")
    response = client.post(
        reverse("account_login"), {"login": "newcomer@alpha.example", "password": PASSWORD}
    )
    assert response.url == link


def test_an_organisation_keeps_at_least_one_admin(alpha, login):
    admin = alpha[Role.APPLICANT_ADMIN]
    client = login(admin)
    response = client.post(reverse("membership_edit", args=[admin.pk]), {"remove": "1"})
    assert "at least one administrator" in response.content.decode()
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_an_admin_changes_a_colleagues_role(alpha, login):
    editor = alpha[Role.APPLICANT_EDITOR]
    login(alpha[Role.APPLICANT_ADMIN]).post(
        reverse("membership_edit", args=[editor.pk]), {"role": Role.INTERNAL_ASSESSOR}
    )
    editor.refresh_from_db()
    assert editor.role == Role.INTERNAL_ASSESSOR


def test_a_person_in_two_organisations_switches_between_them(alpha, beta, login):
    person = alpha[Role.APPLICANT_EDITOR]
    second = Membership.objects.create(
        user=person.user, organisation=beta.applicant, role=Role.APPLICANT_EDITOR
    )
    client = login(person)
    assert "Acting for" in client.get(reverse("home")).content.decode()
    assert client.get(reverse("organisation_detail", args=[beta.applicant.pk])).status_code == 404
    client.post(reverse("switch"), {"membership": second.pk})
    assert client.get(reverse("organisation_detail", args=[beta.applicant.pk])).status_code == 200
    assert client.get(reverse("organisation_detail", args=[alpha.applicant.pk])).status_code == 404


def test_nobody_can_switch_into_someone_elses_membership(alpha, beta, login):
    client = login(alpha[Role.APPLICANT_EDITOR])
    assert (
        client.post(reverse("switch"), {"membership": beta[Role.APPLICANT_ADMIN].pk}).status_code
        == 404
    )


@pytest.mark.parametrize(
    "role, expected",
    [
        (Role.APPLICANT_ADMIN, "Manage your team of 3"),
        (Role.APPLICANT_EDITOR, "See your organisation"),
        (Role.CB_MANAGER, "assessors and managers"),
        (Role.REGULATOR, "once they consent"),
    ],
)
def test_each_role_is_told_what_to_do_next(role, expected, alpha, login):
    page = login(alpha[role]).get(reverse("home")).content.decode()
    assert "What to do next" in page
    assert expected in page


def test_certification_and_scheme_people_must_set_up_two_factor(client, db):
    body = OrganisationFactory(kind=Organisation.Kind.CERTIFICATION_BODY, sector=None)
    user = UserFactory()
    Membership.objects.create(user=user, organisation=body, role=Role.ASSESSOR)
    client.force_login(user)
    assert client.get(reverse("home")).url == reverse("mfa_activate_totp")
    assert client.get("/api/organisations/").status_code == 403
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] in (
        reverse("mfa_activate_totp"),
        reverse("account_reauthenticate"),
    )


def test_applicant_people_are_not_forced_to_use_two_factor(alpha, login):
    assert login(alpha[Role.APPLICANT_EDITOR]).get(reverse("home")).status_code == 200


def test_repeated_failed_sign_ins_are_throttled(alpha, client):
    email = alpha[Role.APPLICANT_ADMIN].user.email
    for _ in range(6):
        page = client.post(reverse("account_login"), {"login": email, "password": "wrong"})
    assert "Too many failed login attempts" in page.content.decode()
    # Even the right password is refused until the limit has passed.
    page = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert "Too many failed login attempts" in page.content.decode()


def test_the_scheme_unit_reads_who_changed_what(alpha, scheme, login):
    login(alpha[Role.APPLICANT_ADMIN]).post(
        reverse("site_edit", args=[alpha.site.pk]),
        {"name": "Renamed Civic Centre", "address": "1 High Street", "employee_count": 3},
    )
    page = login(scheme[Role.SCHEME_ANALYST]).get(reverse("scheme_history")).content.decode()
    assert "Renamed Civic Centre" in page
    assert alpha[Role.APPLICANT_ADMIN].user.full_name in page


def test_the_history_is_not_shown_outside_the_scheme_unit(alpha, login):
    assert login(alpha[Role.APPLICANT_ADMIN]).get(reverse("scheme_history")).status_code == 404


def test_a_headquarters_admin_adds_a_unit(alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    client.post(
        reverse("unit_add"), {"name": "Alpha Libraries", "region": "london", "employee_count": 40}
    )
    unit = Organisation.objects.get(name="Alpha Libraries")
    assert (unit.parent, unit.sector) == (alpha.applicant, alpha.applicant.sector)


def test_a_unit_cannot_add_units_of_its_own(alpha, login):
    client = login(member(alpha.unit, Role.APPLICANT_ADMIN))
    response = client.post(
        reverse("unit_add"), {"name": "Sub-unit", "region": "london", "employee_count": 4}
    )
    assert response.status_code == 403
    assert not Organisation.objects.filter(name="Sub-unit").exists()


def test_a_removed_scheme_administrator_loses_the_admin(scheme, login, client):
    admin = scheme[Role.SCHEME_ADMIN]
    second = member(admin.organisation, Role.SCHEME_ADMIN)
    client = login(second)
    client.post(reverse("membership_edit", args=[admin.pk]), {"remove": "1"})
    admin.user.refresh_from_db()
    assert not admin.user.is_staff and not admin.user.is_superuser
    client.force_login(admin.user)
    assert client.get(reverse("admin:index")).status_code in (302, 404)


def test_staff_without_a_second_factor_must_set_one_up(client, db):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("home")).url == reverse("mfa_activate_totp")
