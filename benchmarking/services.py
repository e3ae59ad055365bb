"""The benchmark refresh, what starts it, and peer groups.

The refresh reads each organisation's stored survey summaries (never the responses),
keeps its latest survey per year that meets the method, and replaces a sector's
`OrganisationScore` and `SectorFigure` rows in one transaction. Figures about fewer
organisations than the minimum (`models.minimum_organisations`), or that would give one away
when subtracted from another figure, are stored suppressed: their count and nothing else.
"""

import csv
import datetime
import logging
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, TypeGuard

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import Certificate, CertificateEvent
from certification.selectors import certificate_coverage
from organisations.models import Membership, Organisation, Role, Sector
from surveys.models import Survey

from .dashboard_figures import dashboard_figures_refresh
from .models import (
    Measure,
    OrganisationScore,
    PeerGroup,
    PeerGroupMember,
    Refresh,
    SectorFigure,
    minimum_organisations,
)

logger = logging.getLogger(__name__)

PERCENTILES = [10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90]
DECILES = [10, 20, 30, 40, 50, 60, 70, 80, 90]
HELD = {Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED}
# A busy hosted form would otherwise queue a refresh per answer: one per sector a minute.
DEBOUNCE_SECONDS = 60
BATCH_SIZE = 2000

SCORE_COLUMNS = [
    "organisation",
    "survey",
    "sector",
    "region",
    "legal_form",
    "year",
    "measure",
    "count",
    "mean",
    "sd",
    "satisfied",
    "score",
    "holder",
]


# The refresh ---------------------------------------------------------------------------


def benchmarks_refresh(
    *, trigger: str, sector: Sector | None = None, today: datetime.date | None = None
) -> Refresh:
    """Work out the organisations' scores and the sector figures again, for one sector
    or all, then the dashboards' heavier figures. The run is recorded as a `Refresh`;
    a failure is written on it and raised again."""
    today = today or timezone.localdate()
    refresh = Refresh.objects.create(trigger=trigger, sector=sector)
    try:
        now = timezone.now()
        sectors = [sector] if sector is not None else list(Sector.objects.all())
        scores = organisation_scores(sector=sector, today=today)
        by_sector = dict(tuple(scores.groupby("sector"))) if len(scores) else {}
        for each in sectors:
            _sector_replace(each, by_sector.get(each.pk, scores.iloc[0:0]), now)
        if sector is None:
            # Scores of organisations that no longer belong to any sector.
            OrganisationScore.objects.filter(organisation__sector__isnull=True).delete()
        for each in sectors:
            dashboard_figures_refresh(sector=each, now=now)
        dashboard_figures_refresh(sector=None, now=now)
    except Exception:
        Refresh.objects.filter(pk=refresh.pk).update(
            finished_at=timezone.now(), failure=traceback.format_exc()
        )
        raise
    refresh.finished_at = timezone.now()
    refresh.save(update_fields=["finished_at"])
    return refresh


def benchmarks_refresh_soon(*, sector_id: int | None, trigger: str, debounce: bool = False) -> None:
    """Queue a refresh of one sector once the current transaction commits. With
    `debounce`, changes within a minute share one refresh, run when the minute is up so
    that it takes them all in."""
    if sector_id is None:
        return

    def queue() -> None:
        from .tasks import refresh_sector_benchmarks

        try:
            if not debounce:
                refresh_sector_benchmarks.delay(sector_id, trigger)
            # The key lapses a little before the refresh reads, so a change after it is
            # never left out: it queues the next refresh.
            elif cache.add(f"benchmarks-refresh-soon:{sector_id}", trigger, DEBOUNCE_SECONDS - 5):
                refresh_sector_benchmarks.apply_async(
                    (sector_id, trigger), countdown=DEBOUNCE_SECONDS
                )
        except Exception:
            # What triggered it is stored by now and must not fail; the nightly run catches up.
            logger.exception("The benchmark refresh of sector %s failed.", sector_id)

    transaction.on_commit(queue)


