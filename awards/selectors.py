"""Reads of award cycles and categories: the stage a cycle is in, what the public and
the scheme unit may read, categories with their counts, shortlists as stored."""

import datetime
from typing import TypeGuard

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.models import Membership, Role

from .models import AwardCycle, Candidate, Category, Entry


class Stage:
    PREPARING = "preparing"
    NOMINATIONS = "nominations"
    JUDGING = "judging"
    DECIDING = "deciding"
    PUBLISHED = "published"

    labels = {
        PREPARING: _("Being prepared"),
        NOMINATIONS: _("Open for nominations"),
        JUDGING: _("Judging"),
        DECIDING: _("Results being agreed"),
        PUBLISHED: _("Results published"),
    }


def cycle_stage(cycle: AwardCycle, today: datetime.date | None = None) -> str:
    today = today or timezone.localdate()
    if cycle.published_at:
        return Stage.PUBLISHED
    if today < cycle.nominations_open:
        return Stage.PREPARING
    if today <= cycle.nominations_close:
        return Stage.NOMINATIONS
    if today <= cycle.judging_ends:
        return Stage.JUDGING
    return Stage.DECIDING


def cycle_stage_label(cycle: AwardCycle) -> str:
    return str(Stage.labels[cycle_stage(cycle)])


def is_public(cycle: AwardCycle) -> bool:
    """A cycle is public from the day nominations open: its dates, judging criteria and
    categories are published with it."""
    return cycle_stage(cycle) != Stage.PREPARING


def public_cycles() -> QuerySet[AwardCycle]:
    return AwardCycle.objects.filter(
        Q(nominations_open__lte=timezone.localdate()) | Q(published_at__isnull=False)
    )


def is_scheme_member(membership: Membership | None) -> TypeGuard[Membership]:
    return membership is not None and membership.is_scheme


def can_run_awards(membership: Membership | None) -> bool:
    return is_scheme_member(membership) and membership.role == Role.SCHEME_ADMIN


def cycles_for(membership: Membership | None) -> QuerySet[AwardCycle]:
    """Every cycle for the scheme unit; the public ones for anyone else."""
    if is_scheme_member(membership):
        return AwardCycle.objects.all()
    return public_cycles()


def categories_for(membership: Membership | None) -> QuerySet[Category]:
    return Category.objects.filter(cycle__in=cycles_for(membership)).select_related(
        "cycle", "criterion", "sector"
    )


def categories_with_counts(cycle: AwardCycle) -> QuerySet[Category]:
    live = ~Q(entries__status__in=[Entry.Status.WITHDRAWN, Entry.Status.DECLINED])
    return (
        cycle.categories.select_related("criterion", "sector")
        .annotate(
            candidate_count=Count("candidates", distinct=True),
            entry_count=Count("entries", filter=live, distinct=True),
        )
        .order_by("criterion__number", "sector__name", "kind", "level")
    )


def candidates_of(category: Category) -> QuerySet[Candidate]:
    return category.candidates.select_related("organisation").order_by("rank")


def shortlist_computed_at(category: Category) -> datetime.datetime | None:
    at: datetime.datetime | None = category.candidates.aggregate(at=Max("computed_at"))["at"]
    return at


def put_forward_organisations(category: Category) -> set[int]:
    """Organisations already entered from the evidence in this category (not withdrawn)."""
    return set(
        category.entries.filter(source=Entry.Source.EVIDENCE)
        .exclude(status=Entry.Status.WITHDRAWN)
        .values_list("organisation_id", flat=True)
    )
