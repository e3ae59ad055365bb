"""Every change to a survey's definition and method, and what follows a change of its
responses (summary, method check). Imports live in `imports.py`, the hosted form's
answers in `hosted.py`."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Aggregate, Avg, Count, F, Manager, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from scipy.stats import norm

from organisations.models import Membership, Organisation, Role
from organisations.policy import acts_for, may_act
from standard.models import Standard
from standard.selectors import current_standard

from .models import (
    ROBUST_SAMPLING,
    SATISFIED_FROM,
    SCORE_COLUMNS,
    Channel,
    GroupAttribute,
    Response,
    Survey,
    SurveyQuestion,
)
from .signals import survey_scores_changed

EDIT_ROLES = {Role.APPLICANT_ADMIN, Role.APPLICANT_EDITOR}
CONFIDENCE = 0.95

# Customer group attributes offered when a survey is set up; the organisation may
# change their answers or add its own. Stored in English, as here, and shown in the
# reader's language wherever the catalogue knows them (`shown`).
SUGGESTED_GROUPS = {
    "age_band": (
        gettext_noop("Age band"),
        ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", gettext_noop("75 or over")],
    ),
    "disability": (
        gettext_noop("Disability"),
        [gettext_noop("Yes"), gettext_noop("No"), gettext_noop("Prefer not to say")],
    ),
    "ethnicity": (
        gettext_noop("Ethnic group"),
        [
            gettext_noop("Asian"),
            gettext_noop("Black"),
            gettext_noop("Mixed"),
            gettext_noop("White"),
            gettext_noop("Other"),
            gettext_noop("Prefer not to say"),
        ],
    ),
    "first_language": (
        gettext_noop("First language"),
        [gettext_noop("English"), gettext_noop("Welsh"), gettext_noop("Other")],
    ),
}


def shown(text: str) -> str:
    """A group's name or answer in the reader's language where the catalogue has it
    (the suggested ones); an organisation's own words as they are."""
    return _(text) if text else text


def can_edit(membership: Membership | None, organisation: Organisation) -> bool:
    """Applicant administrators and editors change their organisation's surveys; a
    headquarters' also change their units'."""
    return may_act(membership, organisation, EDIT_ROLES)


def require_editor(membership: Membership | None, organisation: Organisation) -> None:
    if membership is None or membership.role not in EDIT_ROLES:
        raise PermissionDenied(_("Only administrators and editors can change surveys."))
    if not acts_for(membership, organisation):
        raise PermissionDenied(_("You can only work on your own organisation's surveys."))


@dataclass
class SurveyInput:
    title: str
    period_start: date
    period_end: date
    channels: list[str]
    sampling_approach: str
    mode: str
    includes_importance: bool = False
    population: int | None = None
    fieldwork_start: date | None = None
    fieldwork_end: date | None = None
    invited_count: int | None = None
    core_wording_confirmed: bool = False
    groups: list[str] = field(default_factory=list)


def _apply(survey: Survey, data: SurveyInput) -> None:
    for name in (
        "title",
        "period_start",
        "period_end",
        "sampling_approach",
        "mode",
        "includes_importance",
        "population",
        "fieldwork_start",
        "fieldwork_end",
        "invited_count",
        "core_wording_confirmed",
    ):
        setattr(survey, name, getattr(data, name))
    survey.channels = [c for c in Channel.values if c in data.channels]
    errors = {}
    if not survey.channels:
        errors["channels"] = _("Choose at least one channel the survey covers.")
    if data.period_end and data.period_start and data.period_end < data.period_start:
        errors["period_end"] = _("The end of the period must be on or after its start.")
    if data.fieldwork_start and data.fieldwork_end and data.fieldwork_end < data.fieldwork_start:
        errors["fieldwork_end"] = _("Fieldwork must end on or after the day it started.")
    if data.fieldwork_end and data.fieldwork_end > timezone.localdate():
        # Not an error: a survey is set up before fieldwork ends. The method check says so.
        pass
    if data.population and data.invited_count and data.invited_count > data.population:
        errors["invited_count"] = _("More customers were invited than there are in the population.")
    if errors:
        raise ValidationError(errors)
    survey.full_clean(exclude=["organisation", "standard", "created_by"])


