"""The hosted survey form: its links (one per channel or site), personal invitations and the
answers customers give on it, stored in the same `Response` table as imports."""

import csv
import io
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organisations.models import Membership, Site
from standard.models import Driver

from .models import (
    OVERALL,
    Response,
    Survey,
    SurveyInvitation,
    SurveyLink,
    SurveyQuestion,
    core_column,
)
from .services import require_editor, shown, survey_response_added

MAX_INVITATIONS = 10_000
PREFER_NOT_TO_SAY = "Prefer not to say"
EXTRA_PREFIX = "extra-"
GROUP_PREFIX = "group-"

SATISFACTION_SCALE = [
    ("5", gettext_lazy("Very satisfied")),
    ("4", gettext_lazy("Fairly satisfied")),
    ("3", gettext_lazy("Neither satisfied nor dissatisfied")),
    ("2", gettext_lazy("Fairly dissatisfied")),
    ("1", gettext_lazy("Very dissatisfied")),
]
IMPORTANCE_SCALE = [
    ("5", gettext_lazy("Very important")),
    ("4", gettext_lazy("Fairly important")),
    ("3", gettext_lazy("Neither important nor unimportant")),
    ("2", gettext_lazy("Not very important")),
    ("1", gettext_lazy("Not at all important")),
]
YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]

# What each core satisfaction question is about, to name it briefly in an error message.
SATISFACTION_TOPICS = {
    OVERALL: gettext_lazy("the service overall"),
    Driver.DELIVERY: gettext_lazy("the outcome of your contact"),
    Driver.TIMELINESS: gettext_lazy("how quickly we dealt with your request"),
    Driver.INFORMATION: gettext_lazy("the information we gave you"),
    Driver.PROFESSIONALISM: gettext_lazy(
        "how well our staff knew their job and treated you fairly"
    ),
    Driver.STAFF_ATTITUDE: gettext_lazy("how friendly, polite and understanding our staff were"),
}


class HostedUnavailable(Exception):
    """The form cannot take this answer at all (as opposed to an answer with mistakes)."""

    CLOSED = "closed"
    TOKEN_REQUIRED = "token_required"
    TOKEN_USED = "token_used"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class HostedQuestion:
    """One question on the form: `name` is its key in the answers and its form field."""

    name: str
    wording: str
    choices: list[tuple[str, str]]
    required: bool
    section: str  # "core", "extra" or "group"
    error: str  # shown when the question is not answered, or answered off its list


# Links and invitations ----------------------------------------------------------------


@transaction.atomic
def link_create(
    *, membership: Membership, survey: Survey, channel: str, site: Site | None = None
) -> SurveyLink:
    require_editor(membership, survey.organisation)
    if channel not in survey.channels:
        raise ValidationError({"channel": _("Choose a channel this survey covers.")})
    if site is not None and site.organisation_id != survey.organisation_id:
        raise ValidationError({"site": _("Choose one of your organisation's sites.")})
    if SurveyLink.objects.filter(survey=survey, channel=channel, site=site).exists():
        raise ValidationError(_("This survey already has a link for that channel and site."))
    try:
        with transaction.atomic():
            return SurveyLink.objects.create(survey=survey, channel=channel, site=site)
    except IntegrityError:
        # Someone added the same link a moment ago.
        raise ValidationError(
            _("This survey already has a link for that channel and site.")
        ) from None


@transaction.atomic
def hosted_open(
    *, membership: Membership, survey: Survey, open: bool, requires_token: bool
) -> Survey:
    require_editor(membership, survey.organisation)
    Survey.objects.filter(pk=survey.pk).update(
        hosted_open=open, hosted_requires_token=requires_token, updated_at=timezone.now()
    )
    survey.hosted_open, survey.hosted_requires_token = open, requires_token
    return survey


def _spreadsheet_safe_token() -> str:
    """A token that no spreadsheet reads as a formula (none starts with - or _)."""
    while True:
        token = secrets.token_urlsafe(16)
        if token[0].isalnum():
            return token


@transaction.atomic
def invitations_create(
    *, membership: Membership, link: SurveyLink, count: int
) -> list[SurveyInvitation]:
    require_editor(membership, link.survey.organisation)
    if not 1 <= count <= MAX_INVITATIONS:
        raise ValidationError(
            {
                "count": _("Enter a number of invitations from 1 to %(max)s.")
                % {"max": f"{MAX_INVITATIONS:,}"}
            }
        )
    invitations = [
        SurveyInvitation(link=link, token=_spreadsheet_safe_token()) for _n in range(count)
    ]
    return SurveyInvitation.objects.bulk_create(invitations, batch_size=1000)


def link_url(link: SurveyLink, token: str | None = None) -> str:
    """The full address customers use, in the default language (they can switch on the page)."""
    with translation.override(settings.LANGUAGE_CODE):
        if token:
            path = reverse("hosted_survey:invitation", args=[link.key, token])
        else:
            path = reverse("hosted_survey:form", args=[link.key])
    return settings.SITE_URL.rstrip("/") + path


