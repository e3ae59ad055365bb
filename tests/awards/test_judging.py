"""Judging: panels, conflicts of interest (a judge never sees an entry they declared one
on), scores, moderation, results that supersede and never change, publication."""

import re
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from awards import judging
from awards.models import Entry, Panel, Result
from organisations.models import Notification, Organisation, Role

from ..factories import OrganisationFactory, member
from .conftest import move_cycle_to


@dataclass
class Judging:
    cycle: object
    panel: Panel
    chair: object
    judge: object
    third: object
    admin: object
    first: Entry
    second: Entry


def submitted_entry(category, holder, name):
    return Entry.objects.create(
        category=category,
        organisation=holder.organisation,
        source=Entry.Source.NOMINATION,
        status=Entry.Status.SUBMITTED,
        nominee_name=name,
        nominee_email=f"{name.split()[0].lower()}@example.org",
        statement=f"What {name} did for customers.",
        nominated_by=holder.admin,
    )


@pytest.fixture
def panel_at_work(cycle, make_holder, scheme):
    """A panel judging the team category, in judging, with a chair and two judges, and
    two submitted nominations from two holders."""
    move_cycle_to(cycle, "judging")
    admin = scheme[Role.SCHEME_ADMIN]
    judges = OrganisationFactory(name="Independent Judges", kind=Organisation.Kind.APPLICANT)
    people = [
        member(judges, Role.APPLICANT_EDITOR, email=f"{name}@judges.example")
        for name in ("chair", "judge", "third")
    ]
    panel = judging.panel_create(
        membership=admin, cycle=cycle, name="Team panel", categories=[cycle.team]
    )
    judging.panel_judge_add(membership=admin, panel=panel, email="chair@judges.example", chair=True)
    for name in ("judge", "third"):
        judging.panel_judge_add(membership=admin, panel=panel, email=f"{name}@judges.example")
    first = submitted_entry(cycle.team, make_holder("First Homes"), "Lettings Team")
    second = submitted_entry(cycle.team, make_holder("Second Homes"), "Repairs Crew")
    return Judging(cycle, panel, *people, admin, first, second)


def _score(j, who, entry, values):
    criteria = list(j.cycle.criteria.all())
    return judging.scores_save(
        user=who.user,
        entry=entry,
        scores={c.pk: (v, "") for c, v in zip(criteria, values, strict=True)},
    )


# Panels -----------------------------------------------------------------------------------


def test_a_scheme_administrator_builds_a_panel_through_its_pages(cycle, scheme, login):
    admin = scheme[Role.SCHEME_ADMIN]
    person = member(OrganisationFactory(name="Judge Org"), Role.APPLICANT_ADMIN, email="j@x.org")
    client = login(admin)
    response = client.post(reverse("awards:panels"), {"cycle": cycle.pk, "name": "Timeliness"})
    panel = Panel.objects.get()
    assert response.url == reverse("awards:panel", args=[panel.pk])
    client.post(
        reverse("awards:panel_categories", args=[panel.pk]),
        {"categories": [cycle.team.pk, cycle.individual.pk]},
    )
    client.post(reverse("awards:panel_judge_add", args=[panel.pk]), {"email": "J@x.org"})
    unknown = client.post(
        reverse("awards:panel_judge_add", args=[panel.pk]), {"email": "nobody@x.org"}
    )
    assert "Nobody with that email address" in unknown.content.decode()
    assert set(panel.categories.all()) == {cycle.team, cycle.individual}
    seat = panel.panel_judges.get()
    assert seat.judge == person and not seat.chair
    client.post(reverse("awards:panel_chair", args=[panel.pk, seat.pk]))
    seat.refresh_from_db()
    assert seat.chair


def test_panels_are_the_scheme_units_own(cycle, scheme, make_holder, login):
    holder = make_holder("Curious Homes")
    assert login(holder.admin).get(reverse("awards:panels")).status_code == 404
    analyst = login(scheme[Role.SCHEME_ANALYST])
    assert analyst.get(reverse("awards:panels")).status_code == 200
    assert (
        analyst.post(reverse("awards:panels"), {"cycle": cycle.pk, "name": "X"}).status_code == 404
    )


# Conflicts ----------------------------------------------------------------------------------


def test_a_judge_sees_the_names_and_declares_a_conflict(panel_at_work, login):
    j = panel_at_work
    client = login(j.judge)
    page = client.get(reverse("awards:judging_panel", args=[j.panel.pk])).content.decode()
    assert "Lettings Team" in page and "Repairs Crew" in page
    response = client.post(
        reverse("awards:judging_conflict", args=[j.first.pk]),
        {"reason": "I used to manage the lettings team."},
    )
    assert response.status_code == 302
    assert j.first.conflicts.get().judge == j.judge