@transaction.atomic
def survey_create(
    *,
    membership: Membership,
    data: SurveyInput,
    organisation: Organisation | None = None,
    standard: Standard | None = None,
) -> Survey:
    organisation = organisation or membership.organisation
    require_editor(membership, organisation)
    if organisation.kind != Organisation.Kind.APPLICANT:
        raise ValidationError(_("Only applicant organisations run customer surveys."))
    standard = standard or current_standard()
    if standard is None:
        raise ValidationError(_("There is no published version of the standard yet."))
    survey = Survey(organisation=organisation, standard=standard, created_by=membership.user)
    _apply(survey, data)
    survey.save()
    for position, code in enumerate(data.groups):
        if code in SUGGESTED_GROUPS:
            label, values = SUGGESTED_GROUPS[code]
            GroupAttribute.objects.create(
                survey=survey, code=code, label=label, values=values, position=position
            )
    survey_method_refresh(survey=survey)
    return survey


@transaction.atomic
def survey_update(*, membership: Membership, survey: Survey, data: SurveyInput) -> Survey:
    require_editor(membership, survey.organisation)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.response_count and data.includes_importance != survey.includes_importance:
        raise ValidationError(
            {
                "includes_importance": _(
                    "Responses are already stored, so the questions asked cannot change."
                )
            }
        )
    _apply(survey, data)
    # The population and the method change what the analysis says.
    survey.data_version += 1
    survey.save()
    survey_method_refresh(survey=survey)
    return survey


def _has_responses(survey: Survey) -> None:
    if survey.response_count:
        raise ValidationError(
            _("Responses are already stored, so the questions asked cannot change.")
        )


@transaction.atomic
def question_add(
    *, membership: Membership, survey: Survey, wording: str, kind: str
) -> SurveyQuestion:
    require_editor(membership, survey.organisation)
    _has_responses(survey)
    wording = wording.strip()
    if not wording:
        raise ValidationError({"wording": _("Enter the question.")})
    code = _unique_code(slugify(wording)[:30] or "question", survey.questions)
    question = SurveyQuestion(
        survey=survey, code=code, wording=wording, kind=kind, position=survey.questions.count()
    )
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def question_remove(*, membership: Membership, question: SurveyQuestion) -> None:
    require_editor(membership, question.survey.organisation)
    _has_responses(question.survey)
    question.delete()


def _unique_code(base: str, queryset: Manager[Any] | QuerySet[Any]) -> str:
    base = base.replace("-", "_")
    code, n = base, 2
    while queryset.filter(code=code).exists():
        code, n = f"{base}_{n}", n + 1
    return code


def parse_values(text: str) -> list[str]:
    values: list[str] = []
    for line in text.splitlines():
        value = line.strip()
        if value and value.casefold() not in {v.casefold() for v in values}:
            values.append(value)
    return values


@transaction.atomic
def group_add(
    *, membership: Membership, survey: Survey, label: str, values: list[str]
) -> GroupAttribute:
    require_editor(membership, survey.organisation)
    _has_responses(survey)
    label = label.strip()
    errors = {}
    if not label:
        errors["label"] = _("Enter the name of the customer group.")
    if len(values) < 2:
        errors["values"] = _("Enter at least two possible answers, one on each line.")
    if errors:
        raise ValidationError(errors)
    code = _unique_code(slugify(label)[:30] or "group", survey.groups)
    group = GroupAttribute(
        survey=survey, code=code, label=label, values=values, position=survey.groups.count()
    )
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def group_remove(*, membership: Membership, group: GroupAttribute) -> None:
    require_editor(membership, group.survey.organisation)
    _has_responses(group.survey)
    group.delete()


# The method check ---------------------------------------------------------------------


@dataclass
class MethodCheck:
    meets: bool
    reasons: list[dict]  # {"rule", "passed", "message"}


def margin_of_error(p: float, n: int, population: int | None = None) -> float:
    """Half-width of the 95% interval of a share, with the finite population correction."""
    if n <= 0:
        return float("inf")
    margin: float = norm.ppf(0.5 + CONFIDENCE / 2) * (p * (1 - p) / n) ** 0.5
    return margin * population_correction(n, population)


def population_correction(n: int, population: int | None) -> float:
    """The finite population correction of a standard error; 1 where N is unknown."""
    if population and population > 1 and n <= population:
        # n <= N, so the root is real (a float ** float is typed Any for negative bases).
        correction: float = ((population - n) / (population - 1)) ** 0.5
        return correction
    return 1.0


