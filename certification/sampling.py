"""Risk-based sampling of sites and elements for an engagement (IAF MD 1 and the scheme).

Pure functions over plain values, so the rules are easy to read and to test; `services`
gathers the facts from the database and stores the plan these give.
"""

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Multipliers of √x, where x is the number of sites apart from the central function.
INITIAL = Decimal("1")
REVIEW = Decimal("0.6")
REASSESSMENT = Decimal("1")
REASSESSMENT_PROVEN = Decimal("0.8")
# At least this share of the sample is chosen at random.
RANDOM_SHARE = Decimal("0.25")
# Each year of an annual review sees at least this share of the elements not yet seen
# in the cycle, so that two reviews and the reassessment see every element.
ROTATION_SHARE = Decimal("0.5")
# A survey driver scoring below this on 0-100 counts as weak.
WEAK_DRIVER_SCORE = 60


def sample_size(site_count: int, multiplier: Decimal) -> int:
    """Sites to visit apart from the central function: ⌈multiplier·√x⌉, never more than x."""
    if site_count <= 0:
        return 0
    size = math.ceil(Decimal(site_count).sqrt() * multiplier - Decimal("1e-9"))
    return min(site_count, max(1, size))


@dataclass
class SiteFacts:
    """What is known about a site when the plan is made."""

    pk: int
    name: str
    employees: int = 0
    open_findings: int = 0  # partial or non-compliant findings at its last visit
    weak_survey: bool = False  # its survey results are below the weak-driver line
    days_since_visit: int | None = None  # None: never visited


@dataclass
class SiteChoice:
    pk: int
    reason: str  # "risk" or "random"
    score: float
    explanation: list[str] = field(default_factory=list)


def risk_score(site: SiteFacts) -> tuple[float, list[str]]:
    """A site's risk score and the reasons behind it, in plain words."""
    score, reasons = 0.0, []
    if site.open_findings:
        score += 3 * site.open_findings
        reasons.append(
            ngettext(
                "%(count)s gap found at its last visit",
                "%(count)s gaps found at its last visit",
                site.open_findings,
            )
            % {"count": site.open_findings}
        )
    if site.weak_survey:
        score += 3
        reasons.append(_("weak survey results"))
    if site.days_since_visit is None:
        score += 4
        reasons.append(_("never visited"))
    elif site.days_since_visit > 365:
        years = site.days_since_visit // 365
        score += 2 * years
        reasons.append(_("last visited %(days)s days ago") % {"days": site.days_since_visit})
    if site.employees >= 100:
        score += 1
        reasons.append(_("large (%(count)s staff)") % {"count": site.employees})
    return score, reasons


def choose_sites(sites: list[SiteFacts], size: int, *, seed: int) -> list[SiteChoice]:
    """`size` sites: the riskiest for most of the sample, at least a quarter at random
    from the rest (reproducible from `seed`, so the plan can be explained later)."""
    size = min(size, len(sites))
    if size == 0:
        return []
    random_count = max(1, math.ceil(size * RANDOM_SHARE)) if size > 1 else 0
    scored = sorted(((site, *risk_score(site)) for site in sites), key=lambda t: (-t[1], t[0].name))
    chosen = [
        SiteChoice(site.pk, "risk", score, reasons or [_("highest remaining risk")])
        for site, score, reasons in scored[: size - random_count]
    ]
    rest = [(site, score, reasons) for site, score, reasons in scored[size - random_count :]]
    picker = random.Random(seed)
    for site, score, reasons in picker.sample(rest, random_count):
        chosen.append(SiteChoice(site.pk, "random", score, [_("chosen at random"), *reasons]))
    return chosen


def rotation_elements(unseen: list[str], reviews_left: int) -> list[str]:
    """Of the element codes not yet seen in the cycle, those this review takes, so the
    remaining reviews (this one included) and the reassessment see them all."""
    if not unseen:
        return []
    share = max(ROTATION_SHARE, Decimal(1) / Decimal(max(1, reviews_left)))
    count = min(len(unseen), math.ceil(len(unseen) * share))
    return unseen[:count]
