"""Sample sizes follow IAF MD 1: initial √x, annual review 0.6·√x, reassessment √x or
0.8·√x once the cycle showed the system works, always rounded up."""

import math

import pytest

from certification import sampling

# The domain primer's own examples: sites besides the central function → initial,
# review, reassessment at 0.8.
PRIMER = {
    2: (2, 1, 2),
    4: (2, 2, 2),
    10: (4, 2, 3),
    25: (5, 3, 4),
    100: (10, 6, 8),
    500: (23, 14, 18),
}


@pytest.mark.parametrize("sites, expected", PRIMER.items())
def test_sample_sizes_match_the_primers_examples(sites, expected):
    sizes = (
        sampling.sample_size(sites, sampling.INITIAL),
        sampling.sample_size(sites, sampling.REVIEW),
        sampling.sample_size(sites, sampling.REASSESSMENT_PROVEN),
    )
    assert sizes == expected


@pytest.mark.parametrize("sites", [*range(1, 121), 144, 255, 256, 399, 400, 1000, 2500, 10_000])
def test_sample_sizes_are_the_formula_rounded_up(sites):
    for multiplier in (1.0, 0.6, 0.8):
        expected = min(sites, math.ceil(round(multiplier * math.sqrt(sites), 9)))
        assert sampling.sample_size(sites, sampling.Decimal(str(multiplier))) == expected


def test_no_sites_means_no_sample():
    assert sampling.sample_size(0, sampling.INITIAL) == 0


def test_at_least_a_quarter_is_random_and_the_rest_by_risk():
    sites = [sampling.SiteFacts(pk=n, name=f"Site {n}", days_since_visit=30) for n in range(40)]
    sites[7].open_findings = 2
    sites[12].weak_survey = True
    chosen = sampling.choose_sites(sites, 8, seed=1)
    reasons = [c.reason for c in chosen]
    assert len(chosen) == 8 and len({c.pk for c in chosen}) == 8
    assert reasons.count("random") >= 2
    risky = {c.pk for c in chosen if c.reason == "risk"}
    assert {7, 12} <= risky


def test_the_random_part_is_reproducible_from_the_seed():
    sites = [sampling.SiteFacts(pk=n, name=f"Site {n}") for n in range(30)]
    assert sampling.choose_sites(sites, 6, seed=42) == sampling.choose_sites(sites, 6, seed=42)


def test_two_reviews_see_every_element_not_yet_seen():
    codes = [f"{c}.{e}" for c in range(1, 7) for e in range(1, 10)]
    first = sampling.rotation_elements(codes, reviews_left=2)
    rest = [code for code in codes if code not in first]
    second = sampling.rotation_elements(rest, reviews_left=1)
    assert set(first) | set(second) == set(codes)