def responses_needed(max_margin: float, population: int | None, p: float = 0.5) -> int:
    """The fewest responses for which a share of `p` has at most `max_margin`."""
    z: float = norm.ppf(0.5 + CONFIDENCE / 2)
    n0 = z * z * p * (1 - p) / (max_margin * max_margin)
    if population:
        n0 = n0 / (1 + (n0 - 1) / population)
    return int(-(-n0 // 1))


def method_check(survey: Survey, today: date | None = None) -> MethodCheck:
    """The scheme's method rules, each with whether the survey passes and why."""
    today = today or timezone.localdate()
    standard = survey.standard
    max_margin = float(standard.survey_max_margin_points) / 100
    reasons = []

    def rule(name: str, passed: object, message: object) -> None:
        reasons.append({"rule": name, "passed": bool(passed), "message": str(message)})

    rule(
        "core_questions",
        survey.core_wording_confirmed,
        _("The core questions were asked in the standard's wording and on its scale.")
        if survey.core_wording_confirmed
        else _("Confirm that the core questions were asked in the standard's wording and scale."),
    )
    months = standard.survey_fieldwork_max_months
    if not survey.fieldwork_end:
        rule("fieldwork", False, _("Record when fieldwork ended."))
    elif survey.fieldwork_end > today:
        rule("fieldwork", False, _("Fieldwork has not ended yet."))
    elif survey.fieldwork_end < today - relativedelta(months=months):
        rule(
            "fieldwork",
            False,
            _("Fieldwork ended more than %(months)s months ago.") % {"months": months},
        )
    else:
        rule(
            "fieldwork",
            True,
            _("Fieldwork ended within the last %(months)s months.") % {"months": months},
        )
    if survey.invited_count:
        rate = survey.response_count / survey.invited_count
        rule(
            "response_rate",
            True,
            _("Response rate recorded: %(rate)s%% of %(invited)s invited.")
            % {"rate": f"{rate * 100:.1f}", "invited": f"{survey.invited_count:,}"},
        )
    else:
        rule("response_rate", False, _("Record how many customers were invited."))
    robust = survey.sampling_approach in ROBUST_SAMPLING
    rule(
        "sampling",
        robust,
        _("Every customer had a known chance of being asked.")
        if robust
        else _("A quota or self-selected sample cannot show the views of all customers."),
    )
    overall = survey.summary.get("overall", {})
    n = overall.get("count", 0)
    needed = responses_needed(max_margin, survey.population)
    if n:
        margin = margin_of_error(overall["satisfied"] / n, n, survey.population)
        passed = margin <= max_margin + 1e-9
        message = _(
            "Overall satisfaction has a margin of error of ±%(margin)s points from "
            "%(n)s responses (at most ±%(max)s allowed; about %(needed)s responses are "
            "enough whatever the result)."
        ) % {
            "margin": f"{margin * 100:.1f}",
            "n": f"{n:,}",
            "max": f"{max_margin * 100:g}",
            "needed": f"{needed:,}",
        }
        rule("margin", passed, message)
    else:
        rule(
            "margin",
            False,
            _("No responses yet: about %(needed)s are needed for a margin of ±%(max)s points.")
            % {"needed": f"{needed:,}", "max": f"{max_margin * 100:g}"},
        )
    return MethodCheck(meets=all(r["passed"] for r in reasons), reasons=reasons)


def survey_method_refresh(*, survey: Survey) -> MethodCheck:
    check = method_check(survey)
    Survey.objects.filter(pk=survey.pk).update(
        method_meets=check.meets, method_checked_at=timezone.now()
    )
    survey.method_meets = check.meets
    return check


def survey_methods_refresh_all(*, today: date | None = None) -> int:
    """Check every survey's method again: fieldwork that ended more than the allowed
    months ago stops meeting it with the passing of time alone. Returns how many changed."""
    changed = 0
    surveys = Survey.objects.select_related("standard").only(
        "pk",
        "method_meets",
        "summary",
        "population",
        "fieldwork_end",
        "invited_count",
        "response_count",
        "sampling_approach",
        "core_wording_confirmed",
        "standard",
    )
    for survey in surveys.iterator(chunk_size=2000):
        meets = method_check(survey, today=today).meets
        if meets != survey.method_meets:
            Survey.objects.filter(pk=survey.pk).update(
                method_meets=meets, method_checked_at=timezone.now()
            )
            changed += 1
    return changed


# What follows any change of responses -------------------------------------------------


def score_aggregates(columns: Sequence[str] = SCORE_COLUMNS) -> dict[str, Aggregate]:
    """Count, mean, mean of squares and number satisfied of each column, as aggregates
    for `aggregate()` or a grouped `annotate()`. Means of squares rather than StdDev:
    SQLite's fails the whole query when any column has fewer than two values."""
    aggregates: dict[str, Aggregate] = {"total": Count("pk")}
    for column in columns:
        aggregates[f"{column}__count"] = Count(column)
        aggregates[f"{column}__mean"] = Avg(column)
        aggregates[f"{column}__mean_square"] = Avg(F(column) * F(column))
        aggregates[f"{column}__satisfied"] = Count(
            "pk", filter=Q(**{f"{column}__gte": SATISFIED_FROM})
        )
    return aggregates


def summary_of_row(row: dict[str, Any], columns: Sequence[str] = SCORE_COLUMNS) -> dict[str, Any]:
    """The figures of one row of `score_aggregates`; columns nobody answered are left out."""
    summary: dict[str, Any] = {"total": row["total"]}
    for column in columns:
        n = row[f"{column}__count"]
        if n:
            mean = float(row[f"{column}__mean"])
            variance = (
                (float(row[f"{column}__mean_square"]) - mean * mean) * n / (n - 1) if n > 1 else 0.0
            )
            summary[column] = {
                "count": n,
                "mean": mean,
                "sd": max(variance, 0.0) ** 0.5,
                "satisfied": row[f"{column}__satisfied"],
            }
    return summary


def score_summary(responses: QuerySet[Any]) -> dict[str, Any]:
    """The summary of every core column of `responses`, in one query."""
    return summary_of_row(responses.aggregate(**score_aggregates()))


def survey_responses_changed(*, survey: Survey) -> None:
    """Call in the same transaction as any change to a survey's responses: the summary,
    the count, the data version and the method check follow, then the sector's benchmarks."""
    was_counted = survey.method_meets
    summary = score_summary(Response.objects.filter(survey=survey))
    Survey.objects.filter(pk=survey.pk).update(
        summary=summary, response_count=summary["total"], data_version=F("data_version") + 1
    )
    survey.refresh_from_db(fields=["summary", "response_count", "data_version"])
    survey_method_refresh(survey=survey)
    survey_scores_changed.send(sender=Survey, survey=survey, was_counted=was_counted)


def survey_response_added(*, survey: Survey, response: Response) -> None:
    """Call in the same transaction as storing one response, with the survey locked
    (`select_for_update`): the summary takes the new answers in without reading the
    other responses again, so answering stays quick in a large survey."""
    was_counted = survey.method_meets
    summary = dict(survey.summary or {"total": 0})
    summary["total"] = summary.get("total", 0) + 1
    for column in SCORE_COLUMNS:
        value = getattr(response, column)
        if value is not None:
            summary[column] = _with_answer(summary.get(column), value)
    Survey.objects.filter(pk=survey.pk).update(
        summary=summary, response_count=F("response_count") + 1, data_version=F("data_version") + 1
    )
    survey.refresh_from_db(fields=["summary", "response_count", "data_version"])
    survey_method_refresh(survey=survey)
    survey_scores_changed.send(sender=Survey, survey=survey, was_counted=was_counted, debounce=True)


def _with_answer(figures: dict | None, value: int) -> dict:
    """A column's figures with one more answer: the count, sum and sum of squares behind
    the mean and standard deviation are brought forward and put back."""
    n = figures["count"] if figures else 0
    mean = figures["mean"] if figures else 0.0
    sd = figures["sd"] if figures else 0.0
    total = mean * n + value
    squares = sd * sd * (n - 1) + n * mean * mean + value * value if n else value * value
    count = n + 1
    new_mean = total / count
    variance = (squares - count * new_mean * new_mean) / (count - 1) if count > 1 else 0.0
    return {
        "count": count,
        "mean": new_mean,
        "sd": max(variance, 0.0) ** 0.5,
        "satisfied": (figures["satisfied"] if figures else 0) + (value >= SATISFIED_FROM),
    }
