"""Regulators' reliance: what a regulator reads of the organisations of its sector that
consented, so that an inspection can rely on it. Per organisation: its certificate and
status, the latest decided assessment's findings by criterion (with the standard's pass
rule), the open actions, and the latest survey that meets the method with its driver
scores. And the CSV of all of it.

A selector module: it only reads, and every read goes through `visible_to` or the
policy's `relied_on_organisations`, so nothing shows of an organisation that has not
consented or has withdrawn its consent, and of one that has, only what `reliance_scope`
lets a regulator read (the latest decided assessment, the latest survey that meets the
method, ...). `profiles` reads a page of organisations in a fixed number of queries,
however many there are.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from assessments.levels import criterion_result
from assessments.models import RatingValue
from common.csvsafe import neutralise
from organisations.models import Membership, Organisation
from organisations.policy import relied_on_organisations
from standard.models import Criterion, Element, Level
from standard.scales import GAPS
from surveys import analysis
from surveys.models import OVERALL, Survey

from .models import Certificate, Decision, Engagement, Finding, FindingAction

# Organisations read together for the CSV: a few queries per chunk, whatever the sector.
CSV_CHUNK = 50


# What is read -------------------------------------------------------------------------


@dataclass
class CriterionOutcome:
    """One criterion in an engagement: its findings counted by rating and the pass rule
    applied to the elements the engagement assessed (`met` is None when it assessed
    none: an annual review looks at a sample)."""

    criterion: Criterion
    assessed: int
    total: int
    counts: dict[str, int]
    met: bool | None
    gaps: list[str] = field(default_factory=list)
    open_actions: int = 0

    @property
    def rating_counts(self) -> list[tuple[str, int]]:
        return [(str(label), self.counts.get(value, 0)) for value, label in RatingValue.choices]

    @property
    def met_label(self) -> str:
        if self.met is None:
            return _("Not assessed")
        return _("Met") if self.met else _("Not met")


@dataclass
class SurveyOutcome:
    """The latest survey that meets the method, with its scores; nothing about fewer
    responses than the publication minimum. Scores are worked out when first read
    (the list shows only overall satisfaction) and kept in the cache until the
    survey's responses or population change."""

    survey: Survey
    minimum: int
    response_count: int

    @property
    def published(self) -> bool:
        return self.response_count >= self.minimum

    def _summary(self) -> dict:
        return (self.survey.summary or {}) if self.published else {}

    @cached_property
    def scores(self) -> list[dict]:
        survey = self.survey
        language = translation.get_language() or settings.LANGUAGE_CODE
        key = (
            f"reliance-scores:{survey.pk}:{survey.data_version}:{survey.population}:"
            f"{self.minimum}:{language}"
        )
        scores = cache.get(key)
        if scores is None:
            scores = analysis.driver_scores(
                self._summary(), minimum=self.minimum, population=self.survey.population
            )
            cache.set(key, scores, analysis.CACHE_SECONDS)
        return scores

    @cached_property
    def overall(self) -> dict:
        if "scores" in self.__dict__:
            return self.scores[0]
        return analysis.score_entry(
            OVERALL,
            self._summary().get(OVERALL),
            minimum=self.minimum,
            population=self.survey.population,
        )


@dataclass
class RelianceProfile:
    organisation: Organisation
    certificate: Certificate | None = None
    decision: Decision | None = None
    engagement: Engagement | None = None
    criteria: list[CriterionOutcome] = field(default_factory=list)
    actions: list[FindingAction] = field(default_factory=list)
    survey: SurveyOutcome | None = None

    @property
    def criteria_assessed(self) -> int:
        return sum(1 for c in self.criteria if c.met is not None)

    @property
    def criteria_met(self) -> int:
        return sum(1 for c in self.criteria if c.met)

    @property
    def overdue_actions(self) -> int:
        return sum(1 for a in self.actions if a.is_overdue)


# Reading ------------------------------------------------------------------------------


