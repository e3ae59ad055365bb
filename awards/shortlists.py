"""Shortlists from the evidence: which current holders of a sector an organisation
category puts forward, in what order, and why. A reader only; `services.shortlist_compute`
stores the result as `Candidate` rows.

Only organisations holding an active certificate in the category's sector are eligible.

Best ranks by the criterion's level at the latest decided assessment that rated it
(the standard's own level rule, judged on the elements assessed), then by the share of
those elements at compliance plus, then by the survey score on the criterion's driver
(overall satisfaction for customer insight, which has no driver question) from the
latest year that met the method. Its `score` is the level (0 developing to 3 leading)
plus that share.

Most improved ranks a real rise in the survey score first: one whose 95% interval
leaves out zero, ordered by the interval's lower bound, so a change inside the noise
never ranks above a real one however large it looks. The rest follow by the change in
the average rating on the criterion between the last two assessments (0 non-compliant
to 3 compliance plus). Its `score` is the lower bound of the score's change in points
where the surveys give one, otherwise the change in the average rating.
"""

import math
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.levels import criterion_result
from assessments.models import RatingValue
from benchmarking.models import Measure, OrganisationScore, SectorFigure
from certification.models import Certificate, Engagement, Finding
from certification.reliance import AssessedElements, ElementRow
from standard.models import Level, Standard
from standard.scales import RATING, level_rank
from surveys.analysis import mean_change, mean_interval

from .models import Category


@dataclass
class Ranked:
    """One organisation's place in a shortlist, before it is stored."""

    organisation_id: int
    name: str
    score: float
    key: tuple
    reasons: list[str] = field(default_factory=list)


@dataclass
class Assessment:
    """A decided engagement's ratings of one criterion's elements."""

    engagement_id: int
    on: object  # the assessment's last day
    standard_id: int
    ratings: dict[ElementRow, str] = field(default_factory=dict)

    @property
    def average_points(self) -> float:
        return sum(RATING[r].points for r in self.ratings.values()) / len(self.ratings)

    @property
    def compliance_plus(self) -> int:
        return sum(1 for r in self.ratings.values() if r == RatingValue.COMPLIANCE_PLUS)


def survey_measure(criterion) -> str:
    """The survey measure that speaks for a criterion: its driver, or overall satisfaction."""
    return criterion.driver if criterion.driver in Measure.values else Measure.OVERALL


def eligible_holders(sector_id: int) -> dict[int, str]:
    """The organisations of the sector with an active certificate, by id, with names."""
    return dict(
        Certificate.objects.filter(status=Certificate.Status.ACTIVE, holder__sector=sector_id)
        .order_by("holder__name")
        .values_list("holder_id", "holder__name")
        .distinct()
    )


def shortlist(category: Category) -> list[Ranked]:
    """The category's candidates in order: empty for team and individual categories,
    whose entries come from nominations."""
    if category.level != Category.Level.ORGANISATION:
        return []
    holders = eligible_holders(category.sector_id)
    criterion = category.criterion
    assessments = _assessments(criterion, list(holders))
    scores = _scores(survey_measure(criterion), list(holders))
    if category.kind == Category.Kind.BEST:
        ranked = _best(category, holders, assessments, scores)
    else:
        ranked = _most_improved(criterion, holders, assessments, scores)
    return sorted(ranked, key=lambda r: (tuple(-k for k in r.key), r.name))


# Evidence, read once for every holder ---------------------------------------------------


