"""No organisation can work out another's figures through what the API and the pages
offer. In fields of 4, 5 and 6 organisations, with peer groups one organisation smaller
than the sector, every combination of filters an applicant can send is tried; among the
figures it is shown, none describes fewer than the minimum number of organisations, and
no two describe sets of organisations that differ by fewer than the minimum (so neither
can be subtracted from the other to give someone away). Filters the API does not offer
(region, legal form) change nothing: they never split the sector."""

import functools
import itertools

import pytest
from django.urls import reverse

from benchmarking import api
from benchmarking.models import (
    Measure,
    OrganisationScore,
    PeerGroup,
    PeerGroupMember,
    SectorFigure,
)
from organisations.models import Role

from ..factories import SectorFactory, member
from .conftest import refresh

MINIMUM = 5
UNKNOWN_FILTERS = [
    {},
    {"region": "london"},
    {"legal_form": "private"},
    {"region": "north_east", "legal_form": "public", "sector": "1"},
]


@pytest.fixture(autouse=True)
def _settings(settings, monkeypatch, no_dashboard_figures):
    settings.BENCHMARK_MIN_ORGANISATIONS = MINIMUM
    # Hundreds of requests a minute: more than the API's rate limit lets a person send.
    for view in (api.BenchmarkViewSet, api.SectorFigureViewSet):
        monkeypatch.setattr(view, "throttle_classes", [])


def build_field(size, make_field, scored_survey):
    """`size` organisations scored in 2025 (all but the last also in 2024), split across
    two regions and two legal forms; peer groups of all but the last, of all but the
    first (which the first organisation is not in), and of all of them."""
    sector = SectorFactory(slug=f"field-{size}", name=f"Field of {size}")
    field = []
    for n in range(size):
        [organisation] = make_field(
            sector,
            [3.0 + 0.3 * n],
            name=f"Service {size}-{n}",
            region="london" if n % 2 else "north_east",
            legal_form="private" if n % 3 else "public",
        )
        if n < size - 1:
            scored_survey(organisation, year=2024, means=3.2 + 0.2 * n)
        field.append(organisation)
    admin = member(field[0], Role.APPLICANT_ADMIN)
    groups = {
        "all but the last": field[:-1],
        "all but the first": field[1:],
        "all": field,
    }
    for name, members in groups.items():
        group = PeerGroup.objects.create(sector=sector, name=name)
        for organisation in members:
            PeerGroupMember.objects.create(
                peer_group=group, organisation=organisation, joined_by=admin.user
            )
    refresh(sector)
    return sector, field, admin


@functools.cache
def organisations_behind(sector_id, peer_group_id, year, measure) -> frozenset:
    """Who a figure describes: the organisations scored in its sector that year on that
    measure, and for a peer group only its members."""
    scored = set(
        OrganisationScore.objects.filter(
            sector_id=sector_id, year=year, measure=measure
        ).values_list("organisation", flat=True)
    )
    if peer_group_id is not None:
        scored &= set(
            PeerGroupMember.objects.filter(peer_group_id=peer_group_id).values_list(
                "organisation", flat=True
            )
        )
    return frozenset(scored)


def assert_nothing_derivable(shown: set) -> None:
    """`shown` holds (year, measure, organisations) of every figure one person saw."""
    for year, measure, organisations in shown:
        assert len(organisations) >= MINIMUM, (year, measure, sorted(organisations))
    for (year, measure, one), (year_b, measure_b, other) in itertools.combinations(shown, 2):
        if (year, measure) != (year_b, measure_b):
            continue
        differ = len(one ^ other)
        assert differ == 0 or differ >= MINIMUM, (year, measure, sorted(one), sorted(other))


def figures_in_api_rows(rows) -> set:
    shown = set()
    for row in rows:
        if row["suppressed"]:
            assert row["median"] is None and row["mean"] is None and row["deciles"] is None
            continue
        whose = organisations_behind(row["sector"], row["peer_group"], row["year"], row["measure"])
        shown.add((row["year"], row["measure"], whose))
    return shown


def figures_in_report(report, sector_id) -> set:
    shown = set()
    for comparison in report["comparisons"]:
        group = comparison["pk"] if comparison["kind"] == "peer_group" else None
        for row in comparison["rows"]:
            if row["figure"]["shown"]:
                whose = organisations_behind(sector_id, group, report["year"], row["measure"])
                shown.add((report["year"], row["measure"], whose))
    return shown


@pytest.fixture(params=[4, 5, 6], ids=lambda size: f"{size} organisations")
def field(request, standard, make_field, scored_survey):
    return build_field(request.param, make_field, scored_survey)


def test_no_sector_figures_filter_gives_anyone_away(field, login):
    sector, organisations, admin = field
    organisations_behind.cache_clear()
    client = login(admin)
    group_ids = list(PeerGroup.objects.filter(sector=sector).values_list("pk", flat=True))
    seen = set()
    for year, measure, group in itertools.product(
        [None, 2024, 2025, 2019],
        [None, *Measure.values],
        [None, *group_ids, 10**9],
    ):
        asked = {
            name: value
            for name, value in (("year", year), ("measure", measure), ("peer_group", group))
            if value is not None
        }
        plain = client.get("/api/sector-figures/", asked).json()
        for unknown in UNKNOWN_FILTERS[1:] if group is None else UNKNOWN_FILTERS[-1:]:
            answer = client.get("/api/sector-figures/", {**asked, **unknown}).json()
            assert answer == plain, unknown
        rows = plain["results"]
        seen |= figures_in_api_rows(rows)
    assert_nothing_derivable(seen)
    # A sector of at least the minimum is shown; one smaller never is.
    assert bool(seen) == (len(organisations) >= MINIMUM)


def test_no_report_or_page_gives_anyone_away(field, login):
    sector, organisations, admin = field
    organisations_behind.cache_clear()
    client = login(admin)
    seen = set()
    for year in [None, 2024, 2025, 2019]:
        for unknown in UNKNOWN_FILTERS:
            asked = {**({"year": year} if year else {}), **unknown}
            api = client.get(f"/api/benchmarks/{organisations[0].pk}/", asked).json()
            seen |= figures_in_report(api, sector.pk)
            listed = client.get("/api/benchmarks/", asked).json()["results"]
            assert [report["organisation"]["pk"] for report in listed] == [organisations[0].pk]
            page = client.get(reverse("benchmarking:index"), asked)
            seen |= figures_in_report(page.context["report"], sector.pk)
            other = client.get(reverse("benchmarking:organisation", args=[organisations[1].pk]))
            assert other.status_code == 404
    assert_nothing_derivable(seen)
    assert bool(seen) == (len(organisations) >= MINIMUM)


def test_the_region_and_legal_form_split_exists_but_is_never_served(field, login):
    sector, organisations, admin = field
    cube = SectorFigure.objects.filter(sector=sector).exclude(region="", legal_form="")
    assert cube.exists()
    rows = login(admin).get("/api/sector-figures/", {"region": "london"}).json()["results"]
    served = {row["id"] for row in rows}
    assert not served & set(cube.values_list("pk", flat=True))


def test_no_one_reads_another_organisations_scores(field, login):
    sector, organisations, admin = field
    client = login(admin)
    for organisation in organisations[1:]:
        assert client.get(f"/api/benchmarks/{organisation.pk}/").status_code == 404
        url = reverse("benchmark_reports:start", args=[organisation.pk])
        assert client.post(url).status_code == 404
