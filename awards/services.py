"""Changes to award cycles, their judging criteria and categories, the shortlists
computed from the evidence and the entries put forward from them. Scheme
administrators only.

A cycle is public from the day nominations open: from then on its dates, judging
criteria and categories stay as published. Shortlists may be computed and candidates
put forward until nominations close, when judging starts."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organisations.models import Membership, Sector
from standard.models import Criterion
from standard.selectors import current_standard

from . import selectors, shortlists
from .models import AwardCycle, Candidate, Category, Entry, JudgingCriterion


def _require_admin(membership: Membership | None) -> None:
    if not selectors.can_run_awards(membership):
        raise PermissionDenied(_("Only scheme administrators run the awards."))


def _require_preparing(cycle: AwardCycle, message: str) -> None:
    if selectors.cycle_stage(cycle) != selectors.Stage.PREPARING:
        raise ValidationError(message)


# Cycles ---------------------------------------------------------------------------------


@dataclass
class CycleInput:
    year: int
    title: str
    nominations_open: datetime.date
    nominations_close: datetime.date
    judging_ends: datetime.date


def _check_cycle(cycle: AwardCycle) -> None:
    errors = {}
    if cycle.nominations_open and cycle.nominations_close:
        if cycle.nominations_close <= cycle.nominations_open:
            errors["nominations_close"] = _("Nominations must close after they open.")
    if cycle.nominations_close and cycle.judging_ends:
        if cycle.judging_ends < cycle.nominations_close:
            errors["judging_ends"] = _("Judging must end on or after the day nominations close.")
    taken = AwardCycle.objects.filter(year=cycle.year).exclude(pk=cycle.pk)
    if cycle.year and taken.exists():
        errors["year"] = _("There is already a cycle for %(year)s.") % {"year": cycle.year}
    if errors:
        raise ValidationError(errors)
    cycle.title = cycle.title.strip()
    cycle.full_clean(validate_constraints=False)


@transaction.atomic
def cycle_create(*, membership: Membership, data: CycleInput) -> AwardCycle:
    _require_admin(membership)
    cycle = AwardCycle(**data.__dict__)
    _check_cycle(cycle)
    cycle.save()
    return cycle


@transaction.atomic
def cycle_update(*, membership: Membership, cycle: AwardCycle, data: CycleInput) -> AwardCycle:
    """Change a cycle's year, title or dates, until nominations open."""
    _require_admin(membership)
    cycle = AwardCycle.objects.select_for_update().get(pk=cycle.pk)
    _require_preparing(
        cycle, _("Nominations have opened: the cycle is published and can no longer change.")
    )
    for name, value in data.__dict__.items():
        setattr(cycle, name, value)
    _check_cycle(cycle)
    cycle.save()
    return cycle


# Judging criteria -----------------------------------------------------------------------


@dataclass
class JudgingCriterionInput:
    title: str
    description: str
    weight: int = 1
    max_score: int = 5


def _check_criteria_open(cycle: AwardCycle) -> None:
    _require_preparing(
        cycle,
        _("Nominations have opened: the judging criteria are published and can no longer change."),
    )


def _check_judging_criterion(criterion: JudgingCriterion) -> None:
    criterion.title = criterion.title.strip()
    criterion.description = criterion.description.strip()
    errors = {}
    if criterion.weight is not None and criterion.weight < 1:
        errors["weight"] = _("The weight must be 1 or more.")
    if criterion.max_score is not None and criterion.max_score < 1:
        errors["max_score"] = _("The highest score must be 1 or more.")
    if errors:
        raise ValidationError(errors)
    criterion.full_clean()


@transaction.atomic
def judging_criterion_add(
    *, membership: Membership, cycle: AwardCycle, data: JudgingCriterionInput
) -> JudgingCriterion:
    _require_admin(membership)
    _check_criteria_open(cycle)
    last = cycle.criteria.order_by("-position").values_list("position", flat=True).first()
    criterion = JudgingCriterion(
        cycle=cycle, position=0 if last is None else last + 1, **data.__dict__
    )
    _check_judging_criterion(criterion)
    criterion.save()
    return criterion


@transaction.atomic
def judging_criterion_update(
    *, membership: Membership, criterion: JudgingCriterion, data: JudgingCriterionInput
) -> JudgingCriterion:
    _require_admin(membership)
    _check_criteria_open(criterion.cycle)
    for name, value in data.__dict__.items():
        setattr(criterion, name, value)
    _check_judging_criterion(criterion)
    criterion.save()
    return criterion


@transaction.atomic
def judging_criterion_delete(*, membership: Membership, criterion: JudgingCriterion) -> None:
    _require_admin(membership)
    _check_criteria_open(criterion.cycle)
    criterion.delete()


# Categories -----------------------------------------------------------------------------