def relied_on(membership: Membership | None, *, name: str = ""):
    """The organisations this regulator may rely on, by name; `name` filters."""
    organisations = relied_on_organisations(membership).select_related("sector")
    if name:
        organisations = organisations.filter(name__icontains=name)
    return organisations.order_by("name", "pk")


def profiles(membership: Membership, organisations: Iterable[Organisation]) -> list:
    """A `RelianceProfile` per organisation, in the order given. Only organisations
    the membership relies on have anything in them."""
    organisations = list(organisations)
    ids = [o.pk for o in organisations]
    found = {o.pk: RelianceProfile(o) for o in organisations}
    for certificate in _latest_per(
        Certificate.objects.visible_to(membership)
        .filter(holder__in=ids)
        .select_related("certification_body", "standard")
        .order_by("holder", "-issue_date", "-pk"),
        "holder_id",
    ):
        found[certificate.holder_id].certificate = certificate
    for decision in _latest_per(
        Decision.objects.visible_to(membership)
        .filter(holder__in=ids)
        .order_by("holder", "-decided_at", "-pk"),
        "holder_id",
    ):
        found[decision.holder_id].decision = decision
    # A regulator sees one engagement per organisation: its latest decided one.
    engagements = list(
        Engagement.objects.visible_to(membership)
        .filter(application__applicant__in=ids)
        .select_related("application", "standard")
    )
    actions = _open_actions(membership, ids)
    for profile in found.values():
        profile.actions = actions.get(profile.organisation.pk, [])
    outcomes = _outcomes(membership, engagements, actions)
    for engagement in engagements:
        profile = found[engagement.application.applicant_id]
        profile.engagement = engagement
        profile.criteria = outcomes[engagement.pk]
    for outcome in _surveys(membership, ids):
        found[outcome.survey.organisation_id].survey = outcome
    return [found[pk] for pk in ids]


def _latest_per(queryset, key: str) -> list:
    """The first row of each owner in a queryset ordered by owner, newest first."""
    seen, latest = set(), []
    for row in queryset:
        owner = row
        for part in key.split("."):
            owner = getattr(owner, part)
        if owner not in seen:
            seen.add(owner)
            latest.append(row)
    return latest


def _open_actions(membership: Membership, ids: list[int]) -> dict[int, list]:
    """Actions not yet closed, from decided assessments (what a regulator sees of
    actions), by holder."""
    by_holder: dict[int, list] = {}
    for action in (
        FindingAction.objects.visible_to(membership)
        .filter(finding__engagement__application__applicant__in=ids)
        .select_related("finding__element__criterion", "finding__engagement__application")
        .order_by("due_date", "pk")
    ):
        holder = action.finding.engagement.application.applicant_id
        by_holder.setdefault(holder, []).append(action)
    return by_holder


class ElementRow(NamedTuple):
    pk: int
    code: str


class AssessedElements:
    """A criterion narrowed to the elements an engagement assessed, shaped as
    `levels.criterion_result` reads one (`criterion.elements.all()`, each with a
    `code`), so that the standard's own pass rule judges exactly those."""

    def __init__(self, elements: list[ElementRow]):
        self._elements = elements

    @property
    def elements(self):
        return self

    def all(self) -> list[ElementRow]:
        return self._elements


def standard_criteria(standard) -> list[tuple[Criterion, list[ElementRow]]]:
    """The standard's criteria, in order, each with its elements as plain rows (many
    organisations' findings are matched against them), read once."""
    criteria = Criterion.objects.filter(standard=standard).order_by("number")
    elements: dict[int, list[ElementRow]] = {c.pk: [] for c in criteria}
    for criterion_id, pk, code in (
        Element.objects.filter(criterion__standard=standard)
        .order_by("position")
        .values_list("criterion_id", "pk", "code")
    ):
        elements[criterion_id].append(ElementRow(pk, code))
    return [(criterion, elements[criterion.pk]) for criterion in criteria]


