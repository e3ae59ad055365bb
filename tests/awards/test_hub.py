"""The awards landing page as everyone's hub: the public reads cycles, results and the ways
to share practice; people signed in also see what their role lets them do, and every
link they see opens for them."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from awards.models import AwardCycle, Panel, PanelJudge
from organisations.models import Role

from ..factories import member
from .conftest import move_cycle_to

HUB = reverse("awards:index")
NOMINATE = reverse("awards:nomination_new")
NOMINATIONS = reverse("awards:nominations")
JUDGING = reverse("awards:judging")
OWN_CASE_STUDIES = reverse("awards:own_case_studies")
SCHEME_LINKS = [
    reverse("awards:cycles"),
    reverse("awards:panels"),
    reverse("awards:case_study_reviews"),
    reverse("awards:beacon_admin"),
    reverse("awards:event_admin"),
]
PUBLIC_LINKS = [
    reverse("awards:case_studies"),
    reverse("awards:beacons"),
    reverse("awards:events"),
]


def _links(page: str, part: str) -> list[str]:
    """The addresses linked from one list of the hub (`yours`, `scheme`, `sharing`)."""
    found = re.search(rf'<ul[^>]*data-hub="{part}"[^>]*>(.*?)</ul>', page, re.S)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


def _hub(client) -> str:
    response = client.get(HUB)
    assert response.status_code == 200
    return response.content.decode()


def _all_open(client, links: list[str]) -> None:
    for link in links:
        assert client.get(link).status_code == 200, link


@pytest.fixture
def holder(make_holder):
    return make_holder("Harbour Homes")


def test_the_public_sees_cycles_results_and_the_ways_to_share_practice(client, cycle):
    move_cycle_to(cycle, "nominations")

    page = _hub(client)

    assert cycle.title in page
    assert _links(page, "sharing") == PUBLIC_LINKS
    assert _links(page, "yours") == []
    assert _links(page, "scheme") == []
    _all_open(client, PUBLIC_LINKS)


def test_a_holders_administrator_nominates_and_looks_after_case_studies(cycle, holder, login):
    move_cycle_to(cycle, "nominations")
    client = login(holder.admin)

    page = _hub(client)

    assert _links(page, "yours") == [NOMINATE, NOMINATIONS, OWN_CASE_STUDIES]
    assert _links(page, "scheme") == []
    _all_open(client, _links(page, "yours"))


def test_the_nominate_link_waits_for_nominations_to_open(cycle, holder, login):
    page = _hub(login(holder.admin))

    assert _links(page, "yours") == [NOMINATIONS, OWN_CASE_STUDIES]
    assert "nominations are not open at the moment" in page


def test_a_holders_editor_writes_case_studies_but_does_not_nominate(cycle, holder, login):
    move_cycle_to(cycle, "nominations")
    editor = member(holder.organisation, Role.APPLICANT_EDITOR)
    internal_assessor = member(holder.organisation, Role.INTERNAL_ASSESSOR)

    assert _links(_hub(login(editor)), "yours") == [OWN_CASE_STUDIES]
    assert _links(_hub(login(internal_assessor)), "yours") == []


def test_a_certification_manager_nominates_for_the_holders_it_certifies(
    cycle, holder, certification_body, login
):
    move_cycle_to(cycle, "nominations")
    manager = member(certification_body, Role.CB_MANAGER)
    assessor = member(certification_body, Role.ASSESSOR)

    client = login(manager)
    page = _hub(client)
    assert _links(page, "yours") == [NOMINATE, NOMINATIONS]
    _all_open(client, _links(page, "yours"))
    assert _links(_hub(login(assessor)), "yours") == []


def test_people_of_organisations_without_a_certificate_see_only_the_public_hub(cycle, alpha, login):
    """Alpha holds no certificate, so its people and its certification body have nothing
    to nominate and no case study to write."""
    move_cycle_to(cycle, "nominations")
    for role in (
        Role.APPLICANT_ADMIN,
        Role.APPLICANT_EDITOR,
        Role.INTERNAL_ASSESSOR,
        Role.CB_MANAGER,
        Role.ASSESSOR,
        Role.REGULATOR,
    ):
        page = _hub(login(alpha[role]))
        assert _links(page, "yours") == [], role
        assert _links(page, "scheme") == [], role
        assert _links(page, "sharing") == PUBLIC_LINKS


def test_anyone_seated_on_a_panel_sees_judging(cycle, alpha, beta, login):
    move_cycle_to(cycle, "judging")
    panel = Panel.objects.create(cycle=cycle, name="Timeliness")
    judge = alpha[Role.REGULATOR]
    PanelJudge.objects.create(panel=panel, judge=judge)

    client = login(judge)
    page = _hub(client)
    assert _links(page, "yours") == [JUDGING]
    _all_open(client, [JUDGING])
    assert JUDGING not in _hub(login(beta[Role.REGULATOR]))


def test_the_scheme_unit_runs_the_awards(cycle, scheme, login):
    move_cycle_to(cycle, "judging")
    results = reverse("awards:results", args=[cycle.year])

    client = login(scheme[Role.SCHEME_ADMIN])
    page = _hub(client)
    assert _links(page, "scheme") == [*SCHEME_LINKS[:2], results, *SCHEME_LINKS[2:]]
    assert "check and publish them" in page
    assert _links(page, "yours") == []
    _all_open(client, _links(page, "scheme"))

    client = login(scheme[Role.SCHEME_ANALYST])
    page = _hub(client)
    assert _links(page, "scheme") == [*SCHEME_LINKS[:2], results, *SCHEME_LINKS[2:]]
    assert "check and publish them" not in page
    _all_open(client, _links(page, "scheme"))


def test_the_scheme_unit_sees_results_only_once_nominations_close(cycle, scheme, login):
    move_cycle_to(cycle, "nominations")

    page = _hub(login(scheme[Role.SCHEME_ADMIN]))

    assert _links(page, "scheme") == SCHEME_LINKS


def test_published_results_stay_listed_for_the_scheme_unit_without_a_publish_prompt(
    cycle, scheme, login
):
    move_cycle_to(cycle, "results")
    AwardCycle.objects.filter(pk=cycle.pk).update(published_at=timezone.now())

    page = _hub(login(scheme[Role.SCHEME_ADMIN]))

    assert reverse("awards:results", args=[cycle.year]) in _links(page, "scheme")
    assert "check and publish them" not in page
    assert reverse("awards:winners", args=[cycle.year]) in page
