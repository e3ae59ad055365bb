"""Pages of the hosted survey: the public form customers answer without signing in, and the
organisation's pages for its links, QR codes, opening and personal invitations."""

import io

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import is_ratelimited

from organisations.forms import apply_errors
from organisations.policy import get_visible_or_404
from organisations.views import membership_required

from . import hosted
from .forms_hosted import HostedSettingsForm, InvitationsForm, LinkForm
from .models import Survey, SurveyInvitation, SurveyLink
from .services import can_edit, require_editor

# Answers one address may post a minute. Behind a proxy, RATELIMIT_IP_META_KEY names the
# header that holds the customer's address.
ANSWER_RATE = "30/m"

# The public form --------------------------------------------------------------------


def _public_link_or_404(key):
    # The key is the secret that opens the form, like an invitation token, so this read is
    # not scoped to a person: anyone who has the link may answer.
    return get_object_or_404(
        SurveyLink.objects.select_related("survey__organisation", "survey__standard"), key=key
    )


def _too_many_posts(request) -> bool:
    return is_ratelimited(
        request, group="hosted-survey-answers", key="ip", rate=ANSWER_RATE, increment=True
    )


def _unavailable(request, survey, reason, status=200):
    context = {"survey": survey, "reason": reason}
    return render(request, "surveys/hosted/unavailable.html", context, status=status)


def _question_items(questions, values, errors):
    return [
        {
            "question": question,
            "id": f"q-{question.name}",
            "value": values.get(question.name, ""),
            "error": errors.get(question.name),
        }
        for question in questions
    ]