def test_a_judge_never_sees_an_entry_they_declared_a_conflict_on(panel_at_work, login):
    j = panel_at_work
    judging.conflict_declare(user=j.judge.user, entry=j.first, reason="My sister leads it.")
    client = login(j.judge)
    panel_page = client.get(reverse("awards:judging_panel", args=[j.panel.pk])).content.decode()
    assert "Lettings Team" not in panel_page and "Repairs Crew" in panel_page
    for name in ("judging_entry", "judging_score", "judging_conflict"):
        assert client.get(reverse(f"awards:{name}", args=[j.first.pk])).status_code == 404
    score = client.post(reverse("awards:judging_score", args=[j.first.pk]), {})
    assert score.status_code == 404
    with pytest.raises(PermissionDenied):
        _score(j, j.judge, j.first, [5, 5, 5])
    assert list(judging.entries_for_judge(j.judge.user)) == [j.second]
    # Others on the panel still see it.
    other = login(j.third)
    assert other.get(reverse("awards:judging_entry", args=[j.first.pk])).status_code == 200


def test_a_conflicted_chair_does_not_moderate_the_entry(panel_at_work, login):
    j = panel_at_work
    judging.conflict_declare(user=j.chair.user, entry=j.first, reason="Former employer.")
    client = login(j.chair)
    page = client.get(reverse("awards:moderation", args=[j.panel.pk])).content.decode()
    assert "Lettings Team" not in page and "Repairs Crew" in page
    url = reverse("awards:result_record", args=[j.panel.pk, j.first.pk])
    assert client.get(url).status_code == 404


def test_a_conflict_needs_a_reason(panel_at_work, login):
    j = panel_at_work
    response = login(j.judge).post(
        reverse("awards:judging_conflict", args=[j.first.pk]), {"reason": " "}
    )
    assert "Say why you have a conflict of interest" in response.content.decode()
    assert not j.first.conflicts.exists()


def test_judging_pages_are_not_found_for_people_off_the_panel(panel_at_work, make_holder, login):
    j = panel_at_work
    outsider = login(make_holder("Outsider Homes").admin)
    assert outsider.get(reverse("awards:judging")).status_code == 404
    assert outsider.get(reverse("awards:judging_panel", args=[j.panel.pk])).status_code == 404
    assert outsider.get(reverse("awards:judging_entry", args=[j.first.pk])).status_code == 404
    assert outsider.get(reverse("awards:moderation", args=[j.panel.pk])).status_code == 404
    # A judge who is not the chair does not moderate.
    assert login(j.judge).get(reverse("awards:moderation", args=[j.panel.pk])).status_code == 404


def test_an_entry_waiting_for_consent_is_not_judged(panel_at_work):
    j = panel_at_work
    Entry.objects.filter(pk=j.second.pk).update(status=Entry.Status.AWAITING_CONSENT)
    assert list(judging.entries_for_judge(j.judge.user)) == [j.first]


# Scores and moderation ------------------------------------------------------------------------


def test_a_judge_scores_against_the_criteria_through_the_page(panel_at_work, login):
    j = panel_at_work
    criteria = list(j.cycle.criteria.all())
    client = login(j.judge)
    data = {f"criterion_{c.pk}": 4 for c in criteria}
    data[f"comment_{criteria[0].pk}"] = "Strong evidence."
    response = client.post(reverse("awards:judging_score", args=[j.first.pk]), data)
    assert response.status_code == 302
    assert sorted(j.first.scores.values_list("score", flat=True)) == [4, 4, 4]
    too_high = {**data, f"criterion_{criteria[1].pk}": 9}
    page = client.post(reverse("awards:judging_score", args=[j.first.pk]), too_high)
    assert "The score must be 5 or less" in page.content.decode()
    score = re.search(rf'<input[^>]*name="criterion_{criteria[1].pk}"[^>]*>', page.content.decode())
    assert 'class="govuk-input govuk-input--width-3 govuk-input--error"' in score.group(0)
    assert 'inputmode="numeric"' in score.group(0)


def test_scores_are_taken_only_during_judging(panel_at_work):
    j = panel_at_work
    move_cycle_to(j.cycle, "nominations")
    with pytest.raises(ValidationError):
        _score(j, j.judge, j.first, [3, 3, 3])


def test_moderation_shows_weighted_totals_spread_and_who_scored(panel_at_work, login):
    j = panel_at_work
    _score(j, j.chair, j.first, [5, 5, 5])  # 100
    _score(j, j.judge, j.first, [4, 3, 2])  # (3·0.8 + 2·0.6 + 1·0.4) / 6 = 66.7
    _score(j, j.third, j.first, [0, 0, 0])
    judging.conflict_declare(user=j.third.user, entry=j.first, reason="Declared late.")
    criteria = list(j.cycle.criteria.all())
    summary = judging.entry_scores([j.first], criteria)[0]
    assert summary.mean == pytest.approx(83.33, abs=0.01)
    assert summary.spread == pytest.approx(33.33, abs=0.01)
    assert {t.judge for t in summary.judges} == {j.chair, j.judge}

    page = login(j.chair).get(reverse("awards:moderation", args=[j.panel.pk])).content.decode()
    assert "83.3" in page and "66.7 to 100.0" in page
    assert "third@judges.example" not in page


