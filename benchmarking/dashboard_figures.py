"""Work out the scheme dashboards' heavier figures (certification-body consistency and
effectiveness) and store them as DashboardFigure rows, which the pages and the API read.

Each input is read once, by one grouped query, and sliced by sector and year in pandas,
so the cost does not grow with the number of bodies, assessors or organisations.
"""

import datetime

import pandas as pd
from django.db import transaction

from organisations.models import Sector

from . import consistency, effectiveness
from .models import DashboardFigure, minimum_organisations

ALL_YEARS = 0


def dashboard_figures_refresh(*, sector: Sector | None, now: datetime.datetime) -> None:
    """Replace the consistency and effectiveness figures of one sector, or when `sector`
    is None, those of all sectors taken together (within-sector comparisons combined),
    for each year with data and for all years (year 0), in one transaction."""
    by_element, by_assessor = consistency.findings_frames(sector)
    scores = effectiveness.scores_frame(sector)
    pairs = effectiveness.certification_pairs(scores, effectiveness.first_certified())
    minimum = minimum_organisations()
    years = set(by_element["year"]) | set(scores["year"]) | set(pairs["certified"])
    figures = []
    # A year that cannot be known (a missing date) gets no figures of its own; its rows
    # still count in all years.
    known = sorted({int(year) for year in years if pd.notna(year)})
    for year in [ALL_YEARS, *known]:
        consistency_data = consistency.consistency_figure(
            _in_year(by_element, year), _in_year(by_assessor, year)
        )
        effectiveness_data = effectiveness.effectiveness_figure(
            _scores_of_year(scores, year),
            _in_year(pairs, year, column="certified"),
            minimum=minimum,
        )
        for kind, data in (
            (DashboardFigure.Kind.CONSISTENCY, consistency_data),
            (DashboardFigure.Kind.EFFECTIVENESS, effectiveness_data),
        ):
            figures.append(
                DashboardFigure(kind=kind, sector=sector, year=year, data=data, computed_at=now)
            )
    with transaction.atomic():
        DashboardFigure.objects.filter(sector=sector).delete()
        DashboardFigure.objects.bulk_create(figures)


def _in_year(frame: pd.DataFrame, year: int, *, column: str = "year") -> pd.DataFrame:
    return frame if year == ALL_YEARS else frame[frame[column] == year]


def _scores_of_year(scores: pd.DataFrame, year: int) -> pd.DataFrame:
    """A year's scores; for all years, each organisation's latest, so none counts twice."""
    if year == ALL_YEARS:
        return effectiveness.latest_scores(scores)
    return scores[scores["year"] == year]
