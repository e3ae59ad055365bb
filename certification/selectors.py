"""Reads of certification data that need more than a filter: the current certificate,
cycles, the computed plan, team rules."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from organisations.models import Membership, Organisation, Site
from standard.models import Element
from standard.scales import GAPS, RatingValue
from standard.selectors import review_due_soon_days
from surveys.models import SURVEY_DRIVERS, Survey

from . import sampling
from .models import (
    LATEST_REPORTED_FIRST,
    Application,
    BodyProfile,
    Certificate,
    ConflictDeclaration,
    Engagement,
    Finding,
    PlannedElement,
    PlannedSite,
    SiteVisit,
)

LIVE_STATUSES = [Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED]


def current_certificate(application: Application) -> Certificate | None:
    """The applicant's active or suspended certificate from this application, if any."""
    return (
        Certificate.objects.filter(application=application, status__in=LIVE_STATUSES)
        .order_by("-issue_date", "-pk")
        .first()
    )


def certificate_cycle(certificate: Certificate) -> int:
    """The number of the certificate's current 3-year cycle (1 for the first)."""
    latest = (
        Engagement.objects.filter(
            application=certificate.application,
            status=Engagement.Status.DECIDED,
            kind__in=[Engagement.Kind.INITIAL, Engagement.Kind.REASSESSMENT],
        )
        .aggregate(cycle=Max("cycle"))
        .get("cycle")
    )
    return latest or 1


def reviews_in_cycle(certificate: Certificate) -> int:
    return Engagement.objects.filter(
        application=certificate.application,
        cycle=certificate_cycle(certificate),
        kind=Engagement.Kind.ANNUAL_REVIEW,
        status=Engagement.Status.DECIDED,
    ).count()


def sites_in_scope(application: Application) -> list[Site]:
    """The holder's sites and those of the units in scope (every unit when none is named)."""
    units = list(application.units.values_list("pk", flat=True))
    if not units:
        units = list(application.applicant.units.values_list("pk", flat=True))
    return list(
        Site.objects.filter(organisation__in=[application.applicant_id, *units]).select_related(
            "organisation"
        )
    )


def certificate_coverage(certificates: QuerySet[Certificate]) -> dict[int, set[int]]:
    """The organisations each of `certificates` (a queryset) covers: its holder and the
    units it names, or all the holder's units when it names none (as `sites_in_scope`)."""
    holders = dict(certificates.values_list("pk", "holder_id"))
    named: defaultdict[int, set[int]] = defaultdict(set)
    for certificate, unit in Certificate.units.through.objects.filter(
        certificate__in=list(holders)
    ).values_list("certificate_id", "organisation_id"):
        named[certificate].add(unit)
    units_of: defaultdict[int, set[int]] = defaultdict(set)
    for unit, parent in Organisation.objects.filter(parent__in=set(holders.values())).values_list(
        "pk", "parent_id"
    ):
        units_of[parent].add(unit)
    return {
        pk: {holder, *(named.get(pk) or units_of.get(holder, set()))}
        for pk, holder in holders.items()
    }


def is_on_team(membership: Membership, engagement: Engagement) -> bool:
    return (
        membership is not None
        and membership.organisation_id == engagement.application.certification_body_id
        and engagement.team.filter(pk=membership.pk).exists()
    )


def is_on_any_team(membership: Membership, engagement: Engagement) -> bool:
    return engagement.lead_id == membership.pk or is_on_team(membership, engagement)


def elements_without_finding(engagement: Engagement) -> list[str]:
    return list(
        engagement.findings.filter(rating="")
        .order_by("element__criterion__number", "element__position")
        .values_list("element__code", flat=True)
    )


def gaps_without_action(engagement: Engagement) -> list[str]:
    return list(
        engagement.findings.filter(rating__in=GAPS, action__isnull=True)
        .order_by("element__criterion__number", "element__position")
        .values_list("element__code", flat=True)
    )


def accredited_bodies(on: datetime.date | None = None) -> QuerySet[Organisation]:
    """The certification bodies accredited today: the ones an applicant may apply to
    (`BodyProfile.is_accredited`, as a query)."""
    return Organisation.objects.filter(
        kind=Organisation.Kind.CERTIFICATION_BODY,
        body_profile__accreditation_status=BodyProfile.Accreditation.ACCREDITED,
        body_profile__accreditation_expires__gte=on or timezone.localdate(),
    ).order_by("name")


def conflict_candidates(body_id: int) -> QuerySet[Organisation]:
    """The organisations a body's assessors may declare an interest in: those that applied
    to the body, and their units (other applicants' names stay private)."""
    applicants = Application.objects.filter(certification_body=body_id).values("applicant")
    return Organisation.objects.filter(Q(pk__in=applicants) | Q(parent__in=applicants)).order_by(
        "name"
    )


