"""Beacons: organisations the scheme unit designates models for others on a criterion,
for a period, because they won a published award there or hold compliance plus on its
elements. Beacons are public, with the practice they share (case studies, events).

A criterion is matched by its slug, so a beacon designated against one version of the
standard stays findable under the next, and an award won under an earlier version counts.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assessments.models import RatingValue
from certification.models import Certificate, Engagement, Finding
from organisations.models import Membership, Organisation, Role
from standard.models import Criterion, Element

from .models import Beacon, CaseStudy, Event, Result
from .results import published_results

DEFAULT_YEARS = 2


def _require_scheme_admin(membership: Membership | None) -> None:
    if membership is None or membership.role != Role.SCHEME_ADMIN:
        raise PermissionDenied(_("Only scheme administrators designate beacons."))


def _day(day: datetime.date | None) -> str:
    return date_format(day, "j F Y") if day else ""


def years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# Grounds ------------------------------------------------------------------------------


@dataclass
class Grounds:
    """Why an organisation may be a beacon for a criterion: a published win there, or
    elements of it at compliance plus in its latest decided assessment (or both)."""

    result: Result | None = None
    engagement: Engagement | None = None
    elements: list[Element] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.result is not None or bool(self.elements)

    def _decided_on(self) -> datetime.date | None:
        reported = self.engagement.reported_at
        return timezone.localdate(reported) if reported else self.engagement.ends_on

    def describe(self) -> str:
        parts = []
        if self.result is not None:
            parts.append(
                _("%(place)s in %(cycle)s: %(category)s")
                % {
                    "place": self.result.get_place_display(),
                    "cycle": self.result.category.cycle,
                    "category": self.result.category,
                }
            )
        if self.elements:
            parts.append(
                _("compliance plus on %(codes)s in the assessment decided on %(day)s")
                % {
                    "codes": ", ".join(element.code for element in self.elements),
                    "day": _day(self._decided_on()),
                }
            )
        return "; ".join(parts)


def winning_result(organisation: Organisation, criterion: Criterion) -> Result | None:
    """The organisation's latest published win on the criterion, if any."""
    return (
        published_results()
        .filter(
            place=Result.Place.WINNER,
            entry__organisation=organisation,
            category__criterion__slug=criterion.slug,
        )
        .order_by("-category__cycle__year", "-pk")
        .first()
    )


def latest_decided_engagement(organisation: Organisation) -> Engagement | None:
    return (
        Engagement.objects.filter(
            application__applicant=organisation, status=Engagement.Status.DECIDED
        )
        .order_by(F("reported_at").desc(nulls_last=True), "-ends_on", "-pk")
        .first()
    )


def compliance_plus_on(engagement: Engagement, criterion: Criterion) -> list[Element]:
    findings = Finding.objects.filter(
        engagement=engagement,
        rating=RatingValue.COMPLIANCE_PLUS,
        element__criterion__slug=criterion.slug,
    ).select_related("element")
    return [finding.element for finding in findings]


def beacon_grounds(*, organisation: Organisation, criterion: Criterion) -> Grounds:
    """What makes the organisation eligible; empty (false) when nothing does. Compliance
    plus counts only for a holder of a valid certificate."""
    grounds = Grounds(result=winning_result(organisation, criterion))
    holds = Certificate.objects.filter(
        holder=organisation, status=Certificate.Status.ACTIVE
    ).exists()
    engagement = latest_decided_engagement(organisation) if holds else None
    if engagement is not None:
        grounds.engagement = engagement
        grounds.elements = compliance_plus_on(engagement, criterion)
    return grounds


# Changes ------------------------------------------------------------------------------


def _overlapping(organisation, criterion, starts_on, ends_on) -> Beacon | None:
    return (
        Beacon.objects.filter(
            organisation=organisation,
            criterion__slug=criterion.slug,
            ended_early_on__isnull=True,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        )
        .order_by("starts_on")
        .first()
    )


