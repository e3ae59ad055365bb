"""The scheme unit's dashboards: take-up, certifications per year, the pipeline of
reviews and satisfaction by sector. A selector module: every figure comes from a
grouped aggregate query, so a page costs the same few queries whatever the size of the
field. Each function returns plain data: the rows a table shows, a total where one
makes sense, and `csv_header` / `csv_rows` of exactly what the table shows."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from certification.models import Certificate, Decision, Engagement
from certification.selectors import certificate_coverage
from organisations.models import Organisation, Region, Sector
from standard.selectors import review_due_soon_days
from surveys.analysis import min_group_size, score_entry

from .forms_dashboards import DashboardFilters
from .models import Measure, OrganisationScore, Refresh, SectorFigure, minimum_organisations

HOLDING = (Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED)
ENDED = (Certificate.Status.WITHDRAWN, Certificate.Status.LAPSED, Certificate.Status.EXPIRED)
CERTIFY = (Decision.Kind.CERTIFY, Decision.Kind.CERTIFY_WITH_CONDITIONS)
LAPSED_WITHIN_DAYS = 365
MEASURE_VALUES = [measure.value for measure in Measure]


def latest_refresh() -> Refresh | None:
    """The last refresh that finished: the figures pages read are as of its end."""
    return (
        Refresh.objects.filter(finished_at__isnull=False, failure="")
        .order_by("-finished_at")
        .first()
    )


def percent(value: float | None) -> str:
    """A share as the review's table shows it: one decimal place, none when whole."""
    if value is None:
        return "–"
    rounded = round(value * 100, 1)
    return f"{number_format(rounded, decimal_pos=0 if rounded == int(rounded) else 1)}%"


def score(value: float | None) -> str:
    """A score on 0 to 100, to one decimal place."""
    return "–" if value is None else number_format(round(value, 1), 1)


def quartiles(cell: dict) -> str:
    return _("%(low)s to %(high)s") % {
        "low": score(cell["lower_quartile"]),
        "high": score(cell["upper_quartile"]),
    }


def _organisations(membership, filters: DashboardFilters):
    organisations = Organisation.objects.visible_to(membership).filter(
        kind=Organisation.Kind.APPLICANT
    )
    if filters.sector:
        organisations = organisations.filter(sector=filters.sector)
    if filters.region:
        organisations = organisations.filter(region=filters.region)
    if filters.legal_form:
        organisations = organisations.filter(legal_form=filters.legal_form)
    return organisations


def _sectors(filters: DashboardFilters):
    sectors = Sector.objects.order_by("name")
    return sectors.filter(pk=filters.sector.pk) if filters.sector else sectors


def _row(label, *cells) -> dict:
    return {"label": label, "cells": list(cells)}


# Take-up ------------------------------------------------------------------------------


def held_on(day: datetime.date) -> Q:
    """Certificates held on `day`: first issued by then, and still held (active or
    suspended) or ended only after it."""
    return Q(original_issue_date__lte=day) & (
        Q(status__in=HOLDING) | Q(status__in=ENDED, status_changed_on__gt=day)
    )


def _take_up_day(filters: DashboardFilters, today: datetime.date) -> datetime.date:
    if filters.year and filters.year < today.year:
        return datetime.date(filters.year, 12, 31)
    return today


@dataclass
class TakeUpRow:
    sector: str
    holders: int
    employees: int
    workforce: int | None

    @property
    def share(self) -> float | None:
        return self.employees / self.workforce if self.workforce else None

    @property
    def share_text(self) -> str:
        return percent(self.share)


def take_up(membership, filters: DashboardFilters, *, today=None) -> dict:
    """Holders per sector, the people they employ, the sector's workforce and the
    market share (employees over workforce), with a total row: the review's March 2005
    table. Workforces are national, so the shares go when a region or legal form is
    chosen."""
    today = today or timezone.localdate()
    day = _take_up_day(filters, today)
    held = Certificate.objects.filter(held_on(day), holder=OuterRef("pk"))
    counts = {
        row["sector"]: row
        for row in _organisations(membership, filters)
        .filter(Exists(held))
        .values("sector")
        .annotate(holders=Count("pk"), employees=Sum("employee_count"))
    }
    with_share = not (filters.region or filters.legal_form)
    rows = []
    for sector in _sectors(filters):
        found = counts.get(sector.pk, {})
        rows.append(
            TakeUpRow(
                sector=sector.name,
                holders=found.get("holders", 0),
                employees=found.get("employees") or 0,
                workforce=sector.workforce if with_share else None,
            )
        )
    total = TakeUpRow(
        sector=_("Total"),
        holders=sum(row.holders for row in rows),
        employees=sum(row.employees for row in rows),
        workforce=sum(row.workforce for row in rows) if with_share else None,
    )
    header = [_("Sector"), _("Holders"), _("Employees in holder organisations")]
    if with_share:
        header += [_("Sector's workforce"), _("Market share")]
    return {
        "day": day,
        "with_share": with_share,
        "rows": rows,
        "total": total,
        "csv_header": header,
        "csv_rows": [_take_up_cells(row, with_share) for row in [*rows, total]],
    }