def _assessments(criterion, organisation_ids: list[int]) -> dict[int, list[Assessment]]:
    """Each holder's decided assessments that rated the criterion, latest first. The
    criterion is matched by its slug, so assessments against an earlier version of the
    standard count too."""
    rows = (
        Finding.objects.filter(
            engagement__application__applicant__in=organisation_ids,
            engagement__status=Engagement.Status.DECIDED,
            element__criterion__slug=criterion.slug,
        )
        .exclude(rating="")
        .values_list(
            "engagement__application__applicant_id",
            "engagement_id",
            "engagement__ends_on",
            "engagement__standard_id",
            "element_id",
            "element__code",
            "rating",
        )
        .order_by("element__position")
    )
    by_engagement: dict[int, Assessment] = {}
    owners: dict[int, int] = {}
    for owner, engagement, on, standard, element, code, rating in rows:
        assessment = by_engagement.setdefault(engagement, Assessment(engagement, on, standard))
        assessment.ratings[ElementRow(element, code)] = rating
        owners[engagement] = owner
    result: dict[int, list[Assessment]] = {}
    for engagement, assessment in by_engagement.items():
        result.setdefault(owners[engagement], []).append(assessment)
    for found in result.values():
        found.sort(key=lambda a: (a.on is not None, a.on, a.engagement_id), reverse=True)
    return result


def _scores(measure: str, organisation_ids: list[int]) -> dict[int, list[OrganisationScore]]:
    """Each holder's scores on the measure, latest year first."""
    result: dict[int, list[OrganisationScore]] = {}
    for score in OrganisationScore.objects.filter(
        organisation__in=organisation_ids, measure=measure
    ).order_by("-year"):
        result.setdefault(score.organisation_id, []).append(score)
    return result


def _in_upper_quartile(score: OrganisationScore | None, sector_id: int) -> bool:
    if score is None:
        return False
    figure = SectorFigure.objects.filter(
        sector=sector_id,
        peer_group__isnull=True,
        region="",
        legal_form="",
        year=score.year,
        measure=score.measure,
        suppressed=False,
    ).first()
    return bool(
        figure and figure.upper_quartile is not None and score.score >= figure.upper_quartile
    )


# Best -----------------------------------------------------------------------------------


def _best(category, holders, assessments, scores) -> list[Ranked]:
    criterion = category.criterion
    standards = Standard.objects.in_bulk({a[0].standard_id for a in assessments.values()})
    ranked = []
    for organisation_id, found in assessments.items():
        latest = found[0]
        score = (scores.get(organisation_id) or [None])[0]
        top_quarter = _in_upper_quartile(score, category.sector_id)
        level = criterion_result(
            AssessedElements(list(latest.ratings)),
            latest.ratings,
            standards[latest.standard_id],
            survey_in_upper_quartile=top_quarter,
        ).level
        share = latest.compliance_plus / len(latest.ratings)
        reasons = [_level_reason(criterion, level, latest)]
        reasons.append(_score_reason(criterion, score, top_quarter))
        key = (level_rank(level), share, score.score if score else -math.inf)
        ranked.append(
            Ranked(organisation_id, holders[organisation_id], key[0] + share, key, reasons)
        )
    return ranked


def _level_reason(criterion, level, assessment: Assessment) -> str:
    return _(
        "Rated %(level)s on %(criterion)s at its assessment on %(date)s: "
        "%(plus)s of %(total)s elements compliance plus"
    ) % {
        "level": Level(level).label.lower(),
        "criterion": criterion.title,
        "date": _date(assessment.on),
        "plus": assessment.compliance_plus,
        "total": len(assessment.ratings),
    }


def _score_reason(criterion, score: OrganisationScore | None, top_quarter: bool) -> str:
    label = _measure_label(criterion)
    if score is None:
        return _("No %(measure)s score from a survey that meets the method") % {
            "measure": label.lower()
        }
    low, high = _score_interval(score)
    text = _("%(measure)s score %(score)s in %(year)s (95%% interval %(low)s to %(high)s)") % {
        "measure": label,
        "score": _number(score.score),
        "year": score.year,
        "low": _number(low),
        "high": _number(high),
    }
    if top_quarter:
        text += _(", in the top quarter of the sector")
    return text


def _score_interval(score: OrganisationScore) -> tuple[float, float]:
    low, high = mean_interval(score.mean, score.sd, score.count)
    if low is None:
        return score.score, score.score
    return (low - 1) * 25, (high - 1) * 25


# Most improved --------------------------------------------------------------------------