# Team rules ---------------------------------------------------------------------------


def assessor_problem(person: Membership, engagement: Engagement) -> str | None:
    """Why `person` may not assess this engagement's holder, or None."""
    holder = engagement.holder
    related = [holder.pk, *holder.units.values_list("pk", flat=True)]
    if holder.parent_id:
        related.append(holder.parent_id)
    today = timezone.localdate()
    for declaration in ConflictDeclaration.objects.filter(
        assessor=person, organisation__in=related
    ):
        if declaration.is_in_force(today):
            return _("%(name)s declared a conflict of interest with %(organisation)s.") % {
                "name": person.user,
                "organisation": declaration.organisation,
            }
    profile = getattr(person, "assessor_profile", None)
    if profile is None or not profile.sectors.filter(pk=holder.sector_id).exists():
        return _("%(name)s has no competence record for the %(sector)s sector.") % {
            "name": person.user,
            "sector": holder.sector,
        }
    return None


def lead_rotation_problem(lead: Membership, engagement: Engagement) -> str | None:
    """The lead assessor rotates after the standard's number of consecutive cycles."""
    limit = engagement.standard.lead_rotation_cycles
    previous = range(engagement.cycle - limit, engagement.cycle)
    if engagement.cycle <= limit:
        return None
    led = Engagement.objects.filter(
        application__applicant=engagement.holder, cycle__in=previous, lead=lead
    ).exclude(pk=engagement.pk)
    if set(led.values_list("cycle", flat=True)) == set(previous):
        return _(
            "%(name)s has led this organisation's assessments for %(count)s cycles in a row: "
            "choose another lead."
        ) % {"name": lead.user, "count": limit}
    return None


# The plan -----------------------------------------------------------------------------


@dataclass
class SiteEntry:
    site_id: int
    reason: str
    score: float = 0.0
    explanation: list[str] = field(default_factory=list)


@dataclass
class Plan:
    sites: list[SiteEntry]
    elements: list[tuple[int, str, str]]  # element pk, reason, explanation
    reasons: list[str]


def _multiplier(engagement: Engagement) -> tuple[Decimal, str]:
    if engagement.kind == Engagement.Kind.INITIAL:
        return sampling.INITIAL, _("initial assessment: √x")
    if engagement.kind == Engagement.Kind.REASSESSMENT:
        if _system_works(engagement):
            return sampling.REASSESSMENT_PROVEN, _(
                "reassessment after a cycle without non-compliance: 0.8·√x"
            )
        return sampling.REASSESSMENT, _("reassessment: √x")
    return sampling.REVIEW, _("annual review: 0.6·√x")


def _system_works(engagement: Engagement) -> bool:
    """The cycle found no non-compliance anywhere."""
    cycle = Finding.objects.filter(
        engagement__application=engagement.application,
        engagement__cycle=engagement.cycle - 1,
        engagement__status=Engagement.Status.DECIDED,
    )
    return cycle.exists() and not cycle.filter(rating=RatingValue.NON_COMPLIANT).exists()


def _last_decided(engagement: Engagement) -> Engagement | None:
    return (
        Engagement.objects.filter(
            application=engagement.application, status=Engagement.Status.DECIDED
        )
        .exclude(pk=engagement.pk)
        .order_by(*LATEST_REPORTED_FIRST)
        .first()
    )


def latest_method_survey(organisation: Organisation) -> Survey | None:
    """The organisation's latest survey that meets the scheme's method."""
    return (
        Survey.objects.filter(organisation=organisation, method_meets=True)
        .order_by("-period_end", "-pk")
        .first()
    )


def weak_drivers(survey: Survey | None) -> list[str]:
    """Drivers whose mean score on 0-100 is below the weak line in `survey`."""
    if survey is None:
        return []
    weak: list[str] = []
    for driver in SURVEY_DRIVERS:
        figures = (survey.summary or {}).get(driver)
        if figures and figures["count"] and (figures["mean"] - 1) * 25 < sampling.WEAK_DRIVER_SCORE:
            weak.append(driver)
    return weak