def _take_up_cells(row: TakeUpRow, with_share: bool) -> list:
    cells = [row.sector, row.holders, row.employees]
    if with_share:
        cells += [row.workforce, row.share_text]
    return cells


# Certifications per year --------------------------------------------------------------


def certifications(membership, filters: DashboardFilters) -> dict:
    """Decisions to certify, first certifications (an initial assessment) and renewals
    (annual reviews and reassessments) apart: per year, per sector and per region."""
    decisions = Decision.objects.visible_to(membership).filter(
        kind__in=CERTIFY, holder__in=_organisations(membership, filters)
    )
    if filters.year:
        by_year_decisions = decisions.filter(decided_at__year=filters.year)
    else:
        by_year_decisions = decisions
    first = Count("pk", filter=Q(engagement__kind=Engagement.Kind.INITIAL))
    renewals = Count(
        "pk", filter=Q(engagement__isnull=False) & ~Q(engagement__kind=Engagement.Kind.INITIAL)
    )
    years = list(
        by_year_decisions.annotate(year=ExtractYear("decided_at"))
        .values("year")
        .annotate(first=first, renewals=renewals)
        .order_by("year")
    )
    by_sector = {
        row["holder__sector"]: row
        for row in by_year_decisions.values("holder__sector").annotate(
            first=first, renewals=renewals
        )
    }
    by_region = {
        row["holder__region"]: row
        for row in by_year_decisions.values("holder__region").annotate(
            first=first, renewals=renewals
        )
    }
    year_rows = [_counts_row(str(row["year"]), row) for row in years]
    sector_rows = [_counts_row(s.name, by_sector.get(s.pk, {})) for s in _sectors(filters)]
    regions = [(value, label) for value, label in Region.choices]
    if filters.region:
        regions = [(v, label) for v, label in regions if v == filters.region]
    region_rows = [_counts_row(label, by_region.get(value, {})) for value, label in regions]
    if not filters.region and by_region.get(""):
        region_rows.append(_counts_row(_("Region not given"), by_region[""]))
    header = [_("First certifications"), _("Renewals"), _("All certifications")]
    return {
        "years": {"rows": year_rows, "total": _total(year_rows, 3), "header": [_("Year"), *header]},
        "sectors": {
            "rows": sector_rows,
            "total": _total(sector_rows, 3),
            "header": [_("Sector"), *header],
        },
        "regions": {
            "rows": region_rows,
            "total": _total(region_rows, 3),
            "header": [_("Region"), *header],
        },
    }


def _counts_row(label: str, found: dict) -> dict:
    first, renewals = found.get("first", 0), found.get("renewals", 0)
    return _row(label, first, renewals, first + renewals)


def _total(rows: list[dict], width: int) -> dict:
    return _row(_("Total"), *[sum(row["cells"][i] for row in rows) for i in range(width)])


def table_csv_rows(table: dict) -> list[list]:
    return [[row["label"], *row["cells"]] for row in [*table["rows"], table["total"]]]


# Pipeline of reviews ------------------------------------------------------------------