def criterion_outcomes(
    standard, findings, open_actions=(), *, criteria: list | None = None
) -> list:
    """Each criterion of `standard` with the findings given (anything with `element_id`
    and `rating`: findings or rows of them) counted by rating, and whether the elements
    assessed meet the pass rule (no element non-compliant, and the standard's share
    compliant or better). `criteria` are `standard_criteria`, passed in when several
    engagements share a standard."""
    by_element = {f.element_id: f.rating for f in findings if f.rating}
    actions_by_criterion: dict[int, int] = {}
    for action in open_actions:
        number = action.finding.element.criterion.number
        actions_by_criterion[number] = actions_by_criterion.get(number, 0) + 1
    outcomes = []
    for criterion, elements in criteria if criteria is not None else standard_criteria(standard):
        assessed = [e for e in elements if e.pk in by_element]
        ratings = {e: by_element[e.pk] for e in assessed}
        counts = {value: 0 for value in RatingValue.values}
        for rating in ratings.values():
            counts[rating] += 1
        met = None
        if assessed:
            result = criterion_result(AssessedElements(assessed), ratings, standard)
            met = result.level != Level.DEVELOPING
        outcomes.append(
            CriterionOutcome(
                criterion=criterion,
                assessed=len(assessed),
                total=len(elements),
                counts=counts,
                met=met,
                gaps=[e.code for e in assessed if ratings[e] in GAPS],
                open_actions=actions_by_criterion.get(criterion.number, 0),
            )
        )
    return outcomes


def _outcomes(membership: Membership, engagements: list, actions: dict) -> dict:
    findings: dict[int, list] = {e.pk: [] for e in engagements}
    # Plain rows, not model instances: a page of organisations holds thousands of findings.
    for finding in (
        Finding.objects.visible_to(membership)
        .filter(engagement__in=list(findings))
        .values_list("engagement_id", "element_id", "rating", named=True)
    ):
        findings[finding.engagement_id].append(finding)
    criteria: dict[int, list] = {}
    outcomes = {}
    for engagement in engagements:
        if engagement.standard_id not in criteria:
            criteria[engagement.standard_id] = standard_criteria(engagement.standard)
        outcomes[engagement.pk] = criterion_outcomes(
            engagement.standard,
            findings[engagement.pk],
            actions.get(engagement.application.applicant_id, []),
            criteria=criteria[engagement.standard_id],
        )
    return outcomes


def _surveys(membership: Membership, ids: list[int]) -> list[SurveyOutcome]:
    """Each organisation's latest survey that meets the scheme's method (the one a
    regulator sees), scored from its stored summary; every figure about fewer responses
    than the publication minimum is suppressed."""
    latest = (
        Survey.objects.visible_to(membership)
        .filter(organisation__in=ids)
        .select_related("standard")
    )
    return [
        SurveyOutcome(
            survey, analysis.min_group_size(survey), (survey.summary or {}).get("total", 0)
        )
        for survey in latest
    ]


# The CSV ------------------------------------------------------------------------------


class _Line:
    """A file-like object whose write returns the line, for `csv.writer`."""

    def write(self, text: str) -> str:
        return text


def csv_header() -> list[str]:
    return [
        _("Organisation"),
        _("Sector"),
        _("Certificate number"),
        _("Certificate status"),
        _("Certification body"),
        _("First issued"),
        _("Issued"),
        _("Next review due"),
        _("Latest decision"),
        _("Decided on"),
        _("Assessment relied on"),
        _("Reported on"),
        _("Topic"),
        _("Criterion or driver"),
        _("Elements assessed"),
        _("Elements in the criterion"),
        *[str(label) for label in RatingValue.labels],
        _("Pass rule"),
        _("Elements with gaps"),
        _("Open actions"),
        _("Survey"),
        _("Fieldwork ended"),
        _("Responses"),
        _("Score (0 to 100)"),
        _("Satisfied (%)"),
        _("Satisfied, 95% interval from (%)"),
        _("Satisfied, 95% interval to (%)"),
        _("Note"),
    ]


