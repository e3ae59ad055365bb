"""Criterion levels from element ratings, and what the next level asks.

Levels are feedback, not grades: developing (below the pass rule), meeting
(passes), strong (every element compliant or better), leading (strong, a share
at compliance plus, and the criterion's driver at or above the sector's upper
quartile in a survey that meets the method).
"""

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from standard.models import Criterion, Level
from standard.scales import MEETS

from .models import RatingValue


@dataclass
class CriterionResult:
    criterion: Criterion
    rated: int
    total: int
    level: str
    counts: dict[str, int]
    next_level: str | None
    asks: list[str] = field(default_factory=list)

    @property
    def level_label(self):
        return Level(self.level).label

    @property
    def next_level_label(self):
        return Level(self.next_level).label if self.next_level else ""

    @property
    def complete(self):
        return self.rated == self.total


def criterion_result(criterion, ratings, standard, *, survey_in_upper_quartile=False):
    """`ratings` maps each of the criterion's elements to its value ("" when not rated)."""
    values = [ratings.get(element, "") for element in criterion.elements.all()]
    total = len(values)
    counts = {value: values.count(value) for value in RatingValue.values}
    rated = total - values.count("")
    meets = sum(counts[v] for v in MEETS)
    needed = math.ceil(float(standard.pass_min_compliant_share) * total)
    plus_needed = math.ceil(float(standard.leading_compliance_plus_share) * total)
    passes = rated == total and not counts[RatingValue.NON_COMPLIANT] and meets >= needed
    strong = passes and meets == total
    leading = strong and counts[RatingValue.COMPLIANCE_PLUS] >= plus_needed
    leading = leading and survey_in_upper_quartile

    gaps = [e.code for e in criterion.elements.all() if ratings.get(e) not in MEETS]
    if not passes:
        level, following = Level.DEVELOPING, Level.MEETING
        asks = _developing_asks(criterion, ratings, counts, meets, needed, rated, total)
    elif not strong:
        level, following = Level.MEETING, Level.STRONG
        asks = [_("Bring %(codes)s up to compliant.") % {"codes": _codes(gaps)}]
    elif not leading:
        level, following = Level.STRONG, Level.LEADING
        asks = []
        if counts[RatingValue.COMPLIANCE_PLUS] < plus_needed:
            more = plus_needed - counts[RatingValue.COMPLIANCE_PLUS]
            asks.append(
                ngettext(
                    "Show %(n)s more element at compliance plus: practice others can learn from.",
                    "Show %(n)s more elements at compliance plus: practice others can learn from.",
                    more,
                )
                % {"n": more}
            )
        if not survey_in_upper_quartile:
            asks.append(
                _(
                    "Show, with a customer survey that meets the method, that satisfaction with "
                    "this criterion's driver is in the top quarter of your sector."
                )
            )
    else:
        level, following, asks = Level.LEADING, None, []
    return CriterionResult(criterion, rated, total, level, counts, following, asks)


def _developing_asks(criterion, ratings, counts, meets, needed, rated, total):
    asks = []
    unrated = [e.code for e in criterion.elements.all() if not ratings.get(e)]
    if unrated:
        asks.append(_("Rate %(codes)s.") % {"codes": _codes(unrated)})
    failing = [
        e.code for e in criterion.elements.all() if ratings.get(e) == RatingValue.NON_COMPLIANT
    ]
    if failing:
        asks.append(_("Close the non-compliance in %(codes)s.") % {"codes": _codes(failing)})
    if rated == total and meets < needed:
        more = needed - meets
        asks.append(
            ngettext(
                "Bring %(n)s more element up to compliant (%(needed)s of %(total)s are needed).",
                "Bring %(n)s more elements up to compliant (%(needed)s of %(total)s are needed).",
                more,
            )
            % {"n": more, "needed": needed, "total": total}
        )
    return asks


def _codes(codes):
    if len(codes) > 1:
        return _("%(first)s and %(last)s") % {"first": ", ".join(codes[:-1]), "last": codes[-1]}
    return codes[0] if codes else ""