def organisation_scores(*, sector: Sector | None, today: datetime.date) -> pd.DataFrame:
    """One row per organisation, year and measure (the columns of `SCORE_COLUMNS`), from
    the organisation's latest survey of the year that meets the method."""
    surveys = _latest_surveys(sector, today)
    rows = [
        (row.organisation, row.survey, row.year, measure, figures)
        for row in surveys.itertuples(index=False)
        for measure in Measure.values
        if (figures := row.summary.get(measure)) and figures.get("count")
    ]
    if not rows:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    scores = pd.DataFrame(
        {
            "organisation": [row[0] for row in rows],
            "survey": [row[1] for row in rows],
            "year": [row[2] for row in rows],
            "measure": [row[3] for row in rows],
            "count": [row[4]["count"] for row in rows],
            "mean": [float(row[4]["mean"]) for row in rows],
            "sd": [float(row[4].get("sd") or 0.0) for row in rows],
            "satisfied": [row[4].get("satisfied", 0) for row in rows],
        }
    )
    scores["score"] = (scores["mean"] - 1) * 25
    organisations = surveys.drop_duplicates("organisation").set_index("organisation")
    for column in ("sector", "region", "legal_form"):
        scores[column] = scores["organisation"].map(organisations[column])
    held = _holders(sorted(scores["year"].unique()), sector, today)
    keys = pd.MultiIndex.from_frame(scores[["organisation", "year"]])
    scores["holder"] = keys.isin(list(held)) if held else False
    return scores[SCORE_COLUMNS]


def _latest_surveys(sector: Sector | None, today: datetime.date) -> pd.DataFrame:
    surveys = (
        Survey.objects.filter(
            method_meets=True,
            organisation__kind=Organisation.Kind.APPLICANT,
            organisation__sector__isnull=False,
        )
        .annotate(ended=Coalesce("fieldwork_end", "period_end"))
        .filter(ended__lte=today)
    )
    if sector is not None:
        surveys = surveys.filter(organisation__sector=sector)
    columns = ["survey", "organisation", "sector", "region", "legal_form", "parent", "ended"]
    rows = surveys.values_list(
        "pk",
        "organisation_id",
        "organisation__sector_id",
        "organisation__region",
        "organisation__legal_form",
        "organisation__parent_id",
        "ended",
        "summary",
    )
    frame = pd.DataFrame.from_records(rows.iterator(chunk_size=5000), columns=[*columns, "summary"])
    if frame.empty:
        return frame.assign(year=pd.Series(dtype=int))
    frame["year"] = [ended.year for ended in frame["ended"]]
    # The latest survey of each organisation's year; of two ending the same day, the later one.
    frame = frame.sort_values(["ended", "survey"])
    return frame.drop_duplicates(["organisation", "year"], keep="last")


def _holders(years: list[int], sector: Sector | None, today: datetime.date) -> set[tuple[int, int]]:
    """(organisation, year) of the organisations covered by a certificate that was active
    or suspended at the end of the year (today, for this year). A certificate covers its
    holder and the units it names, or all the holder's units when it names none."""
    certificates = Certificate.objects.all()
    if sector is not None:
        certificates = certificates.filter(
            Q(holder__sector=sector) | Q(units__sector=sector) | Q(holder__units__sector=sector)
        ).distinct()
    events = pd.DataFrame.from_records(
        CertificateEvent.objects.filter(certificate__in=certificates.values("pk"))
        .order_by("happened_on", "pk")
        .values_list("certificate_id", "happened_on", "status_after")
        .iterator(chunk_size=5000),
        columns=["certificate", "happened_on", "status"],
    )
    if events.empty:
        return set()
    covers = certificate_coverage(certificates)
    held: set[tuple[int, int]] = set()
    for year in years:
        end = min(datetime.date(int(year), 12, 31), today)
        status = events[events["happened_on"] <= end].groupby("certificate")["status"].last()
        for certificate in status[status.isin(HELD)].index:
            held.update((organisation, int(year)) for organisation in covers.get(certificate, ()))
    return held