def _check_category_criterion(criterion: Criterion) -> None:
    standard = current_standard()
    if standard is None or criterion.standard_id != standard.pk:
        raise ValidationError(
            {"criterion": _("Categories are for the criteria of the current standard.")}
        )


@transaction.atomic
def category_create(
    *,
    membership: Membership,
    cycle: AwardCycle,
    criterion: Criterion,
    sector: Sector,
    kind: str,
    level: str,
) -> Category:
    _require_admin(membership)
    _require_preparing(
        cycle, _("Nominations have opened: the categories are published and can no longer change.")
    )
    _check_category_criterion(criterion)
    category = Category(cycle=cycle, criterion=criterion, sector=sector, kind=kind, level=level)
    category.full_clean(validate_constraints=False)
    if Category.objects.filter(
        cycle=cycle, criterion=criterion, sector=sector, kind=kind, level=level
    ).exists():
        raise ValidationError(_("This cycle already has that category."))
    category.save()
    return category


@transaction.atomic
def categories_create_usual(
    *, membership: Membership, cycle: AwardCycle, sectors: list[Sector]
) -> list[Category]:
    """Best and most improved at organisation level for every criterion of the current
    standard in each sector given; those the cycle already has are left as they are."""
    _require_admin(membership)
    _require_preparing(
        cycle, _("Nominations have opened: the categories are published and can no longer change.")
    )
    if not sectors:
        raise ValidationError({"sectors": _("Choose at least one sector.")})
    standard = current_standard()
    if standard is None:
        raise ValidationError(_("There is no published standard to make categories for."))
    existing = set(cycle.categories.values_list("criterion_id", "sector_id", "kind", "level"))
    level = Category.Level.ORGANISATION
    created = [
        Category(cycle=cycle, criterion=criterion, sector=sector, kind=kind, level=level)
        for sector in sectors
        for criterion in standard.criteria.order_by("number")
        for kind in (Category.Kind.BEST, Category.Kind.MOST_IMPROVED)
        if (criterion.pk, sector.pk, kind, level) not in existing
    ]
    Category.objects.bulk_create(created)
    return created


@transaction.atomic
def category_delete(*, membership: Membership, category: Category) -> None:
    _require_admin(membership)
    _require_preparing(
        category.cycle,
        _("Nominations have opened: the categories are published and can no longer change."),
    )
    if category.entries.exists():
        raise ValidationError(_("This category has entries, so it stays."))
    category.delete()


# Shortlists and entries from the evidence ----------------------------------------------


def _require_before_close(cycle: AwardCycle) -> None:
    if selectors.cycle_stage(cycle) not in (selectors.Stage.PREPARING, selectors.Stage.NOMINATIONS):
        raise ValidationError(
            _("Nominations have closed: the shortlists and entries stay as they were.")
        )


def _require_organisation_level(category: Category) -> None:
    if category.level != Category.Level.ORGANISATION:
        raise ValidationError(
            _("Team and individual categories have no shortlist: their entries are nominated.")
        )


@transaction.atomic
def shortlist_compute(*, membership: Membership, category: Category) -> list[Candidate]:
    """Work out the category's shortlist from the evidence and store it in place of the
    one before. Entries already put forward keep their reasons."""
    _require_admin(membership)
    _require_organisation_level(category)
    _require_before_close(category.cycle)
    ranked = shortlists.shortlist(category)
    category.candidates.all().delete()
    now = timezone.now()
    return Candidate.objects.bulk_create(
        Candidate(
            category=category,
            organisation_id=row.organisation_id,
            rank=rank,
            score=row.score,
            reasons=row.reasons,
            computed_at=now,
        )
        for rank, row in enumerate(ranked, start=1)
    )


@transaction.atomic
def candidates_put_forward(
    *, membership: Membership, category: Category, candidates: list[Candidate]
) -> list[Entry]:
    """Enter the chosen candidates for judging, each with the reasons it was shortlisted.
    A candidate already entered is not entered twice."""
    _require_admin(membership)
    _require_before_close(category.cycle)
    if not candidates:
        raise ValidationError({"candidates": _("Choose at least one candidate to put forward.")})
    if any(candidate.category_id != category.pk for candidate in candidates):
        raise ValidationError({"candidates": _("Choose candidates of this category.")})
    entered = selectors.put_forward_organisations(category)
    entries = []
    for candidate in candidates:
        if candidate.organisation_id in entered:
            continue
        entry = Entry.objects.create(
            category=category,
            organisation_id=candidate.organisation_id,
            source=Entry.Source.EVIDENCE,
            status=Entry.Status.SUBMITTED,
            candidate=candidate,
            reasons=candidate.reasons,
            nominated_by=membership,
        )
        entries.append(entry)
    if not entries:
        raise ValidationError({"candidates": _("Those candidates have already been put forward.")})
    return entries
