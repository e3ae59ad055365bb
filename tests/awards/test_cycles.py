import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from awards import services
from awards.models import AwardCycle, Category, Entry
from organisations.models import Role, Sector

from .conftest import move_cycle_to

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _dates(opens=TODAY + 30 * DAY, closes=TODAY + 60 * DAY, ends=TODAY + 90 * DAY, year=2031):
    return services.CycleInput(
        year=year,
        title=f"Customer Voice Awards {year}",
        nominations_open=opens,
        nominations_close=closes,
        judging_ends=ends,
    )


def _criterion_input(title="Reach"):
    return services.JudgingCriterionInput(title=title, description="How many it helped.")


# Services -------------------------------------------------------------------------------


def test_a_scheme_administrator_sets_up_a_cycle(scheme):
    cycle = services.cycle_create(membership=scheme[Role.SCHEME_ADMIN], data=_dates())

    assert cycle.title == "Customer Voice Awards 2031"


def test_only_scheme_administrators_set_up_cycles(scheme, alpha):
    for membership in (scheme[Role.SCHEME_ANALYST], alpha[Role.APPLICANT_ADMIN]):
        with pytest.raises(PermissionDenied):
            services.cycle_create(membership=membership, data=_dates())


def test_a_cycles_dates_must_be_in_order(scheme):
    admin = scheme[Role.SCHEME_ADMIN]
    with pytest.raises(ValidationError) as error:
        services.cycle_create(membership=admin, data=_dates(closes=TODAY + 10 * DAY))
    assert error.value.message_dict["nominations_close"] == [
        "Nominations must close after they open."
    ]
    with pytest.raises(ValidationError) as error:
        services.cycle_create(membership=admin, data=_dates(ends=TODAY + 50 * DAY))
    assert "judging_ends" in error.value.message_dict


def test_one_cycle_a_year(scheme):
    admin = scheme[Role.SCHEME_ADMIN]
    services.cycle_create(membership=admin, data=_dates())
    with pytest.raises(ValidationError, match="already a cycle for 2031"):
        services.cycle_create(membership=admin, data=_dates())


def test_a_published_cycle_cannot_change(scheme, cycle):
    admin = scheme[Role.SCHEME_ADMIN]
    services.cycle_update(membership=admin, cycle=cycle, data=_dates(year=cycle.year))
    move_cycle_to(cycle, "nominations")

    with pytest.raises(ValidationError, match="can no longer change"):
        services.cycle_update(membership=admin, cycle=cycle, data=_dates(year=cycle.year))


def test_judging_criteria_change_only_until_nominations_open(scheme, cycle):
    admin = scheme[Role.SCHEME_ADMIN]
    added = services.judging_criterion_add(membership=admin, cycle=cycle, data=_criterion_input())
    assert added.position == 3
    services.judging_criterion_update(
        membership=admin, criterion=added, data=_criterion_input("Reach and depth")
    )
    move_cycle_to(cycle, "nominations")

    with pytest.raises(ValidationError, match="judging criteria are published"):
        services.judging_criterion_add(membership=admin, cycle=cycle, data=_criterion_input())
    with pytest.raises(ValidationError, match="judging criteria are published"):
        services.judging_criterion_delete(membership=admin, criterion=added)


def test_the_usual_categories_are_best_and_most_improved_on_every_criterion(
    scheme, cycle, standard, award_sector
):
    health = Sector.objects.get(slug="health")

    created = services.categories_create_usual(
        membership=scheme[Role.SCHEME_ADMIN], cycle=cycle, sectors=[award_sector, health]
    )

    criteria = standard.criteria.count()
    # Housing already had best and most improved on Timeliness.
    assert len(created) == 2 * 2 * criteria - 2
    assert {c.level for c in created} == {Category.Level.ORGANISATION}
    assert cycle.categories.filter(sector=health).count() == 2 * criteria


def test_a_category_is_for_a_criterion_of_the_current_standard(scheme, cycle, award_sector):
    from standard.models import Criterion

    old = Criterion.objects.exclude(standard__status="published").first()
    with pytest.raises(ValidationError, match="current standard"):
        services.category_create(
            membership=scheme[Role.SCHEME_ADMIN],
            cycle=cycle,
            criterion=old,
            sector=award_sector,
            kind=Category.Kind.BEST,
            level=Category.Level.TEAM,
        )


def test_the_same_category_twice_is_refused(scheme, cycle, timeliness, award_sector):
    with pytest.raises(ValidationError, match="already has that category"):
        services.category_create(
            membership=scheme[Role.SCHEME_ADMIN],
            cycle=cycle,
            criterion=timeliness,
            sector=award_sector,
            kind=Category.Kind.BEST,
            level=Category.Level.ORGANISATION,
        )


# Pages ----------------------------------------------------------------------------------


def test_the_landing_page_is_public_and_lists_published_cycles(client, cycle):
    response = client.get(reverse("awards:index"))
    assert response.status_code == 200
    assert cycle.title not in response.content.decode()

    move_cycle_to(cycle, "nominations")
    page = client.get(reverse("awards:index")).content.decode()
    assert cycle.title in page
    assert "Open for nominations" in page
    assert "Impact on customers" in page


