"""Judging: panels of judges for some of a cycle's categories, their declared conflicts,
their scores against the cycle's judging criteria, moderation of the scores and the
results recorded with reasons, and the publication of a cycle's results.

A judge is a person: the pages find their panels by the signed-in user, whichever
organisation they act for, and conflicts and scores are recorded against the membership
the scheme unit added to the panel. A judge never sees, scores or moderates an entry
they declared a conflict on: `entries_for_judge` is the one read of entries for judges.

Results are recorded, never edited: a changed result (another place or other reasons
for the same entry, or another entry as the category's winner) is a new result that
supersedes the earlier one.
"""

import datetime
from dataclasses import dataclass, field

import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from organisations.models import Membership, Role, User
from organisations.notifications import NewNotification, notifications_add

from .models import (
    AwardCycle,
    Category,
    Conflict,
    Entry,
    JudgingCriterion,
    Panel,
    PanelJudge,
    Result,
    Score,
)
from .selectors import Stage, cycle_stage

# Reads ----------------------------------------------------------------------------------


def is_judging(cycle: AwardCycle, today: datetime.date | None = None) -> bool:
    """Judges score between the close of nominations and the end of judging."""
    return cycle_stage(cycle, today) == Stage.JUDGING


def results_may_change(cycle: AwardCycle, today: datetime.date | None = None) -> bool:
    """Results are recorded once nominations have closed, until the cycle is published."""
    return cycle_stage(cycle, today) in (Stage.JUDGING, Stage.DECIDING)


def is_scheme_admin(membership: Membership | None) -> bool:
    return membership is not None and membership.is_scheme and membership.role == Role.SCHEME_ADMIN


def is_scheme_reader(membership: Membership | None) -> bool:
    return membership is not None and membership.is_scheme


def judge_seats(user: User) -> QuerySet[PanelJudge]:
    """The person's seats on panels."""
    return PanelJudge.objects.filter(judge__user=user).select_related("panel__cycle", "judge")


def judged_entries() -> QuerySet[Entry]:
    """Entries that go before the judges: submitted ones (consented, not withdrawn)."""
    return Entry.objects.filter(status=Entry.Status.SUBMITTED)


def entries_for_judge(user: User, panel: Panel | None = None) -> QuerySet[Entry]:
    """The entries of the person's panels, less every entry they declared a conflict on.
    Every page and API that shows entries to a judge reads them here."""
    seats = PanelJudge.objects.filter(judge__user=user)
    if panel is not None:
        seats = seats.filter(panel=panel)
    return (
        judged_entries()
        .filter(category__panels__in=seats.values("panel"))
        .exclude(conflicts__judge__user=user)
        .distinct()
        .select_related("category__cycle", "category__criterion", "category__sector")
        .select_related("organisation")
        .order_by("category__criterion__number", "category_id", "pk")
    )


def seat_for(user: User, entry: Entry) -> PanelJudge | None:
    """The person's seat on a panel that judges the entry's category."""
    return (
        PanelJudge.objects.filter(judge__user=user, panel__categories=entry.category_id)
        .select_related("judge", "panel")
        .order_by("-chair", "pk")
        .first()
    )


def chairs(user: User, panel: Panel) -> bool:
    return PanelJudge.objects.filter(judge__user=user, panel=panel, chair=True).exists()


def may_moderate(membership: Membership | None, user: User, panel: Panel) -> bool:
    """The panel's chair and the scheme unit (its administrators record; analysts read)."""
    return is_scheme_reader(membership) or chairs(user, panel)


def current_results() -> QuerySet[Result]:
    return Result.objects.filter(superseded_by__isnull=True)


def panels_of_cycle(cycle: AwardCycle) -> QuerySet[Panel]:
    return cycle.panels.prefetch_related("categories__criterion", "categories__sector")


@dataclass
class JudgeTotal:
    judge: Membership
    total: float | None  # weighted, 0-100; None until every criterion is scored
    scored: int


@dataclass
class EntryScores:
    entry: Entry
    judges: list[JudgeTotal] = field(default_factory=list)
    mean: float | None = None
    lowest: float | None = None
    highest: float | None = None
    spread: float | None = None
    sd: float | None = None
    result: Result | None = None