def _site_facts(engagement: Engagement, sites: list[Site]) -> list[sampling.SiteFacts]:
    today = timezone.localdate()
    previous = _last_decided(engagement)
    gaps_at: dict[int, int] = {}
    if previous:
        for site_id in previous.findings.filter(rating__in=GAPS, site__isnull=False).values_list(
            "site", flat=True
        ):
            gaps_at[site_id] = gaps_at.get(site_id, 0) + 1
    last_visit = dict(
        SiteVisit.objects.filter(engagement__application=engagement.application)
        .exclude(engagement=engagement)
        .values("site")
        .annotate(last=Max("visited_on"))
        .values_list("site", "last")
    )
    weak_sites = _sites_with_weak_survey(engagement, sites)
    return [
        sampling.SiteFacts(
            pk=site.pk,
            name=site.name,
            employees=site.employee_count,
            open_findings=gaps_at.get(site.pk, 0),
            weak_survey=site.pk in weak_sites,
            days_since_visit=(today - last_visit[site.pk]).days if site.pk in last_visit else None,
        )
        for site in sites
    ]


def _sites_with_weak_survey(engagement: Engagement, sites: list[Site]) -> set[int]:
    """Sites whose overall satisfaction in their organisation's latest method survey is
    below the weak line, with enough answers to publish."""
    from surveys.analysis import site_summaries

    weak = set()
    for organisation_id in {site.organisation_id for site in sites}:
        survey = latest_method_survey(Organisation(pk=organisation_id))
        if survey is None:
            continue
        minimum = survey.standard.survey_min_responses_to_publish
        _known, summaries = site_summaries(survey)
        for key, summary in summaries.items():
            overall = summary.get("overall")
            if (
                key
                and overall
                and overall["count"] >= minimum
                and (overall["mean"] - 1) * 25 < sampling.WEAK_DRIVER_SCORE
            ):
                weak.add(int(key))
    return weak


def compute_plan(engagement: Engagement) -> Plan:
    sites = sites_in_scope(engagement.application)
    central = [
        s for s in sites if s.is_central_function and s.organisation_id == engagement.holder.pk
    ]
    others = [s for s in sites if s not in central]
    multiplier, rule = _multiplier(engagement)
    size = sampling.sample_size(len(others), multiplier)
    reasons = [
        _("%(count)s sites besides the central function; %(rule)s gives %(size)s.")
        % {"count": len(others), "rule": rule, "size": size}
    ]
    previous = _last_decided(engagement)
    if (
        previous
        and previous.findings.filter(rating=RatingValue.NON_COMPLIANT).exists()
        and size < len(others)
    ):
        size += 1
        reasons.append(_("One more site: the last assessment found a non-compliance."))
    if engagement.kind == Engagement.Kind.SPECIAL:
        size = 0
        reasons = [_("Special visit: the assessor adds the sites it concerns.")]
    entries = [
        SiteEntry(site.pk, PlannedSite.Reason.CENTRAL, 0, [_("central function")])
        for site in central
    ]
    choices = sampling.choose_sites(_site_facts(engagement, others), size, seed=engagement.pk or 0)
    entries += [SiteEntry(c.pk, c.reason, c.score, c.explanation) for c in choices]
    elements, element_reasons = _plan_elements(engagement, previous)
    return Plan(entries, elements, reasons + element_reasons)


def _plan_elements(
    engagement: Engagement, previous: Engagement | None
) -> tuple[list[tuple[int, str, str]], list[str]]:
    all_elements = list(
        Element.objects.filter(criterion__standard=engagement.standard)
        .select_related("criterion")
        .order_by("criterion__number", "position")
    )
    if engagement.kind in (Engagement.Kind.INITIAL, Engagement.Kind.REASSESSMENT):
        return [(e.pk, PlannedElement.Reason.ALL, "") for e in all_elements], [
            _("Every element of the standard is assessed.")
        ]
    if engagement.kind == Engagement.Kind.SPECIAL:
        return [], []
    chosen: dict[int, tuple[str, str]] = {}
    if previous:
        for finding in previous.findings.filter(rating__in=GAPS):
            chosen[finding.element_id] = (
                PlannedElement.Reason.PARTIAL,
                _("found %(rating)s last time") % {"rating": finding.get_rating_display()},
            )
    weak = weak_drivers(latest_method_survey(engagement.holder))
    for element in all_elements:
        if element.pk not in chosen and element.criterion.driver in weak:
            chosen[element.pk] = (
                PlannedElement.Reason.WEAK_DRIVER,
                _("survey score for %(driver)s is low")
                % {"driver": element.criterion.get_driver_display()},
            )
    seen = set(
        Finding.objects.filter(
            engagement__application=engagement.application,
            engagement__cycle=engagement.cycle,
            engagement__kind=Engagement.Kind.ANNUAL_REVIEW,
        )
        .exclude(Q(engagement=engagement) | Q(rating=""))
        .values_list("element__code", flat=True)
    )
    unseen = [e.code for e in all_elements if e.code not in seen and e.pk not in chosen]
    reviews_done = Engagement.objects.filter(
        application=engagement.application,
        cycle=engagement.cycle,
        kind=Engagement.Kind.ANNUAL_REVIEW,
        status=Engagement.Status.DECIDED,
    ).count()
    rotating = set(sampling.rotation_elements(unseen, reviews_left=max(1, 2 - reviews_done)))
    for element in all_elements:
        if element.code in rotating:
            chosen[element.pk] = (PlannedElement.Reason.ROTATION, "")
    reasons = [
        _(
            "%(partial)s elements with gaps last time, %(weak)s tied to weak survey drivers, "
            "%(rotation)s not yet seen in this cycle's reviews."
        )
        % {
            "partial": sum(1 for r, _e in chosen.values() if r == PlannedElement.Reason.PARTIAL),
            "weak": sum(1 for r, _e in chosen.values() if r == PlannedElement.Reason.WEAK_DRIVER),
            "rotation": len(rotating),
        }
    ]
    ordered = [(e.pk, *chosen[e.pk]) for e in all_elements if e.pk in chosen]
    return ordered, reasons


