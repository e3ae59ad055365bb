"""Reads of self-assessments: progress, levels, gaps, and a programme side by side."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from organisations.models import Organisation
from standard.models import Criterion, Element, Standard
from standard.scales import GAPS

from .levels import CriterionResult, criterion_result
from .models import Action, Rating, SelfAssessment


def criteria_with_elements(standard: Standard) -> list[Criterion]:
    return list(
        Criterion.objects.filter(standard=standard)
        .prefetch_related(Prefetch("elements", queryset=Element.objects.order_by("position")))
        .order_by("number")
    )


def headquarters_assessment(self_assessment: SelfAssessment) -> SelfAssessment | None:
    """For a unit, the latest self-assessment its headquarters has submitted on the same
    standard: a headquarters' draft is its own until it submits it."""
    parent_id = self_assessment.organisation.parent_id
    if not parent_id:
        return None
    return (
        SelfAssessment.objects.filter(
            organisation_id=parent_id,
            standard_id=self_assessment.standard_id,
            status=SelfAssessment.Status.SUBMITTED,
        )
        .order_by("-number")
        .first()
    )


def corporate_ratings(self_assessment: SelfAssessment) -> dict[int, Rating]:
    """{element id: rating} for the elements a unit inherits from its headquarters.

    A unit's draft reads them live from the headquarters' submitted version; a unit's
    submitted version holds its own frozen copies (rows marked corporate)."""
    if not self_assessment.organisation.parent_id:
        return {}
    if not self_assessment.is_draft:
        ratings = self_assessment.ratings.filter(is_corporate=True)
    else:
        headquarters = headquarters_assessment(self_assessment)
        if headquarters is None:
            return {}
        ratings = headquarters.ratings.filter(is_corporate=True)
    return {r.element_id: r for r in ratings.prefetch_related("evidence")}


@dataclass
class Overview:
    self_assessment: SelfAssessment
    criteria: list[CriterionResult]
    ratings: dict[int, Rating]  # element id -> Rating (own or inherited)
    inherited: set[int]  # element ids rated by the headquarters

    @property
    def rated(self) -> int:
        return sum(r.rated for r in self.criteria)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.criteria)


def overview(self_assessment: SelfAssessment) -> Overview:
    """Every criterion's progress and level, in a fixed number of queries."""
    criteria = criteria_with_elements(self_assessment.standard)
    own = {
        r.element_id: r
        for r in self_assessment.ratings.select_related(
            "updated_by", "reviewed_by"
        ).prefetch_related("evidence")
    }
    inherited = corporate_ratings(self_assessment)
    ratings = {**own, **inherited}
    values = {
        element: ratings[element.pk].value if element.pk in ratings else ""
        for criterion in criteria
        for element in criterion.elements.all()
    }
    results = [criterion_result(c, values, self_assessment.standard) for c in criteria]
    return Overview(self_assessment, results, ratings, set(inherited))


def gap_report(
    self_assessment: SelfAssessment,
) -> tuple[Overview, list[tuple[CriterionResult, list[Any]]], list[Action], dict[str, int]]:
    """Elements below compliant, by criterion, each with its actions."""
    summary = overview(self_assessment)
    actions: dict[int, list[Action]] = {}
    for action in Action.objects.filter(self_assessment=self_assessment).select_related("element"):
        actions.setdefault(action.element_id, []).append(action)
    rows: list[tuple[CriterionResult, list[Any]]] = []
    for result in summary.criteria:
        gaps = []
        for element in result.criterion.elements.all():
            rating = summary.ratings.get(element.pk)
            if rating is None or not rating.value or rating.value in GAPS:
                gaps.append((element, rating, actions.get(element.pk, [])))
        rows.append((result, gaps))
    all_actions = [a for group in actions.values() for a in group]
    progress: dict[str, int] = {
        status: sum(1 for a in all_actions if a.status == status) for status in Action.Status
    }
    return summary, rows, all_actions, progress


def programme_matrix(
    headquarters_assessment: SelfAssessment,
) -> tuple[list[tuple[Organisation, SelfAssessment | None]], list[Any]]:
    """The headquarters and each unit's latest self-assessment, element by element."""
    organisation = headquarters_assessment.organisation
    units = organisation.units.order_by("name")
    columns: list[tuple[Organisation, SelfAssessment | None]] = [
        (organisation, headquarters_assessment)
    ]
    for unit in units:
        latest = (
            SelfAssessment.objects.filter(
                organisation=unit, standard=headquarters_assessment.standard
            )
            .order_by("-number")
            .first()
        )
        columns.append((unit, latest))
    ids = [sa.pk for _, sa in columns if sa]
    values = {
        (r.self_assessment_id, r.element_id): r
        for r in Rating.objects.filter(self_assessment_id__in=ids).only(
            "self_assessment_id", "element_id", "value", "is_corporate"
        )
    }
    corporate = {
        key[1]
        for key, r in values.items()
        if key[0] == headquarters_assessment.pk and r.is_corporate
    }
    criteria = criteria_with_elements(headquarters_assessment.standard)
    rows = []
    for criterion in criteria:
        for element in criterion.elements.all():
            cells: list[Rating | None] = []
            for unit, sa in columns:
                if sa is None:
                    cells.append(None)
                elif unit.pk != organisation.pk and element.pk in corporate:
                    cells.append(values.get((headquarters_assessment.pk, element.pk)))
                else:
                    cells.append(values.get((sa.pk, element.pk)))
            rows.append((element, element.pk in corporate, cells))
    return columns, rows