def test_an_incomplete_judge_does_not_count_in_the_total(panel_at_work):
    j = panel_at_work
    _score(j, j.chair, j.first, [5, 5, 5])
    first = j.cycle.criteria.first()
    judging.scores_save(user=j.judge.user, entry=j.first, scores={first.pk: (0, "")})
    summary = judging.entry_scores([j.first], list(j.cycle.criteria.all()))[0]
    assert summary.mean == 100
    assert [t.total for t in summary.judges if t.judge == j.judge] == [None]


# Results ------------------------------------------------------------------------------------------


def test_the_chair_records_a_result_with_reasons(panel_at_work, login):
    j = panel_at_work
    client = login(j.chair)
    url = reverse("awards:result_record", args=[j.panel.pk, j.first.pk])
    missing = client.post(url, {"place": "winner", "reasons": ""})
    assert "Give the reasons for the result" in missing.content.decode()
    client.post(url, {"place": "winner", "reasons": "Halved waiting times."})
    result = Result.objects.get()
    assert (result.entry, result.place, result.recorded_by) == (j.first, "winner", j.chair)
    # Judges who do not chair record nothing.
    assert login(j.judge).post(url, {"place": "winner", "reasons": "x"}).status_code == 404


def test_a_changed_result_supersedes_the_earlier_one_which_stays_unchanged(panel_at_work):
    j = panel_at_work
    record = judging.result_record
    won = record(membership=j.admin, user=j.admin.user, entry=j.first, place="winner", reasons="A")
    # Another entry now wins: its result replaces the first's.
    second = record(
        membership=j.admin, user=j.admin.user, entry=j.second, place="winner", reasons="B"
    )
    assert second.supersedes == won
    # The first entry is then highly commended: a new result of its own.
    commended = record(
        membership=j.admin,
        user=j.admin.user,
        entry=j.first,
        place="highly_commended",
        reasons="Close second.",
    )
    assert commended.supersedes is None
    won.refresh_from_db()
    assert (won.place, won.reasons) == ("winner", "A")
    current = judging.current_results().filter(category=j.cycle.team)
    assert {(r.entry, r.place) for r in current} == {
        (j.second, "winner"),
        (j.first, "highly_commended"),
    }
    # A commended entry cannot take the winner's place before the winner's changes.
    with pytest.raises(ValidationError):
        record(membership=j.admin, user=j.admin.user, entry=j.first, place="winner", reasons="C")
    moved = record(
        membership=j.admin,
        user=j.admin.user,
        entry=j.second,
        place="highly_commended",
        reasons="Re-judged.",
    )
    assert moved.supersedes == second


def test_the_same_result_is_not_recorded_twice(panel_at_work):
    j = panel_at_work
    kwargs = {"membership": j.admin, "user": j.admin.user, "entry": j.first}
    judging.result_record(**kwargs, place="winner", reasons="A")
    with pytest.raises(ValidationError):
        judging.result_record(**kwargs, place="winner", reasons="A")


def test_results_wait_for_nominations_to_close(panel_at_work):
    j = panel_at_work
    move_cycle_to(j.cycle, "nominations")
    with pytest.raises(ValidationError):
        judging.result_record(
            membership=j.admin, user=j.admin.user, entry=j.first, place="winner", reasons="A"
        )


# Publication ----------------------------------------------------------------------------------


def test_publishing_needs_a_winner_then_fixes_the_results_and_tells_nominators(
    panel_at_work, login
):
    j = panel_at_work
    client = login(j.admin)
    url = reverse("awards:publish", args=[j.cycle.year])
    client.post(url)
    j.cycle.refresh_from_db()
    assert j.cycle.published_at is None
    assert client.get(reverse("awards:winners", args=[j.cycle.year])).status_code == 404

    judging.result_record(
        membership=j.admin, user=j.admin.user, entry=j.first, place="winner", reasons="Fast."
    )
    client.post(url)
    j.cycle.refresh_from_db()
    assert j.cycle.published_at is not None
    assert Notification.objects.filter(recipient=j.first.nominated_by.user).exists()
    with pytest.raises(ValidationError):
        judging.result_record(
            membership=j.admin, user=j.admin.user, entry=j.second, place="winner", reasons="Late"
        )


def test_only_scheme_administrators_publish(panel_at_work, scheme, login):
    j = panel_at_work
    judging.result_record(
        membership=j.admin, user=j.admin.user, entry=j.first, place="winner", reasons="Fast."
    )
    analyst = login(scheme[Role.SCHEME_ANALYST])
    assert analyst.post(reverse("awards:publish", args=[j.cycle.year])).status_code == 404
    chair = login(j.chair)
    assert chair.post(reverse("awards:publish", args=[j.cycle.year])).status_code == 404
    j.cycle.refresh_from_db()
    assert j.cycle.published_at is None
