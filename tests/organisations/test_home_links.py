"""Each role's home page points to its benchmarking and awards work, and every link on it
opens for the person who sees it."""

import re

import pytest
from django.urls import reverse

from organisations.models import Role

from ..factories import member


def _next_steps(client) -> list[str]:
    page = client.get(reverse("home")).content.decode()
    found = re.search(r"What to do next</h2>\s*<ul[^>]*>(.*?)</ul>", page, re.S)
    return re.findall(r'href="([^"]+)"', found.group(1))


def _all_open(client, links: list[str]) -> None:
    for link in links:
        assert client.get(link).status_code == 200, link


BENCHMARKS = reverse("benchmarking:index")
PEER_GROUPS = reverse("benchmarking:peer_groups")
AWARDS = reverse("awards:index")
NOMINATIONS = reverse("awards:nominations")
CASE_STUDIES = reverse("awards:own_case_studies")


def test_an_applicants_administrator_is_pointed_to_benchmarks_and_awards(alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])

    links = _next_steps(client)

    for link in (BENCHMARKS, PEER_GROUPS, AWARDS, NOMINATIONS, CASE_STUDIES):
        assert link in links
    _all_open(client, [BENCHMARKS, PEER_GROUPS, AWARDS, NOMINATIONS, CASE_STUDIES])


@pytest.mark.parametrize(
    "role, nominates, writes",
    [
        (Role.APPLICANT_EDITOR, False, True),
        (Role.INTERNAL_ASSESSOR, False, False),
    ],
)
def test_only_administrators_nominate_and_only_authors_see_case_studies(
    role, nominates, writes, alpha, login
):
    links = _next_steps(login(alpha[role]))

    assert BENCHMARKS in links and AWARDS in links
    assert (NOMINATIONS in links) is nominates
    assert (CASE_STUDIES in links) is writes


def test_a_headquarters_sees_its_department_dashboard_and_a_unit_does_not(alpha, login):
    department = reverse("benchmarking:department", args=[alpha.applicant.pk])
    client = login(alpha[Role.APPLICANT_EDITOR])

    assert department in _next_steps(client)
    _all_open(client, [department])

    unit_admin = member(alpha.unit, Role.APPLICANT_ADMIN)
    links = _next_steps(login(unit_admin))
    assert not [link for link in links if "/departments/" in link]
    assert BENCHMARKS in links


def test_the_scheme_unit_is_pointed_to_dashboards_departments_and_the_awards(scheme, login):
    for role in (Role.SCHEME_ADMIN, Role.SCHEME_ANALYST):
        client = login(scheme[role])
        links = _next_steps(client)
        wanted = [
            reverse("benchmarking:dashboard_take_up"),
            reverse("benchmarking:departments"),
            BENCHMARKS,
            PEER_GROUPS,
            AWARDS,
        ]
        for link in wanted:
            assert link in links, (role, link)
        _all_open(client, wanted)


def test_a_certification_manager_is_pointed_to_nominations_and_an_assessor_is_not(alpha, login):
    client = login(alpha[Role.CB_MANAGER])
    assert NOMINATIONS in _next_steps(client)
    _all_open(client, [NOMINATIONS])

    assert NOMINATIONS not in _next_steps(login(alpha[Role.ASSESSOR]))