def pipeline(membership, filters: DashboardFilters, *, today=None) -> dict:
    """Per sector, today: valid certificates whose review is due soon (within
    `review_due_soon_days`, which `due_soon_days` gives), those overdue, those suspended,
    and those that lapsed within the last 12 months."""
    today = today or timezone.localdate()
    due_soon_days = review_due_soon_days()
    active = Q(status=Certificate.Status.ACTIVE)
    counts = {
        row["holder__sector"]: row
        for row in Certificate.objects.visible_to(membership)
        .filter(holder__in=_organisations(membership, filters))
        .values("holder__sector")
        .annotate(
            due=Count(
                "pk",
                filter=active
                & Q(
                    next_review_due__gte=today,
                    next_review_due__lte=today + datetime.timedelta(days=due_soon_days),
                ),
            ),
            overdue=Count("pk", filter=active & Q(next_review_due__lt=today)),
            suspended=Count("pk", filter=Q(status=Certificate.Status.SUSPENDED)),
            lapsed=Count(
                "pk",
                filter=Q(
                    status=Certificate.Status.LAPSED,
                    status_changed_on__gt=today - datetime.timedelta(days=LAPSED_WITHIN_DAYS),
                ),
            ),
        )
    }
    columns = ("due", "overdue", "suspended", "lapsed")
    rows = [
        _row(sector.name, *[counts.get(sector.pk, {}).get(c, 0) for c in columns])
        for sector in _sectors(filters)
    ]
    header = [
        _("Sector"),
        _("Review due within %(days)s days") % {"days": due_soon_days},
        _("Review overdue"),
        _("Suspended"),
        _("Lapsed in the last 12 months"),
    ]
    return {
        "today": today,
        "due_soon_days": due_soon_days,
        "rows": rows,
        "total": _total(rows, len(columns)),
        "header": header,
    }


# Satisfaction -------------------------------------------------------------------------


def fewer_than() -> str:
    return _("Fewer than %(n)s organisations") % {"n": minimum_organisations()}


def satisfaction(filters: DashboardFilters, *, measure: str = "") -> dict:
    """Sector figures (mean score 0 to 100 and share satisfied) per sector, measure and
    year, from the refresh's SectorFigure rows for the chosen region and legal form.
    A suppressed cell shows only that too few organisations contribute."""
    figures = SectorFigure.objects.filter(
        peer_group__isnull=True, region=filters.region, legal_form=filters.legal_form
    ).select_related("sector")
    if filters.sector:
        figures = figures.filter(sector=filters.sector)
    if filters.year:
        figures = figures.filter(year=filters.year)
    if measure:
        figures = figures.filter(measure=measure)
    figures = list(figures.order_by("sector__name", "year"))
    years = sorted({figure.year for figure in figures})
    measures = [m for m in Measure if not measure or m.value == measure]
    cells = {(f.sector_id, f.measure, f.year): f for f in figures}
    sectors = []
    for sector in {f.sector_id: f.sector for f in figures}.values():
        rows = [
            {
                "measure": m.label,
                "value": m.value,
                "cells": [
                    _satisfaction_cell(cells.get((sector.pk, m.value, year))) for year in years
                ],
            }
            for m in measures
        ]
        sectors.append({"sector": sector, "rows": rows})
    return {"years": years, "sectors": sectors, "fewer_than": fewer_than()}


def _satisfaction_cell(figure: SectorFigure | None) -> dict:
    if figure is None:
        return {"empty": True, "text": "–"}
    if figure.suppressed or figure.median is None:
        return {"suppressed": True, "text": fewer_than(), "organisations": figure.organisations}
    return {
        "organisations": figure.organisations,
        "median": figure.median,
        "lower_quartile": figure.lower_quartile,
        "upper_quartile": figure.upper_quartile,
        "share": figure.share_satisfied,
        "share_text": percent(figure.share_satisfied),
    }


def satisfaction_csv(data: dict) -> tuple[list, list[list]]:
    header = [_("Sector"), _("Measure")]
    for year in data["years"]:
        header += [
            _("%(year)s: organisations") % {"year": year},
            _("%(year)s: median score (0 to 100)") % {"year": year},
            _("%(year)s: middle half of organisations") % {"year": year},
            _("%(year)s: share satisfied") % {"year": year},
        ]
    rows = []
    for block in data["sectors"]:
        for row in block["rows"]:
            line = [block["sector"].name, row["measure"]]
            for cell in row["cells"]:
                if cell.get("empty"):
                    line += ["", "", "", ""]
                elif cell.get("suppressed"):
                    line += [cell["organisations"], cell["text"], cell["text"], cell["text"]]
                else:
                    line += [
                        cell["organisations"],
                        score(cell["median"]),
                        quartiles(cell),
                        cell["share_text"],
                    ]
            rows.append(line)
    return header, rows


# Departments and agencies: the customer-experience element ----------------------------


def headquarters_list(membership):
    """The corporate programmes' headquarters the membership may see, with how many
    units each runs."""
    return (
        Organisation.objects.visible_to(membership)
        .filter(kind=Organisation.Kind.APPLICANT, units__isnull=False)
        .annotate(unit_count=Count("units"))
        .order_by("name")
    )


# Where a unit has more than one certificate, the one that says most about it today.
STATUS_RANK = {status: rank for rank, status in enumerate(Certificate.Status.values)}