@transaction.atomic
def beacon_designate(
    *,
    membership: Membership,
    organisation: Organisation,
    criterion: Criterion,
    reason: str,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
) -> tuple[Beacon, Grounds]:
    """Designate the organisation a beacon for the criterion, from `starts_on` (today)
    until `ends_on` (two years on); refused unless it has grounds (returned with it)."""
    _require_scheme_admin(membership)
    if organisation.kind != Organisation.Kind.APPLICANT:
        raise ValidationError({"organisation": _("Only applicant organisations can be beacons.")})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this organisation is a beacon.")})
    starts_on = starts_on or timezone.localdate()
    ends_on = ends_on or years_later(starts_on, DEFAULT_YEARS)
    if ends_on <= starts_on:
        raise ValidationError({"ends_on": _("The end of the period must be after its start.")})
    grounds = beacon_grounds(organisation=organisation, criterion=criterion)
    if not grounds:
        raise ValidationError(
            _(
                "%(organisation)s cannot be a beacon for %(criterion)s: it has not won a "
                "published award on this criterion, and its latest decided assessment "
                "found no element of it at compliance plus."
            )
            % {"organisation": organisation.name, "criterion": criterion.title}
        )
    clash = _overlapping(organisation, criterion, starts_on, ends_on)
    if clash is not None:
        raise ValidationError(
            _("%(organisation)s is already a beacon for %(criterion)s until %(day)s.")
            % {
                "organisation": organisation.name,
                "criterion": criterion.title,
                "day": _day(clash.ends_on),
            }
        )
    beacon = Beacon(
        organisation=organisation,
        criterion=criterion,
        reason=reason,
        result=grounds.result,
        designated_by=membership,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    beacon.full_clean()
    beacon.save()
    return beacon, grounds


@transaction.atomic
def beacon_end(*, membership: Membership, beacon: Beacon, reason: str) -> Beacon:
    """End a designation early, today. The model keeps one reason, so the reason for
    ending is added to it, dated."""
    _require_scheme_admin(membership)
    beacon = Beacon.objects.select_for_update().get(pk=beacon.pk)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the designation ends early.")})
    today = timezone.localdate()
    if beacon.ended_early_on or beacon.ends_on < today:
        raise ValidationError(_("This designation has already ended."))
    beacon.ended_early_on = today
    beacon.reason = _("%(reason)s\n\nEnded early on %(day)s: %(why)s") % {
        "reason": beacon.reason,
        "day": _day(today),
        "why": reason,
    }
    beacon.save(update_fields=["ended_early_on", "reason"])
    return beacon


# Reads --------------------------------------------------------------------------------


def is_current(beacon: Beacon, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return beacon.ended_early_on is None and beacon.starts_on <= today <= beacon.ends_on


def current_beacons(today: datetime.date | None = None) -> QuerySet:
    """Designations in force today. Beacons are public: this read is not scoped."""
    today = today or timezone.localdate()
    return Beacon.objects.filter(
        ended_early_on__isnull=True, starts_on__lte=today, ends_on__gte=today
    ).select_related("organisation__sector", "criterion__standard")


def public_beacons(*, criterion_slug: str = "", sector_slug: str = "") -> QuerySet:
    beacons = current_beacons()
    if criterion_slug:
        beacons = beacons.filter(criterion__slug=criterion_slug)
    if sector_slug:
        beacons = beacons.filter(organisation__sector__slug=sector_slug)
    return beacons.order_by("criterion__number", "organisation__name", "pk")


def current_beacons_of(organisation: Organisation) -> list[Beacon]:
    return list(current_beacons().filter(organisation=organisation).order_by("criterion__number"))


@dataclass
class BeaconPage:
    organisation: Organisation
    beacons: list[Beacon]
    case_studies: list[CaseStudy]
    events: list[Event]


def beacon_page(organisation_pk: int) -> BeaconPage | None:
    """A current beacon's public page: what it is a beacon for, its published case
    studies and its upcoming published events. None for an organisation that is not one."""
    organisation = (
        Organisation.objects.select_related("sector")
        .filter(pk=organisation_pk, kind=Organisation.Kind.APPLICANT)
        .first()
    )
    if organisation is None:
        return None
    beacons = current_beacons_of(organisation)
    if not beacons:
        return None
    case_studies = list(
        CaseStudy.objects.filter(organisation=organisation, status=CaseStudy.Status.APPROVED)
        .select_related("criterion")
        .order_by("-published_at", "-pk")
    )
    events = list(
        Event.objects.filter(
            host=organisation, published=True, starts_at__gte=timezone.now()
        ).order_by("starts_at", "pk")
    )
    return BeaconPage(organisation, beacons, case_studies, events)


def beacons_for_scheme() -> QuerySet:
    """Every designation, current and past, for the scheme unit's page."""
    return Beacon.objects.select_related(
        "organisation", "criterion", "designated_by__user", "result__category__cycle"
    ).order_by("-starts_on", "-pk")


def candidate_organisations() -> QuerySet:
    """Organisations that could be designated: applicants with a valid certificate or a
    published win."""
    holders = Certificate.objects.filter(status=Certificate.Status.ACTIVE).values("holder")
    winners = published_results().filter(place=Result.Place.WINNER).values("entry__organisation")
    return Organisation.objects.filter(kind=Organisation.Kind.APPLICANT).filter(
        Q(pk__in=holders) | Q(pk__in=winners)
    )
