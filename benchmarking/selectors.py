"""Reads of benchmarking: an organisation's benchmark report, and the sector figures a
member may read.

The report is built from the stored OrganisationScore and SectorFigure rows only (never
from survey responses), in a fixed number of queries whatever the size of the field:
the report of one organisation or of a page of them takes the same three.

Every statistic comes from `surveys.analysis` (the interval of a score, the test of a
change), so the benchmark report and the survey analysis agree.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from organisations.models import Membership, Organisation, Sector
from surveys import analysis
from surveys.services import CONFIDENCE

from .models import (
    Measure,
    OrganisationScore,
    PeerGroup,
    PeerGroupMember,
    ReportJob,
    SectorFigure,
    minimum_organisations,
)

SECTOR = "sector"
PEER_GROUP = "peer_group"

ABOVE = "above"
BELOW = "below"
SAME = "same"

# A score on 0 to 100 is the mean on 1 to 5, less 1, times this.
POINTS_PER_STEP = 25

# Figures by (whose, year, measure): "whose" is a sector's id, or ("peer_group", its id).
_Figures = dict[tuple[Any, int | None, str], SectorFigure]
# An organisation's scores by year, then measure.
_ByYear = dict[int, dict[str, OrganisationScore]]


def measures() -> list[str]:
    return [measure.value for measure in Measure]


def measure_label(measure: str) -> str:
    return str(Measure(measure).label)


# Who reads what -----------------------------------------------------------------------


def benchmarked_organisations(membership: Membership | None) -> QuerySet[Organisation]:
    """The applicant organisations whose benchmark report the membership may read: its
    own and a headquarters' units; the scheme unit any applicant; nobody else any."""
    return Organisation.objects.visible_to(membership).filter(kind=Organisation.Kind.APPLICANT)


def report_jobs(membership: Membership | None) -> QuerySet[ReportJob]:
    """The benchmark report PDFs the membership may see, start again or download: those
    of the organisations whose report it reads."""
    return ReportJob.objects.visible_to(membership).filter(
        organisation__kind=Organisation.Kind.APPLICANT
    )


def readable_figures(membership: Membership | None) -> QuerySet[SectorFigure]:
    """The sector figures the active membership may read: for an applicant, those of its
    sector and of the peer groups it belongs to (a headquarters also its units'); for
    the scheme unit every sector's and group's. Only ever the whole sector or group,
    never the region and legal-form cells the scheme's dashboards split it into, so no
    filter can narrow a figure to fewer organisations than the refresh checked."""
    figures = SectorFigure.objects.filter(region="", legal_form="")
    if membership is None:
        return figures.none()
    kind = membership.organisation.kind
    if kind == Organisation.Kind.SCHEME_UNIT:
        return figures
    if kind != Organisation.Kind.APPLICANT:
        return figures.none()
    own = benchmarked_organisations(membership)
    groups = PeerGroupMember.objects.filter(organisation__in=own.values("pk"))
    return figures.filter(
        Q(peer_group__isnull=True, sector__in=own.values("sector"))
        | Q(peer_group__in=groups.values("peer_group"))
    )


# The report ---------------------------------------------------------------------------


def organisation_benchmark(
    organisation: Organisation, *, year: int | None = None
) -> dict[str, Any]:
    """Where `organisation` stands in its sector and in each of its peer groups in
    `year` (by default the latest year it has scores), as plain data: per measure its
    score with a 95% interval, the distribution of the sector's scores (or why it is
    not shown), its quartile and decile, and whether it differs from the median beyond
    the margin of error; its trend over the years; where it improved since its previous
    year; and where peers do better."""
    return organisation_benchmarks([organisation], year=year)[organisation.pk]


def latest_year(organisation: Organisation) -> int | None:
    """The latest year `organisation` has benchmark scores, or None if it has none."""
    scores = OrganisationScore.objects.filter(organisation=organisation)
    latest: int | None = scores.aggregate(latest=Max("year"))["latest"]
    return latest


