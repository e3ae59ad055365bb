"""Survey pages: list, set up, questions and groups, method check, uploads, analysis."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from common.job_views import stored_file_download
from organisations.forms import apply_errors
from organisations.models import Organisation
from organisations.policy import get_visible_or_404
from organisations.views import membership_required

from . import analysis, charts, imports, selectors, services
from .forms import GroupForm, MappingForm, QuestionForm, SurveyForm, UploadForm
from .models import Channel, GroupAttribute, ImportJob, Survey, SurveyQuestion

ERRORS_PER_PAGE = 50
SURVEYS_PER_PAGE = 50


def _survey(request, survey_pk):
    return get_visible_or_404(
        Survey.objects.select_related("organisation", "standard"),
        request.membership,
        pk=survey_pk,
    )


def _can_edit(membership, survey_or_organisation):
    organisation = getattr(survey_or_organisation, "organisation", survey_or_organisation)
    return services.can_edit(membership, organisation)


@membership_required
def index(request):
    membership = request.membership
    surveys = (
        Survey.objects.visible_to(membership)
        .select_related("organisation")
        .order_by("organisation__name", "-period_end", "title")
    )
    context = {
        "surveys": Paginator(surveys, SURVEYS_PER_PAGE).get_page(request.GET.get("page")),
        "can_create": membership.organisation.kind == Organisation.Kind.APPLICANT
        and membership.role in services.EDIT_ROLES,
    }
    return render(request, "surveys/index.html", context)


@membership_required
def create(request):
    membership = request.membership
    if not _can_edit(membership, membership.organisation):
        raise Http404
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(membership=membership, data=form.to_input())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Survey set up. Add any questions of your own."))
            return redirect("surveys:questions", survey.pk)
    context = {
        "form": form,
        "page_title": _("Set up a survey"),
        "back_url": reverse("surveys:index"),
    }
    return render(request, "surveys/form.html", context)


@membership_required
def edit(request, survey_pk):
    survey = _survey(request, survey_pk)
    if not _can_edit(request.membership, survey):
        raise Http404
    form = SurveyForm(request.POST or None, initial=SurveyForm.initial_from(survey), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(
                membership=request.membership, survey=survey, data=form.to_input()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("surveys:detail", survey.pk)
    context = {
        "form": form,
        "survey": survey,
        "page_title": _("Change the survey and its method"),
        "back_url": reverse("surveys:detail", args=[survey.pk]),
    }
    return render(request, "surveys/form.html", context)


@membership_required
def detail(request, survey_pk):
    survey = _survey(request, survey_pk)
    labels = dict(Channel.choices)
    context = {
        "survey": survey,
        "method": services.method_check(survey),
        "channel_labels": [labels[c] for c in survey.channels if c in labels],
        "core_questions": selectors.asked_core_questions(survey),
        "questions": survey.questions.all(),
        "groups": survey.groups.all(),
        "imports": survey.import_jobs.select_related("uploaded_by")[:10],
        "can_edit": _can_edit(request.membership, survey),
    }
    return render(request, "surveys/detail.html", context)


@membership_required
def questions(request, survey_pk):
    survey = _survey(request, survey_pk)
    if not _can_edit(request.membership, survey):
        raise Http404
    question_form = QuestionForm(prefix="question")
    group_form = GroupForm(prefix="group")
    if request.method == "POST":
        try:
            if "question-wording" in request.POST:
                question_form = QuestionForm(request.POST, prefix="question")
                if question_form.is_valid():
                    services.question_add(
                        membership=request.membership, survey=survey, **question_form.cleaned_data
                    )
                    messages.success(request, _("Question added."))
                    return redirect("surveys:questions", survey.pk)
            else:
                group_form = GroupForm(request.POST, prefix="group")
                if group_form.is_valid():
                    services.group_add(
                        membership=request.membership,
                        survey=survey,
                        label=group_form.cleaned_data["label"],
                        values=services.parse_values(group_form.cleaned_data["values"]),
                    )
                    messages.success(request, _("Customer group added."))
                    return redirect("surveys:questions", survey.pk)
        except ValidationError as error:
            apply_errors(question_form if "question-wording" in request.POST else group_form, error)
    context = {
        "survey": survey,
        "core_questions": selectors.asked_core_questions(survey),
        "questions": survey.questions.all(),
        "groups": survey.groups.all(),
        "removable": not survey.response_count,
        "question_form": question_form,
        "group_form": group_form,
    }
    return render(request, "surveys/questions.html", context)


def _removed(request, survey_id, remove, done):
    """Run a removal, say how it went, and go back to the questions page."""
    try:
        remove()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("surveys:questions", survey_id)


@require_POST
@membership_required
def question_remove(request, question_pk):
    question = get_visible_or_404(SurveyQuestion, request.membership, pk=question_pk)

    def remove():
        services.question_remove(membership=request.membership, question=question)

    return _removed(request, question.survey_id, remove, _("Question removed."))


@require_POST
@membership_required
def group_remove(request, group_pk):
    group = get_visible_or_404(GroupAttribute, request.membership, pk=group_pk)

    def remove():
        services.group_remove(membership=request.membership, group=group)

    return _removed(request, group.survey_id, remove, _("Customer group removed."))


# Uploads --------------------------------------------------------------------------------


def _import_job(request, import_pk):
    return get_visible_or_404(
        ImportJob.objects.select_related("survey__organisation", "survey__standard", "uploaded_by"),
        request.membership,
        pk=import_pk,
    )


@membership_required
def upload(request, survey_pk):
    survey = _survey(request, survey_pk)
    if not _can_edit(request.membership, survey):
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_create(
                membership=request.membership, survey=survey, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            apply_errors(form, ValidationError({"file": error.messages}))
        else:
            return redirect("surveys:import_mapping", job.pk)
    context = {"survey": survey, "form": form}
    return render(request, "surveys/upload.html", context)


@membership_required
def import_mapping(request, import_pk):
    job = _import_job(request, import_pk)
    survey = job.survey
    if not _can_edit(request.membership, survey):
        raise Http404
    if job.status != ImportJob.Status.MAPPING:
        return redirect("surveys:import_job", job.pk)
    fields = imports.import_fields(survey)
    form = MappingForm(
        request.POST or None,
        fields=fields,
        columns=job.columns,
        initial_mapping=imports.suggested_mapping(job),
    )
    if request.method == "POST" and form.is_valid():
        try:
            imports.import_job_confirm(
                membership=request.membership, job=job, mapping=form.mapping()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("surveys:import_job", job.pk)
    context = {"job": job, "survey": survey, "form": form, "fields": fields}
    return render(request, "surveys/import_mapping.html", context)


def _import_state(job):
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "progress": imports.import_job_progress(job),
        "active": job.is_active,
    }


@require_safe
@never_cache
@membership_required
def import_job(request, import_pk):
    job = imports.import_job_settle(_import_job(request, import_pk))
    wants_json = request.get_preferred_type(["text/html", "application/json"]) == "application/json"
    if wants_json:
        response = JsonResponse(_import_state(job))
    elif job.status == ImportJob.Status.MAPPING and _can_edit(request.membership, job.survey):
        # Checked: the person who can match its columns goes on to do so.
        response = redirect("surveys:import_mapping", job.pk)
    else:
        errors = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            "job": job,
            "survey": job.survey,
            "errors_page": errors,
            "errors_listed": len(job.errors),
            "can_edit": _can_edit(request.membership, job.survey),
            "can_retry": imports.can_retry(job),
            **_import_state(job),
        }
        response = render(request, "surveys/import_job.html", context)
    patch_vary_headers(response, ["Accept"])
    return response


@require_POST
@membership_required
def import_retry(request, import_pk):
    job = _import_job(request, import_pk)
    try:
        imports.import_job_retry(membership=request.membership, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("surveys:import_job", job.pk)


@require_safe
@never_cache
@membership_required
def import_errors_csv(request, import_pk):
    job = _import_job(request, import_pk)
    return stored_file_download(
        job.errors_file,
        filename=f"errors-{job.original_name.rsplit('.', 1)[0]}.csv",
        content_type="text/csv",
    )


# Analysis -------------------------------------------------------------------------------


@membership_required
def analysis_page(request, survey_pk):
    survey = _survey(request, survey_pk)
    context = {
        "survey": survey,
        "analysis": charts.with_charts(analysis.cached_survey_analysis(survey))
        if survey.response_count
        else None,
        "is_owner": selectors.may_read_responses(request.membership, survey),
        "can_edit": _can_edit(request.membership, survey),
    }
    return render(request, "surveys/analysis.html", context)