@transaction.atomic
def _sector_replace(sector: Sector, scores: pd.DataFrame, now: datetime.datetime) -> None:
    # Two refreshes of one sector at once would each delete, then both insert.
    Sector.objects.select_for_update().filter(pk=sector.pk).first()
    OrganisationScore.objects.filter(Q(sector=sector) | Q(organisation__sector=sector)).delete()
    _insert_scores(scores)
    SectorFigure.objects.filter(sector=sector).delete()
    _bulk_create(SectorFigure, _figure_rows(sector, scores, now))


def _bulk_create(model: type[SectorFigure], objects: Iterable[SectorFigure]) -> None:
    batch: list[SectorFigure] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) == BATCH_SIZE:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def _insert_scores(scores: pd.DataFrame) -> None:
    """A sector's scores are many thousands of rows: COPY on PostgreSQL, one prepared
    INSERT elsewhere, rather than a model instance each."""
    if scores.empty:
        return
    meta = OrganisationScore._meta
    table = connection.ops.quote_name(meta.db_table)
    names = ", ".join(
        # get_field may give a reverse relation (no column); these are the table's own.
        connection.ops.quote_name(meta.get_field(name).column)  # type: ignore[union-attr, arg-type]
        for name in SCORE_COLUMNS
    )
    rows = scores[SCORE_COLUMNS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY bypasses Django's cursor wrapper: its errors are wrapped here instead.
            # Strings are quoted, so that a blank region stays blank rather than NULL.
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy,
            ):
                copy.write(rows.to_csv(index=False, header=False, quoting=csv.QUOTE_NONNUMERIC))
            return
        placeholders = ", ".join(["%s"] * len(SCORE_COLUMNS))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})",
            rows.itertuples(index=False, name=None),
        )


# Sector figures ------------------------------------------------------------------------


def _figure_rows(
    sector: Sector, scores: pd.DataFrame, now: datetime.datetime
) -> Iterator[SectorFigure]:
    minimum = minimum_organisations()
    if scores.empty:
        return
    scores = scores.assign(share=scores["satisfied"] / scores["count"])
    cell = ["year", "measure"]
    whole = _distributions(scores, cell)
    whole["suppressed"] = whole["organisations"] < minimum
    for key, row in whole.iterrows():
        yield _figure(sector, dict(zip(cell, key, strict=True)), row, now)
    for column in ("region", "legal_form"):
        listed = scores[scores[column] != ""]
        if listed.empty:
            continue
        parts = _distributions(listed, [*cell, column])
        unlisted = scores[scores[column] == ""].groupby(cell).size()
        parts["suppressed"] = _partition_suppressed(parts, unlisted, minimum)
        for key, row in parts.iterrows():
            yield _figure(sector, dict(zip([*cell, column], key, strict=True)), row, now)
    yield from _peer_group_rows(sector, scores, whole, now, minimum)


