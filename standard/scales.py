"""The standard's two scales, each as one table: the rating of an element and the level
of a criterion.

Everything else reads these tables: the models' choices, the GOV.UK tags on every page,
the gap report's bars, the dashboards' charts, award points and the pass rule's split
between meeting an element and a gap. A value is added or changed here and nowhere else.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class RatingRow:
    value: str
    label: Promise
    # Compliant or better: counts towards the pass rule. Anything else is a gap that
    # needs an action.
    meets: bool
    # Worth in award shortlists; when ratings merge across versions, the fewest wins.
    points: int
    tag: str  # GOV.UK tag colour
    pdf_colour: str  # the gap report's bar: the tag's colour in the GOV.UK palette
    chart_colour: str  # the dashboards' stacked bars: at least 3:1 against white
    hint: Promise  # under the choice on the rating form


# Best first: the order forms, tables, charts and exports list them in.
RATINGS = (
    RatingRow(
        value="compliance_plus",
        label=_("Compliance plus"),
        meets=True,
        points=3,
        tag="purple",
        pdf_colour="#4c2c92",
        chart_colour="#00703c",
        hint=_("Beyond the standard: practice others could learn from."),
    ),
    RatingRow(
        value="compliant",
        label=_("Compliant"),
        meets=True,
        points=2,
        tag="green",
        pdf_colour="#00703c",
        chart_colour="#1d70b8",
        hint=_("You meet the element in full and can show it."),
    ),
    RatingRow(
        value="partial",
        label=_("Partial"),
        meets=False,
        points=1,
        tag="yellow",
        pdf_colour="#ffdd00",
        chart_colour="#b58840",
        hint=_("A gap you can close within 3 months."),
    ),
    RatingRow(
        value="non_compliant",
        label=_("Non-compliant"),
        meets=False,
        points=0,
        tag="red",
        pdf_colour="#d4351c",
        chart_colour="#d4351c",
        hint=_("You do not meet the element yet."),
    ),
)

# An element not rated yet (or without a finding) is shown, and charted, in grey.
UNRATED_LABEL = _("Not rated")
UNRATED_TAG = "grey"
UNRATED_PDF_COLOUR = "#b1b4b6"


@dataclass(frozen=True)
class LevelRow:
    value: str
    label: Promise
    tag: str  # GOV.UK tag colour


# Lowest first: each level asks more than the one before it.
LEVELS = (
    LevelRow(value="developing", label=_("Developing"), tag="yellow"),
    LevelRow(value="meeting", label=_("Meeting"), tag="blue"),
    LevelRow(value="strong", label=_("Strong"), tag="green"),
    LevelRow(value="leading", label=_("Leading"), tag="purple"),
)


RATING = {row.value: row for row in RATINGS}
LEVEL = {row.value: row for row in LEVELS}
MEETS = tuple(row.value for row in RATINGS if row.meets)
GAPS = tuple(row.value for row in RATINGS if not row.meets)

# The models' choices, made from the tables so the two cannot drift apart.
# The stubs do not know Enum's functional form, which Django's choices support.
RatingValue = models.TextChoices(  # type: ignore[call-overload]
    "RatingValue", [(row.value.upper(), (row.value, row.label)) for row in RATINGS]
)
Level = models.TextChoices(  # type: ignore[call-overload]
    "Level", [(row.value.upper(), (row.value, row.label)) for row in LEVELS]
)


def level_rank(value: str) -> int:
    """0 for the lowest level, one more for each level above it."""
    return LEVELS.index(LEVEL[value])