def organisation_benchmarks(
    organisations: Iterable[Organisation], *, year: int | None = None
) -> dict[int, dict[str, Any]]:
    """`organisation_benchmark` of each organisation, by pk, in four queries."""
    organisations = list(organisations)
    ids = [organisation.pk for organisation in organisations]
    scores: defaultdict[int, list[OrganisationScore]] = defaultdict(list)
    for score in _scores(ids):
        scores[score.organisation_id].append(score)
    groups: defaultdict[int, list[PeerGroup]] = defaultdict(list)
    joined = PeerGroupMember.objects.filter(organisation__in=ids).select_related("peer_group")
    for membership in joined.order_by("peer_group__name", "peer_group_id"):
        groups[membership.organisation_id].append(membership.peer_group)
    figures = _figures(
        {organisation.sector_id for organisation in organisations},
        {group.pk for joined_groups in groups.values() for group in joined_groups},
    )
    minimum = minimum_organisations()
    return {
        organisation.pk: _report(
            organisation, scores[organisation.pk], groups[organisation.pk], figures, year, minimum
        )
        for organisation in organisations
    }


def _scores(organisation_ids: list[int]) -> QuerySet[OrganisationScore]:
    return (
        OrganisationScore.objects.filter(organisation__in=organisation_ids)
        .select_related("survey__standard")
        .only(
            "organisation_id",
            "year",
            "measure",
            "count",
            "mean",
            "sd",
            "satisfied",
            "score",
            "survey__title",
            "survey__population",
            "survey__standard__survey_min_responses_to_publish",
        )
        .order_by("year", "measure")
    )


def _figures(sector_ids: set[int | None], group_ids: set[int]) -> _Figures:
    """The figures of these sectors (as a whole) and peer groups, by (whose, year,
    measure); "whose" is a sector's id, or ("peer_group", its id)."""
    rows = SectorFigure.objects.filter(
        Q(sector__in=sector_ids, peer_group__isnull=True, region="", legal_form="")
        | Q(peer_group__in=group_ids)
    )
    return {(_whose(figure), figure.year, figure.measure): figure for figure in rows}


def _whose(figure: SectorFigure) -> Any:
    return (PEER_GROUP, figure.peer_group_id) if figure.peer_group_id else figure.sector_id


def _report(
    organisation: Organisation,
    scores: list[OrganisationScore],
    groups: list[PeerGroup],
    figures: _Figures,
    year: int | None,
    minimum: int,
) -> dict[str, Any]:
    years = sorted({score.year for score in scores}, reverse=True)
    if year is None and years:
        year = years[0]
    by_year: _ByYear = defaultdict(dict)
    for score in scores:
        by_year[score.year][score.measure] = score
    current = by_year.get(year, {}) if year is not None else {}
    owners: list[tuple[str, Sector | PeerGroup | None, Any]] = [
        (SECTOR, organisation.sector, organisation.sector_id)
    ]
    owners += [(PEER_GROUP, group, (PEER_GROUP, group.pk)) for group in groups]
    comparisons = []
    for kind, owner, whose in owners:
        rows = [
            _position_row(
                measure, current.get(measure), figures.get((whose, year, measure)), minimum
            )
            for measure in measures()
        ]
        comparisons.append(_comparison(kind, owner, rows))
    used = [figures.get((whose, year, m)) for _kind, _owner, whose in owners for m in measures()]
    return {
        "organisation": {"pk": organisation.pk, "name": organisation.name},
        "sector": _named(organisation.sector),
        "minimum_organisations": minimum,
        "confidence_pct": round(CONFIDENCE * 100),
        "years": years,
        "year": year,
        "available": bool(current),
        "message": "" if current else _no_scores_message(years, year),
        "computed_at": max((f.computed_at for f in used if f is not None), default=None),
        "comparisons": comparisons if current else [],
        "trend": _trend(by_year, figures, organisation.sector_id),
        "change": _change(by_year, year),
        "peers_do_better": _peers_do_better(comparisons) if current else [],
    }


def _named(owner: Sector | None) -> dict[str, Any] | None:
    return None if owner is None else {"pk": owner.pk, "name": owner.name}


