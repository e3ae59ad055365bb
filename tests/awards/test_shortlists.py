import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from awards import services
from awards.models import Entry
from organisations.models import Role

from .conftest import TIMELINESS, move_cycle_to


def _compute(scheme, category):
    return services.shortlist_compute(membership=scheme[Role.SCHEME_ADMIN], category=category)


def _names(candidates):
    return [c.organisation.name for c in candidates]


def test_an_improvement_inside_the_confidence_interval_does_not_rank_above_a_real_one(
    scheme, cycle, holders
):
    candidates = _compute(scheme, cycle.most_improved)

    names = _names(candidates)
    # Noisy Lettings' score rose 12.5 points, Real Change Homes' only 7.5, and both
    # improved their ratings alike: the real change still ranks first.
    assert names.index("Real Change Homes") < names.index("Noisy Lettings")
    assert names[0] == "Real Change Homes"
    real, noisy = candidates[0], candidates[names.index("Noisy Lettings")]
    assert "a real change" in real.reasons[1]
    assert "within the noise" in noisy.reasons[1]


def test_a_large_change_in_the_noise_never_outranks_a_small_real_one(scheme, cycle, make_holder):
    big_but_noisy = {
        2024: {TIMELINESS: (2.7, 1.6, 12)},
        2025: {TIMELINESS: (3.5, 1.6, 12)},
    }
    small_but_real = {
        2024: {TIMELINESS: (3.60, 0.8, 2000)},
        2025: {TIMELINESS: (3.68, 0.8, 2000)},
    }
    # The noisy one also improved its ratings much more.
    make_holder(
        "Loud Homes",
        assessments=[
            (datetime.date(2025, 3, 3), {"*": "partial"}),
            (datetime.date(2026, 3, 3), {"*": "compliance_plus"}),
        ],
        scores=big_but_noisy,
    )
    make_holder("Quiet Homes", scores=small_but_real)

    names = _names(_compute(scheme, cycle.most_improved))

    assert names == ["Quiet Homes", "Loud Homes"]


def test_only_active_holders_of_the_sector_are_candidates(scheme, cycle, holders):
    best = _names(_compute(scheme, cycle.best))
    improved = _names(_compute(scheme, cycle.most_improved))

    for shortlist in (best, improved):
        assert "Suspended Homes" not in shortlist
        assert "Lapsed Homes" not in shortlist
        assert "Elsewhere Health Trust" not in shortlist
    assert set(best) == {"Leader Homes", "Steady Housing", "Real Change Homes", "Noisy Lettings"}


def test_best_ranks_by_level_then_compliance_plus_then_the_driver_score(scheme, cycle, holders):
    candidates = _compute(scheme, cycle.best)

    assert _names(candidates)[0] == "Leader Homes"
    # Steady, Real and Noisy are all strong; Steady's score is the highest of them.
    assert _names(candidates)[1] == "Steady Housing"
    assert [c.rank for c in candidates] == [1, 2, 3, 4]


def test_reasons_say_in_plain_words_why_a_candidate_is_there(scheme, cycle, holders, timeliness):
    leader = _compute(scheme, cycle.best)[0]
    total = timeliness.elements.count()

    assert leader.reasons[0] == (
        f"Rated strong on Timeliness at its assessment on 3 March 2026: "
        f"{total} of {total} elements compliance plus"
    )
    assert leader.reasons[1].startswith("Timeliness score 82.5 in 2025 (95% interval 80.")


def test_most_improved_reasons_give_the_change_and_its_interval(scheme, cycle, holders):
    candidates = {c.organisation.name: c for c in _compute(scheme, cycle.most_improved)}

    real = candidates["Real Change Homes"].reasons
    assert real[0].startswith("Average rating on Timeliness up from 1.8 to 2.0")
    assert real[1].startswith("Timeliness score up 7.5 points from 2024 to 2025 (95% interval ")
    assert real[1].endswith("a real change")
    assert candidates["Noisy Lettings"].reasons[1].endswith("within the noise")


def test_the_leading_level_needs_the_driver_in_the_sectors_top_quarter(
    scheme, cycle, holders, award_sector
):
    from django.utils import timezone

    from benchmarking.models import SectorFigure

    SectorFigure.objects.create(
        sector=award_sector,
        year=2025,
        measure=TIMELINESS,
        organisations=12,
        suppressed=False,
        upper_quartile=80.0,
        computed_at=timezone.now(),
    )

    leader = _compute(scheme, cycle.best)[0]

    assert leader.reasons[0].startswith("Rated leading on Timeliness")
    assert leader.reasons[1].endswith(", in the top quarter of the sector")


def test_a_new_computation_replaces_the_last(scheme, cycle, holders):
    first = _compute(scheme, cycle.best)
    second = _compute(scheme, cycle.best)

    assert cycle.best.candidates.count() == len(second) == len(first)
    assert not cycle.best.candidates.filter(pk__in=[c.pk for c in first]).exists()


def test_team_and_individual_categories_have_no_computed_shortlist(scheme, cycle, holders):
    for category in (cycle.team, cycle.individual):
        with pytest.raises(ValidationError, match="nominated"):
            _compute(scheme, category)


def test_only_scheme_administrators_compute_shortlists(scheme, cycle, alpha):
    for membership in (scheme[Role.SCHEME_ANALYST], alpha[Role.APPLICANT_ADMIN]):
        with pytest.raises(PermissionDenied):
            services.shortlist_compute(membership=membership, category=cycle.best)


def test_candidates_put_forward_become_entries_with_their_reasons(scheme, cycle, holders):
    admin = scheme[Role.SCHEME_ADMIN]
    leader, steady, *_rest = _compute(scheme, cycle.best)

    entries = services.candidates_put_forward(
        membership=admin, category=cycle.best, candidates=[leader, steady]
    )

    assert [e.organisation.name for e in entries] == ["Leader Homes", "Steady Housing"]
    entry = entries[0]
    assert (entry.source, entry.status) == (Entry.Source.EVIDENCE, Entry.Status.SUBMITTED)
    assert entry.reasons == leader.reasons
    with pytest.raises(ValidationError, match="already been put forward"):
        services.candidates_put_forward(membership=admin, category=cycle.best, candidates=[leader])


def test_nothing_is_computed_or_put_forward_once_nominations_close(scheme, cycle, holders):
    candidates = _compute(scheme, cycle.best)
    move_cycle_to(cycle, "judging")

    with pytest.raises(ValidationError, match="closed"):
        _compute(scheme, cycle.best)
    with pytest.raises(ValidationError, match="closed"):
        services.candidates_put_forward(
            membership=scheme[Role.SCHEME_ADMIN], category=cycle.best, candidates=candidates[:1]
        )