def entry_scores(entries: list[Entry], criteria: list[JudgingCriterion]) -> list[EntryScores]:
    """Each entry's weighted total per judge (0-100: scores over highest, by weight), their
    mean, the spread between judges and who scored. A judge's score on an entry they have
    since declared a conflict on is left out; a total counts once every criterion is scored."""
    rows = list(
        Score.objects.filter(entry__in=entries, criterion__in=criteria)
        .exclude(Exists(Conflict.objects.filter(entry=OuterRef("entry"), judge=OuterRef("judge"))))
        .values("entry", "judge", "criterion", "score")
    )
    judges = {m.pk: m for m in _judges_of(rows)}
    results = {r.entry_id: r for r in current_results().filter(entry__in=entries)}
    summaries = {e.pk: EntryScores(e, result=results.get(e.pk)) for e in entries}
    if rows and criteria:
        frame = pd.DataFrame(rows)
        weights = pd.Series({c.pk: c.weight for c in criteria})
        highest = pd.Series({c.pk: c.max_score for c in criteria})
        frame["weighted"] = (
            frame["score"] / frame["criterion"].map(highest) * frame["criterion"].map(weights)
        )
        per_judge = frame.groupby(["entry", "judge"]).agg(
            weighted=("weighted", "sum"), scored=("criterion", "nunique")
        )
        per_judge["total"] = per_judge["weighted"] / weights.sum() * 100
        complete = per_judge[per_judge["scored"] == len(criteria)]
        for (entry_id, judge_id), row in per_judge.iterrows():
            total = row["total"] if row["scored"] == len(criteria) else None
            summaries[entry_id].judges.append(
                JudgeTotal(judges[judge_id], total, int(row["scored"]))
            )
        stats = complete.groupby(level="entry")["total"].agg(["mean", "min", "max", "std"])
        for entry_id, row in stats.iterrows():
            summary = summaries[entry_id]
            summary.mean, summary.lowest, summary.highest = row["mean"], row["min"], row["max"]
            summary.spread = row["max"] - row["min"]
            summary.sd = None if pd.isna(row["std"]) else row["std"]
    return list(summaries.values())


def _judges_of(rows) -> QuerySet[Membership]:
    ids = {row["judge"] for row in rows}
    return Membership.objects.filter(pk__in=ids).select_related("user", "organisation")


def result_history(category: Category) -> QuerySet[Result]:
    return category.results.select_related(
        "entry__organisation", "recorded_by__user", "supersedes"
    ).order_by("-recorded_at", "-pk")


# Panels ---------------------------------------------------------------------------------


def _require_scheme_admin(membership: Membership) -> None:
    if not is_scheme_admin(membership):
        raise PermissionDenied(_("Only scheme administrators run the judging."))


@transaction.atomic
def panel_create(
    *, membership: Membership, cycle: AwardCycle, name: str, categories: list[Category]
) -> Panel:
    _require_scheme_admin(membership)
    panel = Panel(cycle=cycle, name=name.strip())
    panel.full_clean()
    panel.save()
    panel_categories_set(membership=membership, panel=panel, categories=categories)
    return panel


@transaction.atomic
def panel_categories_set(
    *, membership: Membership, panel: Panel, categories: list[Category]
) -> Panel:
    _require_scheme_admin(membership)
    if any(category.cycle_id != panel.cycle_id for category in categories):
        raise ValidationError({"categories": _("Choose categories of the panel's cycle.")})
    panel.categories.set(categories)
    return panel


@transaction.atomic
def panel_judge_add(
    *, membership: Membership, panel: Panel, email: str, chair: bool = False
) -> PanelJudge:
    """Seat a person (found by email address) on the panel. A person who belongs to
    several organisations judges as their oldest membership."""
    _require_scheme_admin(membership)
    judge = (
        Membership.objects.filter(user__email__iexact=email.strip(), user__is_active=True)
        .order_by("created_at", "pk")
        .first()
    )
    if judge is None:
        raise ValidationError(
            {"email": _("Nobody with that email address uses Customer Voice yet.")}
        )
    if PanelJudge.objects.filter(panel=panel, judge__user=judge.user_id).exists():
        raise ValidationError({"email": _("This person is already on the panel.")})
    seat = PanelJudge.objects.create(panel=panel, judge=judge, chair=False)
    if chair:
        panel_chair_set(membership=membership, panel=panel, seat=seat)
        seat.chair = True
    return seat


@transaction.atomic
def panel_chair_set(*, membership: Membership, panel: Panel, seat: PanelJudge) -> None:
    """One chair per panel: naming one unseats the last."""
    _require_scheme_admin(membership)
    if seat.panel_id != panel.pk:
        raise ValidationError(_("This judge is not on the panel."))
    panel.panel_judges.exclude(pk=seat.pk).update(chair=False)
    PanelJudge.objects.filter(pk=seat.pk).update(chair=True)


@transaction.atomic
def panel_judge_remove(*, membership: Membership, seat: PanelJudge) -> None:
    """A judge who has scored stays on record; one who has not may be taken off."""
    _require_scheme_admin(membership)
    if Score.objects.filter(judge=seat.judge, entry__category__panels=seat.panel_id).exists():
        raise ValidationError(_("This judge has scored entries and stays on the panel."))
    seat.delete()


# Conflicts and scores -------------------------------------------------------------------


def _require_seat(user: User, entry: Entry) -> PanelJudge:
    """The judge's seat for an entry they may see; anything else is not found."""
    if not entries_for_judge(user).filter(pk=entry.pk).exists():
        raise PermissionDenied(_("You do not judge this entry."))
    return seat_for(user, entry)


@transaction.atomic
def conflict_declare(*, user: User, entry: Entry, reason: str) -> Conflict:
    """Declare a conflict of interest with an entry: from now on the judge does not see,
    score or moderate it, and their scores of it no longer count. Not withdrawn."""
    seat = _require_seat(user, entry)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you have a conflict of interest.")})
    return Conflict.objects.create(judge=seat.judge, entry=entry, reason=reason)