def _most_improved(criterion, holders, assessments, scores) -> list[Ranked]:
    ranked = []
    for organisation_id, name in holders.items():
        found = assessments.get(organisation_id, [])
        years = scores.get(organisation_id, [])
        if len(found) < 2 and len(years) < 2:
            continue
        reasons = []
        rating_change = None
        if len(found) >= 2:
            rating_change = found[0].average_points - found[1].average_points
            reasons.append(_rating_change_reason(criterion, found[1], found[0]))
        else:
            reasons.append(
                _("Only one assessment has rated %(criterion)s so far: no change to compare")
                % {"criterion": criterion.title}
            )
        low = None
        if len(years) >= 2:
            change, low, high = _score_change(years[0], years[1])
            reasons.append(_score_change_reason(criterion, years[1], years[0], change, low, high))
        else:
            reasons.append(
                _("No %(measure)s scores from two years of surveys that meet the method")
                % {"measure": _measure_label(criterion).lower()}
            )
        real = low is not None and low > 0
        key = (
            real,
            low if real else -math.inf,
            -math.inf if rating_change is None else rating_change,
            -math.inf if low is None else low,
        )
        score = low if low is not None else rating_change
        ranked.append(Ranked(organisation_id, name, score, key, reasons))
    return ranked


def _score_change(now: OrganisationScore, before: OrganisationScore):
    """The change of the score (0 to 100) and its 95% interval, from Welch's test of
    the two years' means."""
    change = mean_change(
        {"mean": now.mean, "sd": now.sd, "count": now.count},
        {"mean": before.mean, "sd": before.sd, "count": before.count},
    )
    return (
        change["mean_difference"] * 25,
        change["mean_difference_low"] * 25,
        change["mean_difference_high"] * 25,
    )


def _rating_change_reason(criterion, before: Assessment, now: Assessment) -> str:
    values = {
        "criterion": criterion.title,
        "before": _number(before.average_points),
        "now": _number(now.average_points),
        "from": _date(before.on),
        "to": _date(now.on),
    }
    if now.average_points > before.average_points:
        text = _(
            "Average rating on %(criterion)s up from %(before)s to %(now)s between its "
            "assessments on %(from)s and %(to)s (compliant is 2, compliance plus 3)"
        )
    elif now.average_points < before.average_points:
        text = _(
            "Average rating on %(criterion)s down from %(before)s to %(now)s between its "
            "assessments on %(from)s and %(to)s (compliant is 2, compliance plus 3)"
        )
    else:
        text = _(
            "Average rating on %(criterion)s unchanged at %(now)s between its assessments "
            "on %(from)s and %(to)s (compliant is 2, compliance plus 3)"
        )
    return text % values


def _score_change_reason(criterion, before, now, change, low, high) -> str:
    size = abs(change)
    values = {
        "measure": _measure_label(criterion),
        "points": _number(size),
        "from": before.year,
        "to": now.year,
        "low": _number(low),
        "high": _number(high),
    }
    if round(size, 1) == 0:
        text = _("%(measure)s score unchanged from %(from)s to %(to)s")
    elif change > 0:
        text = ngettext(
            "%(measure)s score up %(points)s point from %(from)s to %(to)s",
            "%(measure)s score up %(points)s points from %(from)s to %(to)s",
            _plural(size),
        )
    else:
        text = ngettext(
            "%(measure)s score down %(points)s point from %(from)s to %(to)s",
            "%(measure)s score down %(points)s points from %(from)s to %(to)s",
            _plural(size),
        )
    real = low > 0 or high < 0
    verdict = (
        _("(95%% interval %(low)s to %(high)s), a real change")
        if real
        else _("(95%% interval %(low)s to %(high)s), within the noise")
    )
    return f"{text % values} {verdict % values}"


# Words ----------------------------------------------------------------------------------


def _measure_label(criterion) -> str:
    measure = survey_measure(criterion)
    return str(Measure(measure).label) if measure == Measure.OVERALL else criterion.title


def _number(value: float) -> str:
    return f"{value:.1f}"


def _plural(size: float) -> int:
    return 1 if f"{size:.1f}" == "1.0" else 2


def _date(value) -> str:
    return date_format(value, "j F Y") if value else _("an unrecorded date")