def invitations_csv(link: SurveyLink) -> str:
    """One row per unused invitation: its token and its full address."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["token", "address"])
    unused = link.invitations.filter(used_at=None).order_by("pk").values_list("token", flat=True)
    for token in unused.iterator(chunk_size=2000):
        writer.writerow([token, link_url(link, token)])
    return out.getvalue()


# The questions and the answers --------------------------------------------------------


def _with_prefer_not_to_say(values: list[str]) -> list[str]:
    if any(value.casefold() == PREFER_NOT_TO_SAY.casefold() for value in values):
        return list(values)
    return [*values, PREFER_NOT_TO_SAY]


def _group_choices(values: list[str]) -> list[tuple[str, str]]:
    return [
        (
            value,
            _("Prefer not to say")
            if value.casefold() == PREFER_NOT_TO_SAY.casefold()
            else shown(value),
        )
        for value in _with_prefer_not_to_say(values)
    ]


def _error_for(wording: str, column: str | None = None) -> str:
    if column in SATISFACTION_TOPICS:
        return _("Select how satisfied or dissatisfied you are with %(topic)s") % {
            "topic": SATISFACTION_TOPICS[column]
        }
    return _("Select one of the answers to: %(question)s") % {"question": wording}


def hosted_questions(survey: Survey) -> list[HostedQuestion]:
    """The questions the form asks, in order: core, then the survey's own, then groups."""
    questions = []
    for core in survey.standard.core_questions.order_by("position"):
        is_importance = core.kind == "importance"
        if is_importance and not survey.includes_importance:
            continue
        scale = IMPORTANCE_SCALE if is_importance else SATISFACTION_SCALE
        column = core_column(core)
        error = _error_for(core.wording, column)
        questions.append(HostedQuestion(column, core.wording, scale, core.required, "core", error))
    for extra in survey.questions.order_by("position", "pk"):
        scale = SATISFACTION_SCALE if extra.kind == SurveyQuestion.Kind.SCALE else YES_NO
        name, error = EXTRA_PREFIX + extra.code, _error_for(extra.wording)
        questions.append(HostedQuestion(name, extra.wording, scale, False, "extra", error))
    for group in survey.groups.order_by("position", "pk"):
        label = shown(group.label)
        choices, error = _group_choices(group.values), _error_for(label)
        questions.append(
            HostedQuestion(GROUP_PREFIX + group.code, label, choices, False, "group", error)
        )
    return questions


def _clean_answers(questions: list[HostedQuestion], answers: dict) -> dict[str, str]:
    """The answers by question name, or a ValidationError naming each question at fault."""
    cleaned, errors = {}, {}
    for question in questions:
        value = str(answers.get(question.name) or "").strip()
        if not value and not question.required:
            continue
        if value in {choice for choice, _label in question.choices}:
            cleaned[question.name] = value
        else:
            errors[question.name] = question.error
    if errors:
        raise ValidationError(errors)
    return cleaned


def _response_from(survey: Survey, link: SurveyLink, cleaned: dict[str, str]) -> Response:
    response = Response(
        survey=survey,
        respondent_id=f"web-{secrets.token_hex(8)}",
        source=Response.Source.HOSTED,
        channel=link.channel,
        site_id=link.site_id,
        responded_on=timezone.localdate(),
    )
    extra_kinds = dict(survey.questions.values_list("code", "kind"))
    for name, value in cleaned.items():
        if name.startswith(EXTRA_PREFIX):
            code = name.removeprefix(EXTRA_PREFIX)
            is_scale = extra_kinds[code] == SurveyQuestion.Kind.SCALE
            response.extra[code] = int(value) if is_scale else value
        elif name.startswith(GROUP_PREFIX):
            response.groups[name.removeprefix(GROUP_PREFIX)] = value
        else:
            setattr(response, name, int(value))
    return response


def _claim(invitation: SurveyInvitation) -> None:
    """Mark the invitation used, once: of two simultaneous answers only one updates the row."""
    claimed = SurveyInvitation.objects.filter(pk=invitation.pk, used_at=None).update(
        used_at=timezone.now()
    )
    if not claimed:
        raise HostedUnavailable(HostedUnavailable.TOKEN_USED)


def check_available(
    *, survey: Survey, link: SurveyLink, invitation: SurveyInvitation | None
) -> None:
    """Raise HostedUnavailable when this link (and invitation) cannot take an answer."""
    if link.survey_id != survey.pk or (invitation and invitation.link_id != link.pk):
        raise ValueError("The link and the invitation must belong to the survey.")
    if not survey.hosted_open:
        raise HostedUnavailable(HostedUnavailable.CLOSED)
    if invitation is None and survey.hosted_requires_token:
        raise HostedUnavailable(HostedUnavailable.TOKEN_REQUIRED)
    if invitation is not None and invitation.used_at is not None:
        raise HostedUnavailable(HostedUnavailable.TOKEN_USED)


@transaction.atomic
def answer_submit(
    *,
    survey: Survey,
    link: SurveyLink,
    invitation: SurveyInvitation | None = None,
    answers: dict,
) -> Response:
    # Locked and read afresh, so that closing the form takes effect at once.
    survey = (
        Survey.objects.select_for_update(of=("self",)).select_related("standard").get(pk=survey.pk)
    )
    check_available(survey=survey, link=link, invitation=invitation)
    cleaned = _clean_answers(hosted_questions(survey), answers)
    if invitation is not None:
        _claim(invitation)
    response = _response_from(survey, link, cleaned)
    response.save()
    survey_response_added(survey=survey, response=response)
    return response