def _form_page(request, survey, questions, values=None, errors=None):
    items = _question_items(questions, values or {}, errors or {})
    context = {
        "survey": survey,
        "questions": [item for item in items if item["question"].section != "group"],
        "groups": [item for item in items if item["question"].section == "group"],
        "error_list": [item for item in items if item["error"]],
    }
    return render(request, "surveys/hosted/form.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def answer_form(request, key, token=None):
    link = _public_link_or_404(key)
    survey = link.survey
    invitation = None
    if token is not None:
        invitation = SurveyInvitation.objects.filter(link=link, token=token).first()
        if invitation is None:
            return _unavailable(request, survey, "token_unknown", status=404)
    try:
        hosted.check_available(survey=survey, link=link, invitation=invitation)
    except hosted.HostedUnavailable as refusal:
        return _unavailable(request, survey, refusal.reason)
    questions = hosted.hosted_questions(survey)
    if request.method != "POST":
        return _form_page(request, survey, questions)
    if _too_many_posts(request):
        return _unavailable(request, survey, "too_many", status=429)
    values = {question.name: request.POST.get(question.name, "") for question in questions}
    try:
        hosted.answer_submit(survey=survey, link=link, invitation=invitation, answers=values)
    except hosted.HostedUnavailable as refusal:
        return _unavailable(request, survey, refusal.reason)
    except ValidationError as error:
        errors = {name: messages_[0] for name, messages_ in error.message_dict.items()}
        return _form_page(request, survey, questions, values, errors)
    return redirect("hosted_survey:done", key)


@require_safe
def answer_done(request, key):
    link = _public_link_or_404(key)
    return render(request, "surveys/hosted/done.html", {"survey": link.survey})


# The organisation's pages -----------------------------------------------------------


def _survey_or_404(request, survey_pk):
    return get_visible_or_404(
        Survey.objects.select_related("organisation"), request.membership, pk=survey_pk
    )


def _link_or_404(request, survey_pk, link_pk):
    survey = _survey_or_404(request, survey_pk)
    links = SurveyLink.objects.filter(survey=survey).select_related("survey__organisation", "site")
    return get_visible_or_404(links, request.membership, pk=link_pk)


def _can_edit(membership, survey) -> bool:
    return can_edit(membership, survey.organisation)


def _editable_survey_or_404(request, survey_pk):
    """The survey, if the person may see it (404 otherwise) and change it (403 otherwise)."""
    survey = _survey_or_404(request, survey_pk)
    require_editor(request.membership, survey.organisation)
    return survey


def _links_url(survey):
    return reverse("survey_links:list", args=[survey.pk])


@require_safe
@membership_required
def link_list(request, survey_pk):
    survey = _survey_or_404(request, survey_pk)
    links = (
        SurveyLink.objects.visible_to(request.membership)
        .filter(survey=survey)
        .select_related("site")
        .annotate(
            invited=Count("invitations"),
            unused=Count("invitations", filter=Q(invitations__used_at=None)),
        )
    )
    links = list(links)
    for link in links:
        link.url = hosted.link_url(link)
    context = {"survey": survey, "links": links, "can_edit": _can_edit(request.membership, survey)}
    return render(request, "surveys/hosted/links.html", context)


@membership_required
def link_add(request, survey_pk):
    survey = _editable_survey_or_404(request, survey_pk)
    form = LinkForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            hosted.link_create(
                membership=request.membership,
                survey=survey,
                channel=form.cleaned_data["channel"],
                site=form.cleaned_data["site"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The link is added."))
            return redirect(_links_url(survey))
    context = {
        "form": form,
        "page_title": _("Add a link to the hosted form"),
        "caption": survey.title,
        "lead": _("Each link has its own QR code, so you can see answers by channel and site."),
        "back_url": _links_url(survey),
    }
    return render(request, "surveys/hosted/form_page.html", context)


@membership_required
def hosted_settings(request, survey_pk):
    survey = _editable_survey_or_404(request, survey_pk)
    initial = {"open": survey.hosted_open, "requires_token": survey.hosted_requires_token}
    form = HostedSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        hosted.hosted_open(
            membership=request.membership,
            survey=survey,
            open=form.cleaned_data["open"],
            requires_token=form.cleaned_data["requires_token"],
        )
        if survey.hosted_open:
            messages.success(request, _("The hosted form is taking answers."))
        else:
            messages.success(request, _("The hosted form is closed."))
        return redirect(_links_url(survey))
    context = {
        "form": form,
        "page_title": _("Open or close the hosted form"),
        "caption": survey.title,
        "back_url": _links_url(survey),
    }
    return render(request, "surveys/hosted/form_page.html", context)


def _qr(link):
    return segno.make(hosted.link_url(link), error="m")


@require_safe
@membership_required
def link_qr_svg(request, survey_pk, link_pk):
    link = _link_or_404(request, survey_pk, link_pk)
    out = io.BytesIO()
    _qr(link).save(out, kind="svg", scale=4, border=4, xmldecl=False, svgclass=None)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@require_safe
@membership_required
def link_qr_png(request, survey_pk, link_pk):
    link = _link_or_404(request, survey_pk, link_pk)
    out = io.BytesIO()
    # Large modules print sharply on a poster.
    _qr(link).save(out, kind="png", scale=16, border=4)
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="survey-qr-code-{link.pk}.png"'
    return response


@membership_required
def link_invitations(request, survey_pk, link_pk):
    link = _link_or_404(request, survey_pk, link_pk)
    can_edit = _can_edit(request.membership, link.survey)
    form = InvitationsForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                created = hosted.invitations_create(
                    membership=request.membership, link=link, count=form.cleaned_data["count"]
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s personal invitation link is created.",
                        "%(count)s personal invitation links are created.",
                        len(created),
                    )
                    % {"count": f"{len(created):,}"},
                )
                return redirect("survey_links:invitations", link.survey_id, link.pk)
    invitations = link.invitations.aggregate(
        total=Count("pk"), unused=Count("pk", filter=Q(used_at=None))
    )
    context = {
        "survey": link.survey,
        "link": link,
        "form": form,
        "can_edit": can_edit,
        **invitations,
    }
    return render(request, "surveys/hosted/invitations.html", context)


@require_safe
@membership_required
def link_invitations_csv(request, survey_pk, link_pk):
    link = _link_or_404(request, survey_pk, link_pk)
    # The addresses let anyone answer, so only people who may change the survey get them.
    require_editor(request.membership, link.survey.organisation)
    response = HttpResponse(hosted.invitations_csv(link), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-invitations-{link.pk}.csv"'
    return response