def _date(value) -> str:
    return value.isoformat() if value else ""


def _number(value, places: int = 1) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _organisation_cells(profile: RelianceProfile) -> list:
    organisation, certificate = profile.organisation, profile.certificate
    decision, engagement = profile.decision, profile.engagement
    return [
        organisation.name,
        organisation.sector.name if organisation.sector else "",
        certificate.number if certificate else "",
        certificate.get_status_display() if certificate else _("No certificate"),
        certificate.certification_body.name if certificate else "",
        _date(certificate.original_issue_date) if certificate else "",
        _date(certificate.issue_date) if certificate else "",
        _date(certificate.next_review_due) if certificate else "",
        decision.get_kind_display() if decision else "",
        _date(timezone.localtime(decision.decided_at).date()) if decision else "",
        engagement.get_kind_display() if engagement else "",
        _date(timezone.localtime(engagement.reported_at).date())
        if engagement and engagement.reported_at
        else "",
    ]


def _criterion_cells(outcome: CriterionOutcome, actions: list) -> list:
    number = outcome.criterion.number
    own = [a for a in actions if a.finding.element.criterion.number == number]
    return [
        _("Criterion"),
        f"{number}. {outcome.criterion.title}",
        outcome.assessed,
        outcome.total,
        *[outcome.counts.get(value, 0) for value in RatingValue.values],
        outcome.met_label,
        ", ".join(outcome.gaps),
        "\n".join(
            _("%(code)s: due %(date)s, %(status)s")
            % {
                "code": a.finding.element.code,
                "date": _date(a.due_date),
                "status": a.get_status_display(),
            }
            for a in own
        ),
    ]


def _score_cells(outcome: SurveyOutcome, entry: dict) -> list:
    survey = outcome.survey
    suppressed = entry["suppressed"]
    return [
        survey.title,
        _date(survey.fieldwork_end or survey.period_end),
        outcome.response_count,
        "" if suppressed else _number(entry["score_100"]),
        "" if suppressed else _number(entry["satisfied_pct"]),
        "" if suppressed else _number(entry["satisfied_pct_low"]),
        "" if suppressed else _number(entry["satisfied_pct_high"]),
        entry.get("message", ""),
    ]


CRITERION_WIDTH = 7 + len(RatingValue.values)
SURVEY_WIDTH = 8


def profile_rows(profile: RelianceProfile) -> Iterator[list]:
    """One row per criterion and one per survey score (overall and each driver), each
    starting with the organisation's certificate and latest decision; one row of those
    alone when there is neither."""
    head = _organisation_cells(profile)
    wrote = False
    for outcome in profile.criteria:
        yield [*head, *_criterion_cells(outcome, profile.actions), *[""] * SURVEY_WIDTH]
        wrote = True
    if profile.survey is not None:
        for entry in profile.survey.scores:
            topic = [_("Survey driver"), entry["label"]]
            blanks = [""] * (CRITERION_WIDTH - 2)
            yield [*head, *topic, *blanks, *_score_cells(profile.survey, entry)]
            wrote = True
    if not wrote:
        yield [*head, *[""] * (CRITERION_WIDTH + SURVEY_WIDTH)]


def reliance_csv(membership: Membership, organisations) -> Iterator[str]:
    """The CSV of everything the reliance pages show, for `organisations` (a queryset
    from `relied_on`), read a chunk at a time so that it streams. Cells a spreadsheet
    could run as a formula are neutralised; the first line starts with a byte order
    mark so that Excel reads UTF-8."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in csv_header()])
    ids = list(organisations.values_list("pk", flat=True))
    for start in range(0, len(ids), CSV_CHUNK):
        chunk = list(
            Organisation.objects.filter(pk__in=ids[start : start + CSV_CHUNK])
            .select_related("sector")
            .order_by("name", "pk")
        )
        for profile in profiles(membership, chunk):
            for row in profile_rows(profile):
                yield writer.writerow([neutralise(cell) for cell in row])
