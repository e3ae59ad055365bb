from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .models import (
    DEFAULT_REMINDER_DAYS,
    Criterion,
    Element,
    ElementMapping,
    SectorGuidance,
    Standard,
)

PUBLIC_STATUSES = (Standard.Status.PUBLISHED, Standard.Status.RETIRED)


def public_standards() -> QuerySet[Standard]:
    return Standard.objects.filter(status__in=PUBLIC_STATUSES)


def current_standard() -> Standard | None:
    return (
        Standard.objects.filter(status=Standard.Status.PUBLISHED)
        .order_by("-published_on", "-version")
        .first()
    )


def reminder_days() -> list[int]:
    """The days before a review on which the current standard reminds, largest first."""
    standard = current_standard()
    return sorted(standard.reminder_days if standard else DEFAULT_REMINDER_DAYS, reverse=True)


def review_due_soon_days() -> int:
    """How many days ahead a review counts as due soon (the certification body's to-do list
    and the pipeline dashboard): from the current standard's first reminder on."""
    return reminder_days()[0]


def standard_with_criteria(version: str) -> Standard:
    """One public version with its criteria, levels and elements, in three queries."""
    elements = Element.objects.order_by("position")
    criteria = Criterion.objects.prefetch_related("levels", Prefetch("elements", queryset=elements))
    return get_object_or_404(
        public_standards().prefetch_related(Prefetch("criteria", queryset=criteria)),
        version=version,
    )


def element_detail(version: str, code: str) -> Element:
    return get_object_or_404(
        Element.objects.select_related("criterion__standard").prefetch_related(
            Prefetch("sector_guidance", queryset=SectorGuidance.objects.select_related("sector")),
            "legacy_criteria",
        ),
        criterion__standard__in=public_standards(),
        criterion__standard__version=version,
        code=code,
    )


@dataclass
class ElementChange:
    change: str
    old: Element | None
    new: Element | None

    @property
    def label(self) -> str | Promise:
        if self.change == "added":
            return _("Added")
        return ElementMapping.Change(self.change).label


def compare_versions(old: Standard, new: Standard) -> list[ElementChange]:
    """Every element of both versions, paired: by the new version's mapping
    when it maps from `old`, otherwise by code."""
    old_elements = {e.pk: e for e in Element.objects.filter(criterion__standard=old)}
    new_elements: dict[int | None, Element] = {
        e.pk: e for e in Element.objects.filter(criterion__standard=new)
    }
    mappings = list(ElementMapping.objects.filter(standard=new, from_element__in=old_elements))
    rows = []
    if mappings:
        seen_new = set()
        for m in mappings:
            rows.append(
                ElementChange(
                    m.change, old_elements[m.from_element_id], new_elements.get(m.to_element_id)
                )
            )
            seen_new.add(m.to_element_id)
        rows += [
            ElementChange("added", None, e) for pk, e in new_elements.items() if pk not in seen_new
        ]
    else:
        by_code = {e.code: e for e in new_elements.values()}
        for e in old_elements.values():
            match = by_code.pop(e.code, None)
            change = "removed" if match is None else _text_change(e, match)
            rows.append(ElementChange(change, e, match))
        rows += [ElementChange("added", None, e) for e in by_code.values()]
    return sorted(rows, key=_sort_key)


def _text_change(old: Element, new: Element) -> str:
    same = (old.title, old.requirement) == (new.title, new.requirement)
    return ElementMapping.Change.UNCHANGED if same else ElementMapping.Change.REWORDED


def _sort_key(row: ElementChange) -> tuple[int, int, str]:
    element = row.new or row.old
    assert element is not None  # every row pairs at least one element
    major, _, minor = element.code.partition(".")
    return (int(major), int(minor or 0), row.old.code if row.old else "")