# Pages --------------------------------------------------------------------------------


def engagement_overview(engagement: Engagement, *, with_findings: bool) -> dict:
    """Everything the engagement page shows, in a fixed number of queries."""
    planned_sites = list(engagement.sites.select_related("site__organisation"))
    visits = list(engagement.visits.select_related("site", "recorded_by"))
    planned = {p.element_id: p for p in engagement.elements.select_related("element__criterion")}
    findings = {}
    if with_findings:
        findings = {
            f.element_id: f
            for f in engagement.findings.select_related("action", "site").filter(
                element__in=planned
            )
        }
    criteria = []
    for criterion in engagement.standard.criteria.order_by("number"):
        rows = [
            (p.element, p, findings.get(p.element_id))
            for p in planned.values()
            if p.element.criterion_id == criterion.pk
        ]
        if rows:
            rows.sort(key=lambda row: row[0].position)
            counts: dict[str, int] = {}
            for _element, _planned, finding in rows:
                if finding and finding.rating:
                    counts[finding.rating] = counts.get(finding.rating, 0) + 1
            criteria.append({"criterion": criterion, "rows": rows, "counts": counts})
    recorded = sum(1 for f in findings.values() if f.rating)
    return {
        "sites": planned_sites,
        "visits": visits,
        "criteria": criteria,
        "element_count": len(planned),
        "recorded": recorded,
        "actions": [f.action for f in findings.values() if hasattr(f, "action")],
        "team": list(engagement.team.select_related("user")),
        "plan_changes": list(engagement.plan_changes.select_related("changed_by")),
        "decisions": list(engagement.decisions.select_related("decided_by")),
    }


def fee_statement(engagement: Engagement) -> dict[str, Any]:
    """Assessor days at the body's day rate, as label and value rows."""
    from django.utils.formats import date_format, number_format

    from .models import BodyProfile

    profile = BodyProfile.objects.filter(organisation=engagement.certification_body).first()
    rate = profile.day_rate if profile else None
    total = engagement.assessor_days * rate if rate is not None else None

    def money(amount: Decimal | None) -> str:
        return "–" if amount is None else f"£{number_format(amount, 2, force_grouping=True)}"

    def day(value: datetime.date | None) -> str:
        return date_format(value, "j F Y") if value else "–"

    rows = [
        (_("Organisation"), engagement.holder.name),
        (_("Certification body"), engagement.certification_body.name),
        (_("Assessment"), engagement.get_kind_display()),
        (_("Dates"), f"{day(engagement.starts_on)} – {day(engagement.ends_on)}"),
        (_("Assessor days"), number_format(engagement.assessor_days, 1)),
        (_("Day rate"), money(rate)),
        (_("Fee"), money(total)),
    ]
    return {"rows": rows, "total": total, "rate": rate}


def body_to_do(membership: Membership) -> dict:
    """The counts a certification body's home page turns into next steps."""
    body = membership.organisation_id
    engagements = Engagement.objects.filter(application__certification_body=body)
    due_soon_days = review_due_soon_days()
    soon = timezone.localdate() + datetime.timedelta(days=due_soon_days)
    return {
        "pending_applications": Application.objects.filter(
            certification_body=body, status=Application.Status.PENDING
        ).count(),
        "my_open_engagements": engagements.filter(
            team=membership,
            status__in=[Engagement.Status.PLANNING, Engagement.Status.IN_PROGRESS],
        ).count(),
        "to_decide": engagements.filter(status=Engagement.Status.REPORTED)
        .exclude(team=membership)
        .count()
        if membership.role == "cb_manager"
        else 0,
        "reviews_due": Certificate.objects.filter(
            certification_body=body, status__in=LIVE_STATUSES, next_review_due__lte=soon
        ).count(),
        "due_soon_days": due_soon_days,
    }
