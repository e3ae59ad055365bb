"""No figure about fewer organisations than the minimum, and none that gives one away
when subtracted from another."""

import pytest

from benchmarking.models import PeerGroup, PeerGroupMember, SectorFigure

from ..factories import UserFactory
from .conftest import refresh

pytestmark = pytest.mark.usefixtures("no_dashboard_figures")


def figure(sector, *, peer_group=None, region="", legal_form="", measure="overall"):
    return SectorFigure.objects.get(
        sector=sector,
        peer_group=peer_group,
        region=region,
        legal_form=legal_form,
        year=2025,
        measure=measure,
    )


def assert_hidden(row, organisations):
    assert row.suppressed
    assert row.organisations == organisations
    assert row.mean is None and row.median is None and row.deciles == []
    assert row.responses is None and row.share_satisfied is None


def group_of(sector, organisations, name="Mobile libraries"):
    group = PeerGroup.objects.create(sector=sector, name=name)
    joiner = UserFactory()
    for organisation in organisations:
        PeerGroupMember.objects.create(
            peer_group=group, organisation=organisation, joined_by=joiner
        )
    return group


def test_a_sector_with_fewer_organisations_than_the_minimum_shows_only_its_count(
    sector, make_field
):
    make_field(sector, [3.0, 3.5, 4.0, 4.5])

    refresh(sector)

    assert_hidden(figure(sector), 4)


def test_the_minimum_organisations_shows_the_figures(sector, make_field):
    make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8])

    refresh(sector)

    row = figure(sector)
    assert not row.suppressed
    assert row.median == pytest.approx(70.0)


def test_a_raised_minimum_hides_what_the_default_would_show(sector, make_field, settings):
    make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8, 4.1])
    settings.BENCHMARK_MIN_ORGANISATIONS = 10

    refresh(sector)

    assert_hidden(figure(sector), 6)


def test_a_peer_group_below_the_minimum_is_hidden(sector, make_field):
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8, 4.1, 3.3, 3.9, 4.2, 2.8])
    group = group_of(sector, organisations[:4])

    refresh(sector)

    assert_hidden(figure(sector, peer_group=group), 4)
    assert not figure(sector).suppressed


def test_a_peer_group_almost_as_big_as_its_sector_is_hidden(sector, make_field):
    """With the sector's figure and the group's, the rest of the sector (here two
    organisations) could be worked out by subtraction."""
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8, 4.1, 3.3])
    group = group_of(sector, organisations[:5])

    refresh(sector)

    assert_hidden(figure(sector, peer_group=group), 5)
    assert not figure(sector).suppressed


def test_a_peer_group_leaving_enough_of_the_sector_aside_is_shown(sector, make_field):
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8, 4.1, 3.3, 3.9, 4.2, 2.8])
    group = group_of(sector, organisations[:5])

    refresh(sector)

    row = figure(sector, peer_group=group)
    assert not row.suppressed
    assert row.mean == pytest.approx(sum((m - 1) * 25 for m in [3.0, 3.5, 4.0, 4.5, 3.8]) / 5)


def test_a_peer_group_as_big_as_its_sector_is_shown(sector, make_field):
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8])
    group = group_of(sector, organisations)

    refresh(sector)

    assert not figure(sector, peer_group=group).suppressed


def test_of_two_nested_peer_groups_differing_by_few_the_smaller_is_hidden(sector, make_field):
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8, 4.1, 3.3, 3.9, 4.2, 2.8] * 2)
    bigger = group_of(sector, organisations[:7], name="Branch libraries")
    smaller = group_of(sector, organisations[:6], name="Town branch libraries")

    refresh(sector)

    assert not figure(sector, peer_group=bigger).suppressed
    assert_hidden(figure(sector, peer_group=smaller), 6)


def test_two_separate_peer_groups_that_leave_one_organisation_out_are_not_both_shown(
    sector, make_field
):
    # The sector's figure less both groups' would describe the eleventh organisation alone.
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8, 4.1, 3.3, 3.9, 4.2, 2.8, 4.9])
    first = group_of(sector, organisations[:5], name="Branch libraries")
    second = group_of(sector, organisations[5:10], name="Mobile libraries")

    refresh(sector)

    shown = [g for g in (first, second) if not figure(sector, peer_group=g).suppressed]
    assert len(shown) == 1


def test_peer_groups_that_leave_enough_of_the_sector_out_are_all_shown(sector, make_field):
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8, 4.1, 3.3, 3.9] * 2)
    first = group_of(sector, organisations[:5], name="Branch libraries")
    second = group_of(sector, organisations[5:10], name="Mobile libraries")

    refresh(sector)

    assert not figure(sector, peer_group=first).suppressed
    assert not figure(sector, peer_group=second).suppressed


def test_an_empty_peer_group_has_a_hidden_row_for_each_year_and_measure(sector, make_field):
    make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8])
    group = group_of(sector, [])

    refresh(sector)

    assert SectorFigure.objects.filter(peer_group=group, suppressed=True).count() == 6
    assert_hidden(figure(sector, peer_group=group), 0)


def test_a_region_below_the_minimum_takes_the_next_smallest_with_it(sector, make_field):
    """Shown, the sector's figure less the other regions' would give away the small one."""
    make_field(sector, [3.0] * 10, region="wales", name="Welsh library")
    make_field(sector, [3.5] * 7, region="scotland", name="Scottish library")
    make_field(sector, [4.0] * 2, region="london", name="London library")

    refresh(sector)

    assert not figure(sector, region="wales").suppressed
    assert_hidden(figure(sector, region="scotland"), 7)
    assert_hidden(figure(sector, region="london"), 2)


def test_regions_are_all_shown_when_each_has_enough(sector, make_field):
    make_field(sector, [3.0] * 5, region="wales", name="Welsh library")
    make_field(sector, [3.5] * 5, region="scotland", name="Scottish library")

    refresh(sector)

    assert not figure(sector, region="wales").suppressed
    assert not figure(sector, region="scotland").suppressed


def test_organisations_without_a_region_count_as_hidden(sector, make_field):
    make_field(sector, [3.0] * 8, region="wales", name="Welsh library")
    make_field(sector, [3.5] * 6, region="scotland", name="Scottish library")
    make_field(sector, [4.0], region="", name="Unplaced library")

    refresh(sector)

    assert not figure(sector).suppressed
    assert_hidden(figure(sector, region="scotland"), 6)
    assert not figure(sector, region="wales").suppressed


def test_legal_forms_are_suppressed_the_same_way(sector, make_field):
    make_field(sector, [3.0] * 9, legal_form="public", name="Council library")
    make_field(sector, [3.5] * 1, legal_form="third_sector", name="Community library")

    refresh(sector)

    assert_hidden(figure(sector, legal_form="public"), 9)
    assert_hidden(figure(sector, legal_form="third_sector"), 1)
    assert not figure(sector).suppressed