@transaction.atomic
def scores_save(
    *,
    user: User,
    entry: Entry,
    scores: dict[int, tuple[int, str]],
) -> list[Score]:
    """Record a judge's scores of an entry, criterion id → (score, comment), during judging."""
    seat = _require_seat(user, entry)
    cycle = entry.category.cycle
    if not is_judging(cycle):
        raise ValidationError(_("Entries are scored only while judging is open."))
    criteria = {c.pk: c for c in cycle.criteria.all()}
    saved = []
    errors = {}
    for criterion_id, (value, comment) in scores.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise ValidationError(_("Score against the cycle's own judging criteria."))
        if not 0 <= value <= criterion.max_score:
            errors[f"criterion_{criterion_id}"] = _("Give a score from 0 to %(highest)s.") % {
                "highest": criterion.max_score
            }
            continue
        score, _created = Score.objects.update_or_create(
            entry=entry,
            judge=seat.judge,
            criterion=criterion,
            defaults={"score": value, "comment": comment.strip()},
        )
        saved.append(score)
    if errors:
        raise ValidationError(errors)
    return saved


# Results --------------------------------------------------------------------------------


def may_record(membership: Membership | None, user: User, entry: Entry) -> bool:
    """The scheme administrators, and the chair of a panel judging the entry's category
    unless the chair declared a conflict on it."""
    if is_scheme_admin(membership):
        return True
    return (
        PanelJudge.objects.filter(
            judge__user=user, chair=True, panel__categories=entry.category_id
        ).exists()
        and not Conflict.objects.filter(entry=entry, judge__user=user).exists()
    )


@transaction.atomic
def result_record(
    *, membership: Membership, user: User, entry: Entry, place: str, reasons: str
) -> Result:
    """Record an entry's place in its category. An earlier result of the same entry, or
    the category's winner when another entry now wins, is superseded, not edited."""
    # The cycle is locked too, so a result is never recorded while results are published.
    category = (
        Category.objects.select_for_update(of=("self", "cycle"))
        .select_related("cycle")
        .get(pk=entry.category_id)
    )
    if not may_record(membership, user, entry):
        raise PermissionDenied(_("Only the panel's chair or the scheme unit records results."))
    if not results_may_change(category.cycle):
        raise ValidationError(
            _("Results are recorded after nominations close and before they are published.")
        )
    if entry.status != Entry.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted entry can win or be commended."))
    reasons = reasons.strip()
    if not reasons:
        raise ValidationError({"reasons": _("Give the reasons for the result.")})
    if place not in Result.Place.values:
        raise ValidationError({"place": _("Choose winner or highly commended.")})
    current = current_results().filter(category=category)
    earlier = current.filter(entry=entry).first()
    if earlier and (earlier.place, earlier.reasons) == (place, reasons):
        raise ValidationError(_("This result is already recorded."))
    winner = current.filter(place=Result.Place.WINNER).exclude(entry=entry).first()
    if place == Result.Place.WINNER and winner is not None:
        if earlier is not None:
            raise ValidationError(
                _("%(entry)s is this category's winner: record its new place first.")
                % {"entry": winner.entry}
            )
        # The category's winner changes: the new winner's result replaces the old one's.
        earlier = winner
    return Result.objects.create(
        category=category,
        entry=entry,
        place=place,
        reasons=reasons,
        recorded_by=membership,
        supersedes=earlier,
    )


# Publication ------------------------------------------------------------------------------


@transaction.atomic
def results_publish(*, membership: Membership, cycle: AwardCycle) -> AwardCycle:
    """Publish a cycle's results: every category with a winner, on the winners' page, the
    register and the API. Nominators of the cycle's entries are told."""
    _require_scheme_admin(membership)
    cycle = AwardCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.published_at is not None:
        raise ValidationError(_("This cycle's results are already published."))
    if not results_may_change(cycle):
        raise ValidationError(_("Results are published after nominations close."))
    if not current_results().filter(category__cycle=cycle, place=Result.Place.WINNER).exists():
        raise ValidationError(_("Record at least one category's winner first."))
    cycle.published_at = timezone.now()
    cycle.published_by = membership.user
    cycle.save(update_fields=["published_at", "published_by"])
    _notify_nominators(cycle)
    from organisations.tasks import send_notification_emails

    transaction.on_commit(send_notification_emails.delay)
    return cycle


def _notify_nominators(cycle: AwardCycle) -> None:
    from django.urls import reverse

    entries = (
        judged_entries()
        .filter(category__cycle=cycle, nominated_by__isnull=False)
        .select_related("nominated_by__user")
    )
    link = reverse("awards:winners", args=[cycle.year])
    notifications_add(
        [
            NewNotification(
                recipient_id=entry.nominated_by.user_id,
                organisation_id=entry.nominated_by.organisation_id,
                key=f"award-results-{cycle.year}-{entry.pk}",
                subject=_("The %(cycle)s results are published") % {"cycle": cycle.title},
                body=_("The results for your nomination of %(nominee)s are on the winners' page.")
                % {"nominee": entry.nominee_name},
                link=link,
            )
            for entry in entries
        ]
    )