def test_the_landing_page_links_to_published_results(client, cycle):
    move_cycle_to(cycle, "results")
    AwardCycle.objects.filter(pk=cycle.pk).update(published_at=timezone.now())

    page = client.get(reverse("awards:index")).content.decode()

    assert reverse("awards:winners", args=[cycle.year]) in page


def test_the_scheme_unit_pages_are_not_found_for_anyone_else(cycle, alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    for path in (
        reverse("awards:cycles"),
        reverse("awards:cycle_create"),
        reverse("awards:cycle", args=[cycle.pk]),
        reverse("awards:category", args=[cycle.best.pk]),
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(reverse("awards:shortlist_compute", args=[cycle.best.pk])).status_code == 404


def test_an_analyst_reads_but_does_not_change(scheme, cycle, login):
    client = login(scheme[Role.SCHEME_ANALYST])

    page = client.get(reverse("awards:cycle", args=[cycle.pk])).content.decode()

    assert "Customer Voice Awards" in page
    assert "Add a judging criterion" not in page
    assert client.post(reverse("awards:shortlist_compute", args=[cycle.best.pk])).status_code == 403


def test_a_scheme_administrator_sets_up_a_cycle_through_the_pages(scheme, login, standard):
    client = login(scheme[Role.SCHEME_ADMIN])
    opens, closes = TODAY + 30 * DAY, TODAY + 20 * DAY
    data = {"year": 2032, "title": "Awards 2032"}
    for name, day in (("nominations_open", opens), ("nominations_close", closes)):
        data |= {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}
    ends = TODAY + 90 * DAY
    data |= {"judging_ends_0": ends.day, "judging_ends_1": ends.month, "judging_ends_2": ends.year}

    response = client.post(reverse("awards:cycle_create"), data)
    assert "Nominations must close after they open." in response.content.decode()

    later = TODAY + 60 * DAY
    data |= {"nominations_close_0": later.day, "nominations_close_1": later.month}
    data |= {"nominations_close_2": later.year}
    response = client.post(reverse("awards:cycle_create"), data, follow=True)
    page = response.content.decode()
    assert "Awards 2032" in page
    assert "Being prepared" in page

    cycle = AwardCycle.objects.get(year=2032)
    sectors = Sector.objects.filter(slug__in=["housing", "police"]).values_list("pk", flat=True)
    client.post(reverse("awards:categories_usual", args=[cycle.pk]), {"sectors": list(sectors)})
    assert cycle.categories.count() == 2 * 2 * standard.criteria.count()


def _input(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def test_whole_numbers_are_gov_uk_inputs_with_the_numeric_keypad(scheme, cycle, login):
    client = login(scheme[Role.SCHEME_ADMIN])
    year = _input(client.get(reverse("awards:cycle_create")).content.decode(), "year")
    add_criterion = reverse("awards:judging_criterion_add", args=[cycle.pk])
    posted = {"title": "Reach", "description": "How many it helped.", "weight": "many"}
    page = client.post(add_criterion, posted | {"max_score": "5"}).content.decode()

    assert 'class="govuk-input govuk-input--width-4"' in year
    assert 'inputmode="numeric"' in year and 'type="text"' in year
    assert 'class="govuk-input govuk-input--width-2 govuk-input--error"' in _input(page, "weight")
    assert 'class="govuk-input govuk-input--width-3"' in _input(page, "max_score")
    assert "The weight must be a whole number." in page


def test_a_category_page_shows_the_shortlist_and_why(scheme, cycle, holders, login):
    client = login(scheme[Role.SCHEME_ADMIN])
    category_url = reverse("awards:category", args=[cycle.most_improved.pk])
    assert "not been worked out yet" in client.get(category_url).content.decode()

    page = client.post(
        reverse("awards:shortlist_compute", args=[cycle.most_improved.pk]), follow=True
    ).content.decode()

    assert "Worked out on" in page
    assert "Real Change Homes" in page
    assert "a real change" in page
    assert "within the noise" in page
    assert "Suspended Homes" not in page


def test_candidates_are_put_forward_from_the_category_page(scheme, cycle, holders, login):
    admin = scheme[Role.SCHEME_ADMIN]
    client = login(admin)
    leader = services.shortlist_compute(membership=admin, category=cycle.best)[0]
    url = reverse("awards:put_forward", args=[cycle.best.pk])

    response = client.post(url, {})
    assert response.status_code == 400
    assert "Choose at least one candidate to put forward." in response.content.decode()

    page = client.post(url, {"candidates": [leader.pk]}, follow=True).content.decode()
    assert "1 candidates have been put forward" in page or "put forward for judging" in page
    entry = Entry.objects.get(category=cycle.best)
    assert entry.organisation.name == "Leader Homes"
    assert entry.reasons == leader.reasons


def test_team_categories_say_their_entries_are_nominated(scheme, cycle, login):
    client = login(scheme[Role.SCHEME_ADMIN])

    page = client.get(reverse("awards:category", args=[cycle.team.pk])).content.decode()

    assert "have no shortlist" in page
    assert "Work out the shortlist" not in page
