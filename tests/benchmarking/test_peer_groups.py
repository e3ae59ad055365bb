"""Peer groups: the scheme unit sets them up, an organisation's administrators choose
which of its own sector's groups it joins."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from benchmarking import services
from benchmarking.models import PeerGroup, PeerGroupMember
from organisations.models import Role

from ..factories import member

LIST = "benchmarking:peer_groups"


@pytest.fixture
def group(alpha):
    return PeerGroup.objects.create(
        sector=alpha.applicant.sector,
        name="Mobile libraries",
        description="Libraries that travel to their readers.",
    )


def join_url(group):
    return reverse("benchmarking:peer_group_join", args=[group.pk])


def leave_url(group):
    return reverse("benchmarking:peer_group_leave", args=[group.pk])


def edit_url(group):
    return reverse("benchmarking:peer_group_edit", args=[group.pk])


# Services ------------------------------------------------------------------------------


def test_a_scheme_administrator_sets_up_and_renames_a_group(scheme, alpha):
    admin = scheme[Role.SCHEME_ADMIN]
    group = services.peer_group_create(
        membership=admin, sector=alpha.applicant.sector, name="  Rural services ", description=""
    )
    assert (group.name, group.sector) == ("Rural services", alpha.applicant.sector)

    services.peer_group_update(
        membership=admin, peer_group=group, name="Rural and island services", description="Far"
    )
    group.refresh_from_db()
    assert (group.name, group.description) == ("Rural and island services", "Far")


def test_a_name_is_used_once_per_sector_whatever_its_capitals(scheme, alpha, beta, group):
    admin = scheme[Role.SCHEME_ADMIN]
    with pytest.raises(ValidationError) as caught:
        services.peer_group_create(
            membership=admin, sector=alpha.applicant.sector, name="MOBILE LIBRARIES"
        )
    assert caught.value.message_dict["name"] == [
        "This sector already has a peer group with that name."
    ]
    services.peer_group_create(membership=admin, sector=beta.applicant.sector, name=group.name)


@pytest.mark.parametrize("role", [Role.SCHEME_ANALYST])
def test_only_scheme_administrators_set_up_groups(scheme, alpha, role):
    with pytest.raises(PermissionDenied):
        services.peer_group_create(membership=scheme[role], sector=alpha.applicant.sector, name="X")


def test_an_applicant_cannot_set_up_a_group(alpha):
    with pytest.raises(PermissionDenied):
        services.peer_group_create(
            membership=alpha[Role.APPLICANT_ADMIN], sector=alpha.applicant.sector, name="Ours"
        )


def test_an_administrator_opts_in_and_out(alpha, group):
    admin = alpha[Role.APPLICANT_ADMIN]

    joined = services.peer_group_join(membership=admin, peer_group=group)
    assert (joined.organisation, joined.joined_by) == (alpha.applicant, admin.user)
    with pytest.raises(ValidationError, match="already in this peer group"):
        services.peer_group_join(membership=admin, peer_group=group)

    services.peer_group_leave(membership=admin, peer_group=group)
    assert not PeerGroupMember.objects.exists()
    with pytest.raises(ValidationError, match="not in this peer group"):
        services.peer_group_leave(membership=admin, peer_group=group)


@pytest.mark.parametrize("role", [Role.APPLICANT_EDITOR, Role.INTERNAL_ASSESSOR])
def test_other_members_of_the_organisation_cannot_opt_in(alpha, group, role):
    with pytest.raises(PermissionDenied):
        services.peer_group_join(membership=alpha[role], peer_group=group)


def test_an_organisation_cannot_join_another_sectors_group(beta, group):
    with pytest.raises(PermissionDenied, match="your own sector"):
        services.peer_group_join(membership=beta[Role.APPLICANT_ADMIN], peer_group=group)


def test_a_scheme_administrator_cannot_join_a_group(scheme, group):
    with pytest.raises(PermissionDenied):
        services.peer_group_join(membership=scheme[Role.SCHEME_ADMIN], peer_group=group)


# Pages ---------------------------------------------------------------------------------


def test_the_scheme_unit_lists_every_group_with_its_members_count(
    scheme, alpha, beta, group, login
):
    PeerGroup.objects.create(sector=beta.applicant.sector, name="Night services")
    services.peer_group_join(membership=alpha[Role.APPLICANT_ADMIN], peer_group=group)

    page = login(scheme[Role.SCHEME_ANALYST]).get(reverse(LIST))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Mobile libraries" in text and "Night services" in text
    assert "Sector Alpha" in text and "Sector Beta" in text
    counts = {listed.name: listed.member_count for listed in page.context["groups"]}
    assert counts == {"Mobile libraries": 1, "Night services": 0}
    # Analysts read; only administrators set groups up.
    assert "Set up a peer group" not in text
    assert edit_url(group) not in text


def test_a_scheme_administrator_sets_up_a_group_on_the_page(scheme, alpha, login):
    client = login(scheme[Role.SCHEME_ADMIN])
    data = {"sector": alpha.applicant.sector.pk, "name": "Town centre services"}

    response = client.post(reverse(LIST), data)

    assert response.status_code == 302
    assert PeerGroup.objects.get().name == "Town centre services"
    assert "Peer group Town centre services set up." in client.get(reverse(LIST)).content.decode()


def test_mistakes_in_a_new_group_show_in_the_error_summary(scheme, alpha, group, login):
    client = login(scheme[Role.SCHEME_ADMIN])

    page = client.post(reverse(LIST), {"sector": alpha.applicant.sector.pk, "name": group.name})
    text = page.content.decode()
    assert page.status_code == 200
    assert "govuk-error-summary" in text
    assert "This sector already has a peer group with that name." in text
    assert "Error:" in text

    page = client.post(reverse(LIST), {"name": ""})
    assert "Choose the sector the peer group belongs to." in page.content.decode()
    assert "Enter the name of the peer group." in page.content.decode()
    assert PeerGroup.objects.count() == 1


def test_a_scheme_administrator_changes_a_group_and_sees_its_members(scheme, alpha, group, login):
    services.peer_group_join(membership=alpha[Role.APPLICANT_ADMIN], peer_group=group)
    client = login(scheme[Role.SCHEME_ADMIN])

    page = client.get(edit_url(group))
    assert page.status_code == 200
    assert alpha.applicant.name in page.content.decode()
    assert "sector" not in page.context["form"].fields

    response = client.post(edit_url(group), {"name": "Travelling libraries", "description": ""})
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.description) == ("Travelling libraries", "")


def test_an_applicant_sees_its_sectors_groups_and_joins_then_leaves(alpha, beta, group, login):
    PeerGroup.objects.create(sector=beta.applicant.sector, name="Night services")
    client = login(alpha[Role.APPLICANT_ADMIN])

    text = client.get(reverse(LIST)).content.decode()
    assert "Mobile libraries" in text and "Night services" not in text
    assert join_url(group) in text and "Set up a peer group" not in text

    client.post(join_url(group))
    page = client.get(reverse(LIST))
    text = page.content.decode()
    assert "Your organisation joined Mobile libraries." in text
    assert "You are a member" in text and leave_url(group) in text
    assert page.context["groups"][0].member_count == 1

    client.post(leave_url(group))
    text = client.get(reverse(LIST)).content.decode()
    assert "Your organisation left Mobile libraries." in text
    assert not PeerGroupMember.objects.exists()


def test_joining_twice_says_so(alpha, group, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    client.post(join_url(group))

    client.post(join_url(group))

    text = client.get(reverse(LIST)).content.decode()
    assert "Your organisation is already in this peer group." in text
    assert PeerGroupMember.objects.count() == 1


def test_an_editor_sees_the_groups_without_the_buttons(alpha, group, login):
    client = login(alpha[Role.APPLICANT_EDITOR])

    text = client.get(reverse(LIST)).content.decode()

    assert "Mobile libraries" in text and join_url(group) not in text
    assert "Your organisation's administrators choose which groups it joins." in text
    assert client.post(join_url(group)).status_code == 404
    assert not PeerGroupMember.objects.exists()


def test_another_sectors_group_is_not_found(beta, group, login):
    client = login(beta[Role.APPLICANT_ADMIN])

    for url in (join_url(group), leave_url(group), edit_url(group)):
        assert client.post(url).status_code == 404
    assert not PeerGroupMember.objects.exists()


def test_applicants_cannot_change_or_set_up_groups(alpha, group, login):
    client = login(alpha[Role.APPLICANT_ADMIN])

    assert client.get(edit_url(group)).status_code == 404
    assert (
        client.post(reverse(LIST), {"sector": group.sector_id, "name": "Ours"}).status_code == 404
    )
    assert PeerGroup.objects.count() == 1


@pytest.mark.parametrize("role", [Role.CB_MANAGER, Role.ASSESSOR, Role.REGULATOR])
def test_certification_bodies_and_regulators_have_no_peer_groups_page(alpha, group, login, role):
    client = login(alpha[role])

    assert client.get(reverse(LIST)).status_code == 404
    assert client.post(join_url(group)).status_code == 404


def test_joining_answers_only_to_post(alpha, group, login):
    assert login(alpha[Role.APPLICANT_ADMIN]).get(join_url(group)).status_code == 405


def test_a_unit_joins_for_itself(alpha, group, login):
    unit_admin = member(alpha.unit, Role.APPLICANT_ADMIN)

    login(unit_admin).post(join_url(group))

    assert PeerGroupMember.objects.get().organisation == alpha.unit


# Admin ---------------------------------------------------------------------------------


def test_the_admin_sets_up_groups_through_the_service_and_shows_figures_read_only(
    scheme, alpha, group, login
):
    scheme[Role.SCHEME_ADMIN].user.is_staff = True
    scheme[Role.SCHEME_ADMIN].user.save()
    client = login(scheme[Role.SCHEME_ADMIN])

    response = client.post(
        reverse("admin:benchmarking_peergroup_add"),
        {
            "sector": alpha.applicant.sector.pk,
            "name": "mobile LIBRARIES",
            "description": "",
            "peergroupmember_set-TOTAL_FORMS": 0,
            "peergroupmember_set-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "This sector already has a peer group with that name." in response.content.decode()

    for model in ("organisationscore", "sectorfigure", "dashboardfigure", "refresh"):
        assert client.get(reverse(f"admin:benchmarking_{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:benchmarking_{model}_add")).status_code == 403