def _certificates_by_unit(membership, ids: list[int]) -> dict[int, Certificate]:
    """Each unit's best certificate (by status, then the latest issued) among those that
    cover it, its headquarters' included."""
    covering = (
        Certificate.objects.visible_to(membership)
        .filter(Q(holder__in=ids) | Q(units__in=ids) | Q(holder__units__in=ids, units__isnull=True))
        .distinct()
    )
    certificates = {c.pk: c for c in covering}
    best = {}
    for pk, covered in certificate_coverage(covering).items():
        certificate = certificates[pk]
        key = (STATUS_RANK[certificate.status], -certificate.issue_date.toordinal())
        for unit in covered.intersection(ids):
            held = best.get(unit)
            if held is None or key < (STATUS_RANK[held.status], -held.issue_date.toordinal()):
                best[unit] = certificate
    return best


def _latest_scores(membership, ids: list[int]) -> dict[int, dict[str, OrganisationScore]]:
    latest_year = (
        OrganisationScore.objects.filter(organisation=OuterRef("organisation"))
        .order_by("-year")
        .values("year")[:1]
    )
    scores = (
        OrganisationScore.objects.visible_to(membership)
        .filter(organisation__in=ids, year=Subquery(latest_year))
        .select_related("survey__standard")
    )
    found: dict[int, dict[str, OrganisationScore]] = {}
    for score_row in scores:
        found.setdefault(score_row.organisation_id, {})[score_row.measure] = score_row
    return found


def _score_cell(score_row: OrganisationScore | None) -> dict:
    if score_row is None:
        return {"empty": True, "text": "–"}
    figures = {
        "count": score_row.count,
        "mean": score_row.mean,
        "sd": score_row.sd,
        "satisfied": score_row.satisfied,
    }
    entry = score_entry(score_row.measure, figures, minimum=min_group_size(score_row.survey))
    if entry["suppressed"]:
        return {"suppressed": True, "text": entry["message"]}
    low, high = entry["score_100_low"], entry["score_100_high"]
    return {
        "score": entry["score_100"],
        "low": low,
        "high": high,
        "text": score(entry["score_100"]),
        "interval": _("%(low)s to %(high)s") % {"low": score(low), "high": score(high)},
    }


def department(membership, headquarters: Organisation, *, today=None) -> dict:
    """For a headquarters and each of its units: certification status and next review
    due, and the latest year's satisfaction (overall and per driver, 0 to 100, with 95%
    intervals) from the benchmark refresh's organisation scores."""
    today = today or timezone.localdate()
    units = list(
        Organisation.objects.visible_to(membership)
        .filter(Q(pk=headquarters.pk) | Q(parent=headquarters.pk))
        .order_by("name")
    )
    units.sort(key=lambda unit: unit.pk != headquarters.pk)
    ids = [unit.pk for unit in units]
    certificates = _certificates_by_unit(membership, ids)
    scores = _latest_scores(membership, ids)
    rows = []
    for unit in units:
        certificate = certificates.get(unit.pk)
        unit_scores = scores.get(unit.pk, {})
        year = next(iter(unit_scores.values())).year if unit_scores else None
        rows.append(
            {
                "organisation": unit,
                "is_headquarters": unit.pk == headquarters.pk,
                "certificate": certificate,
                "status": certificate.get_status_display() if certificate else _("Not certified"),
                "review_due": certificate.next_review_due
                if certificate and certificate.status in HOLDING
                else None,
                "overdue": bool(
                    certificate
                    and certificate.status == Certificate.Status.ACTIVE
                    and certificate.next_review_due < today
                ),
                "year": year,
                "scores": [_score_cell(unit_scores.get(m.value)) for m in Measure],
            }
        )
    return {"headquarters": headquarters, "rows": rows, "measures": list(Measure.labels)}


def department_csv(data: dict) -> tuple[list, list[list]]:
    header = [
        _("Organisation"),
        _("Certification status"),
        _("Certificate number"),
        _("Next review due"),
        _("Year of the latest survey"),
    ]
    for label in data["measures"]:
        header += [
            _("%(measure)s: score (0 to 100)") % {"measure": label},
            _("%(measure)s: 95%% interval") % {"measure": label},
        ]
    rows = []
    for row in data["rows"]:
        certificate = row["certificate"]
        line = [
            row["organisation"].name,
            row["status"],
            certificate.number if certificate else "",
            row["review_due"].isoformat() if row["review_due"] else "",
            row["year"] or "",
        ]
        for cell in row["scores"]:
            line += [cell["text"], cell.get("interval", "")]
        rows.append(line)
    return header, rows