def _distributions(scores: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of `keys`: how many organisations, their responses, the mean and spread
    of their 0-100 scores, the percentiles, and their mean share satisfied."""
    grouped = scores.groupby(keys)
    figures = grouped.agg(
        organisations=("score", "size"),
        responses=("count", "sum"),
        mean=("score", "mean"),
        sd=("score", "std"),
        share_satisfied=("share", "mean"),
    )
    percentiles = grouped["score"].quantile([p / 100 for p in PERCENTILES]).unstack()
    percentiles.columns = [f"p{p}" for p in PERCENTILES]
    return figures.join(percentiles)


def _partition_suppressed(parts: pd.DataFrame, unlisted: pd.Series, minimum: int) -> pd.Series:
    """Suppression of cells that split the sector (by region, by legal form): besides
    cells below the minimum, the smallest others go too until what is hidden holds no
    organisation or at least the minimum, so that the sector's figure minus the shown
    cells gives nobody away. Organisations with no value count as hidden."""
    suppressed = parts["organisations"] < minimum
    if parts.empty:
        return suppressed
    for cell, counts in parts["organisations"].groupby(level=[0, 1]):
        hidden = int(unlisted.get(cell, 0)) + int(counts[suppressed[counts.index]].sum())
        for key in counts.sort_values().index:
            if hidden == 0 or hidden >= minimum:
                break
            if not suppressed[key]:
                suppressed[key] = True
                hidden += int(counts[key])
    return suppressed


def _peer_group_rows(
    sector: Sector,
    scores: pd.DataFrame,
    whole: pd.DataFrame,
    now: datetime.datetime,
    minimum: int,
) -> Iterator[SectorFigure]:
    """A row per peer group of the sector for every year and measure the sector has,
    suppressed where `_peer_groups_suppressed` says."""
    groups = list(PeerGroup.objects.filter(sector=sector).values_list("pk", flat=True))
    if not groups:
        return
    members = pd.DataFrame.from_records(
        PeerGroupMember.objects.filter(peer_group__sector=sector).values_list(
            "peer_group_id", "organisation_id"
        ),
        columns=["peer_group", "organisation"],
    )
    in_groups = scores.merge(members, on="organisation")
    cell = ["year", "measure"]
    figures = _distributions(in_groups, [*cell, "peer_group"]) if len(in_groups) else None
    member_sets = (
        in_groups.groupby([*cell, "peer_group"])["organisation"].agg(frozenset)
        if len(in_groups)
        else pd.Series(dtype=object)
    )
    sector_sets = scores.groupby(cell)["organisation"].agg(frozenset)
    for year, measure in whole.index:
        sets = {group: member_sets.get((year, measure, group), frozenset()) for group in groups}
        hidden = _peer_groups_suppressed(sets, sector_sets[(year, measure)], minimum)
        for group in groups:
            where = {"year": year, "measure": measure, "peer_group_id": group}
            if figures is not None and (year, measure, group) in figures.index:
                row = figures.loc[(year, measure, group)].to_dict()
            else:
                row = {"organisations": 0}
            row["suppressed"] = group in hidden
            yield _figure(sector, where, row, now)


def _peer_groups_suppressed(sets: dict, sector: frozenset, minimum: int) -> set:
    """The peer groups to hide among `sets` (each group's contributing organisations).

    Each organisation of the sector falls in one "atom": the set of shown groups it
    belongs to. Adding and subtracting shown figures (the sector's, the groups') singles
    out unions of atoms and nothing finer, so a figure is safe when every atom holds no
    organisation or at least the minimum. Groups below the minimum are hidden; then, while
    an atom is too small, the smallest group whose hiding merges it with a neighbour goes.
    This covers a group almost as big as its sector, nested groups that differ by few,
    and groups that together leave few of the sector out."""
    shown = {group for group, members in sets.items() if len(members) >= minimum}
    while shown:
        atoms = Counter(frozenset(g for g in shown if o in sets[g]) for o in sector)
        small = next((atom for atom, count in atoms.items() if count < minimum), None)
        if small is None:
            break
        merging = [group for group in shown if atoms.get(small ^ {group})] or list(shown)
        shown.remove(min(merging, key=lambda group: (len(sets[group]), group)))
    return set(sets) - shown


def _figure(
    sector: Sector, where: dict[str, Any], row: Any, now: datetime.datetime
) -> SectorFigure:
    """A row of figures (a Series or dict of `_distributions`' columns and `suppressed`)."""
    figure = SectorFigure(
        sector=sector,
        organisations=int(row["organisations"]),
        suppressed=bool(row["suppressed"]),
        computed_at=now,
        **{key: _plain(value) for key, value in where.items()},
    )
    if not figure.suppressed:
        figure.responses = int(row["responses"])
        figure.mean = float(row["mean"])
        figure.sd = None if np.isnan(row["sd"]) else float(row["sd"])
        figure.deciles = [float(row[f"p{p}"]) for p in DECILES]
        figure.lower_quartile = float(row["p25"])
        figure.median = float(row["p50"])
        figure.upper_quartile = float(row["p75"])
        figure.share_satisfied = float(row["share_satisfied"])
    return figure


def _plain(value: Any) -> Any:
    """numpy's scalars are not database parameters."""
    return value.item() if isinstance(value, np.generic) else value


# Peer groups ---------------------------------------------------------------------------


def can_manage_peer_groups(membership: Membership | None) -> bool:
    return membership is not None and membership.is_scheme and membership.role == Role.SCHEME_ADMIN


def can_join_peer_groups(membership: Membership | None) -> TypeGuard[Membership]:
    return (
        membership is not None
        and membership.role == Role.APPLICANT_ADMIN
        and membership.organisation.kind == Organisation.Kind.APPLICANT
    )


def _require_manager(membership: Membership | None) -> None:
    if not can_manage_peer_groups(membership):
        raise PermissionDenied(_("Only scheme administrators set up peer groups."))


def peer_group_check(peer_group: PeerGroup) -> None:
    """A group's name is new in its sector, whatever its capitals; raises ValidationError."""
    peer_group.name = peer_group.name.strip()
    peer_group.description = peer_group.description.strip()
    taken = PeerGroup.objects.filter(sector=peer_group.sector, name__iexact=peer_group.name)
    if peer_group.pk:
        taken = taken.exclude(pk=peer_group.pk)
    if peer_group.name and taken.exists():
        raise ValidationError({"name": _("This sector already has a peer group with that name.")})
    peer_group.full_clean()


@transaction.atomic
def peer_group_create(
    *, membership: Membership, sector: Sector, name: str, description: str = ""
) -> PeerGroup:
    _require_manager(membership)
    peer_group = PeerGroup(sector=sector, name=name, description=description)
    peer_group_check(peer_group)
    peer_group.save()
    return peer_group


@transaction.atomic
def peer_group_update(
    *, membership: Membership, peer_group: PeerGroup, name: str, description: str = ""
) -> PeerGroup:
    """Rename a peer group or say again which services it is for; its sector stays."""
    _require_manager(membership)
    peer_group.name, peer_group.description = name, description
    peer_group_check(peer_group)
    peer_group.save(update_fields=["name", "description"])
    return peer_group


def _require_joiner(membership: Membership | None, peer_group: PeerGroup) -> Organisation:
    if not can_join_peer_groups(membership):
        raise PermissionDenied(_("Only your organisation's administrators choose its peer groups."))
    organisation = membership.organisation
    if organisation.sector_id != peer_group.sector_id:
        raise PermissionDenied(_("You can only join the peer groups of your own sector."))
    return organisation


@transaction.atomic
def peer_group_join(*, membership: Membership, peer_group: PeerGroup) -> PeerGroupMember:
    """Opt the membership's organisation into a peer group of its sector. Its figures
    count in the group's from the next refresh."""
    organisation = _require_joiner(membership, peer_group)
    if PeerGroupMember.objects.filter(peer_group=peer_group, organisation=organisation).exists():
        raise ValidationError(_("Your organisation is already in this peer group."))
    return PeerGroupMember.objects.create(
        peer_group=peer_group, organisation=organisation, joined_by=membership.user
    )


@transaction.atomic
def peer_group_leave(*, membership: Membership, peer_group: PeerGroup) -> None:
    organisation = _require_joiner(membership, peer_group)
    deleted, _rows = PeerGroupMember.objects.filter(
        peer_group=peer_group, organisation=organisation
    ).delete()
    if not deleted:
        raise ValidationError(_("Your organisation is not in this peer group."))