def _no_scores_message(years: list[int], year: int | None) -> str:
    if not years:
        return _(
            "There are no benchmark scores for this organisation yet. Scores come from a "
            "customer survey that meets the scheme's method: run one, upload its results, "
            "and its scores join the sector's benchmark at the next refresh."
        )
    return _("This organisation has no benchmark scores for %(year)s.") % {"year": year}


def _comparison(
    kind: str, owner: Sector | PeerGroup | None, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    if kind == SECTOR:
        name = owner.name if owner else _("No sector")
        title = _("Your sector: %(name)s") % {"name": name}
    else:
        assert owner is not None  # every peer group compared is one the organisation is in
        name = owner.name
        title = _("Your peer group: %(name)s") % {"name": name}
    return {
        "kind": kind,
        "pk": None if owner is None else owner.pk,
        "name": name,
        "title": title,
        "rows": rows,
    }


# One measure against one distribution -------------------------------------------------


def own_score(measure: str, score: OrganisationScore | None) -> dict:
    """The organisation's score on one measure, with its 95% intervals, as the survey
    analysis shows it (`score_entry`, on the survey's population)."""
    if score is None:
        return {
            "column": measure,
            "label": measure_label(measure),
            "suppressed": True,
            "message": _("No score"),
        }
    figures = {
        "count": score.count,
        "mean": score.mean,
        "sd": score.sd,
        "satisfied": score.satisfied,
    }
    entry = analysis.score_entry(
        measure,
        figures,
        minimum=analysis.min_group_size(score.survey),
        population=score.survey.population,
    )
    return {**entry, "label": measure_label(measure), "survey_title": score.survey.title}


def figure_entry(figure: SectorFigure | None, minimum: int) -> dict:
    """A distribution as the report shows it, or the reason it is not shown."""
    if figure is None:
        return {
            "shown": False,
            "organisations": 0,
            "message": _("No figure yet: it is worked out at the next refresh."),
        }
    if figure.suppressed:
        if figure.organisations < minimum:
            message = _("Not shown: fewer than %(n)s organisations.") % {"n": minimum}
        else:
            message = _(
                "Not shown: with the sector's figure it would describe fewer than "
                "%(n)s organisations."
            ) % {"n": minimum}
        return {"shown": False, "organisations": figure.organisations, "message": message}
    return {
        "shown": True,
        "organisations": figure.organisations,
        "message": "",
        "mean": figure.mean,
        "lower_quartile": figure.lower_quartile,
        "median": figure.median,
        "upper_quartile": figure.upper_quartile,
        "deciles": list(figure.deciles),
        "share_satisfied_pct": None
        if figure.share_satisfied is None
        else figure.share_satisfied * 100,
    }


def _position_row(
    measure: str, score: OrganisationScore | None, figure: SectorFigure | None, minimum: int
) -> dict[str, Any]:
    own = own_score(measure, score)
    distribution = figure_entry(figure, minimum)
    row = {"measure": measure, "label": own["label"], "own": own, "figure": distribution}
    if own["suppressed"] or not distribution["shown"]:
        return {**row, "quartile": None, "decile": None, "difference": None, "statement": ""}
    value = own["score_100"]
    quartile = 1 + sum(
        value >= edge
        for edge in (
            distribution["lower_quartile"],
            distribution["median"],
            distribution["upper_quartile"],
        )
    )
    decile = 1 + sum(value >= edge for edge in distribution["deciles"])
    difference = _difference(own, distribution["median"])
    return {
        **row,
        "quartile": quartile,
        "quartile_label": _quartile_label(quartile),
        "decile": decile,
        "decile_label": _decile_label(decile, len(distribution["deciles"]) + 1),
        "difference": difference,
        "gap": value - distribution["median"],
        "statement": _difference_statement(difference),
    }


def _difference(own: dict, median: float) -> str:
    """Above or below the median when the median lies outside the score's interval."""
    low, high = own["score_100_low"], own["score_100_high"]
    if low is None or high is None:
        return SAME
    if low > median:
        return ABOVE
    if high < median:
        return BELOW
    return SAME


def _difference_statement(difference: str) -> str:
    return {
        ABOVE: _("Above the median, beyond the margin of error"),
        BELOW: _("Below the median, beyond the margin of error"),
        SAME: _("No different from the median: within the margin of error"),
    }[difference]


def _quartile_label(quartile: int) -> str:
    return {
        1: _("Bottom quarter"),
        2: _("Below the median, above the bottom quarter"),
        3: _("Above the median, below the top quarter"),
        4: _("Top quarter"),
    }[quartile]


def _decile_label(decile: int, bands: int) -> str:
    if decile == 1:
        return _("Bottom tenth")
    if decile == bands:
        return _("Top tenth")
    low, high = (decile - 1) * 10, decile * 10
    return _("Between the %(low)sth and %(high)sth percentiles") % {"low": low, "high": high}


def _peers_do_better(comparisons: list[dict]) -> list[dict]:
    """The measures where the organisation is below a median beyond the margin of
    error, the widest gap first."""
    found = [
        {
            "measure": row["measure"],
            "label": row["label"],
            "comparison": comparison["name"],
            "kind": comparison["kind"],
            "score": row["own"]["score_100"],
            "median": row["figure"]["median"],
            "gap": -row["gap"],
        }
        for comparison in comparisons
        for row in comparison["rows"]
        if row["difference"] == BELOW
    ]
    return sorted(found, key=lambda item: (-item["gap"], item["label"]))


# Over the years -----------------------------------------------------------------------


def _trend(by_year: _ByYear, figures: _Figures, sector_id: int | None) -> dict[str, Any]:
    """Per measure, the organisation's score and the sector's median in each year it
    has scores (the median only where the sector's figure is shown)."""
    years = sorted(by_year)
    rows = []
    for measure in measures():
        points = []
        for year in years:
            score = by_year[year].get(measure)
            figure = figures.get((sector_id, year, measure))
            shown = figure is not None and not figure.suppressed
            median = figure.median if figure is not None and shown else None
            points.append(
                {
                    "year": year,
                    "score": None if score is None else score.score,
                    "sector_median": median,
                }
            )
        rows.append({"measure": measure, "label": measure_label(measure), "points": points})
    return {"years": years, "rows": rows}


def _change(by_year: _ByYear, year: int | None) -> dict[str, Any]:
    """The change on each measure since the organisation's previous year with scores,
    with the test the survey analysis uses (Welch's, on the two surveys' summaries)."""
    earlier = [y for y in by_year if year is not None and y < year]
    if year not in by_year or not earlier:
        return {
            "available": False,
            "reason": _("There is no earlier year with scores to compare with."),
            "rows": [],
            "improved": [],
        }
    previous = max(earlier)
    rows = [
        _change_row(measure, by_year[year].get(measure), by_year[previous].get(measure))
        for measure in measures()
    ]
    return {
        "available": True,
        "previous_year": previous,
        "rows": rows,
        "improved": [row["label"] for row in rows if row.get("improved")],
    }


def _change_row(
    measure: str, now: OrganisationScore | None, before: OrganisationScore | None
) -> dict[str, Any]:
    row: dict[str, Any] = {"measure": measure, "label": measure_label(measure)}
    if now is None or before is None:
        return {**row, "compared": False, "improved": False, "statement": _("No score to compare")}
    change = analysis.mean_change(_summary(now), _summary(before))
    real = (change["mean_p_value"] or 0) < analysis.SIGNIFICANCE
    points = change["mean_difference"] * POINTS_PER_STEP
    return {
        **row,
        "compared": True,
        "score_before": before.score,
        "score_now": now.score,
        "points": points,
        "points_low": change["mean_difference_low"] * POINTS_PER_STEP,
        "points_high": change["mean_difference_high"] * POINTS_PER_STEP,
        "p_value": change["mean_p_value"],
        "real_change": real,
        "improved": real and points > 0,
        "statement": analysis.change_statement(points, real),
    }


def _summary(score: OrganisationScore) -> dict[str, Any]:
    return {"count": score.count, "mean": score.mean, "sd": score.sd}
