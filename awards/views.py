"""Pages for award cycles, their judging criteria and categories, and shortlists: the
scheme unit's (analysts read, administrators act; anyone else is told the page is not
found), and the public landing page of the awards."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.http import form_page, posted
from organisations.forms import apply_errors
from organisations.policy import visible_organisations
from organisations.views import scheme_required

from . import case_studies, judging, nominations, results, selectors, services
from .forms import (
    CategoryForm,
    CycleForm,
    JudgingCriterionForm,
    PutForwardForm,
    UsualCategoriesForm,
)
from .models import AwardCycle, CaseStudy, Category, JudgingCriterion


def _optional_url(name: str, *args) -> str | None:
    """The address of a page that may not be part of this installation."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# The landing page ------------------------------------------------------------------------


def index(request):
    """The hub of the awards: for everyone, the current and past cycles and the ways to
    share practice; for people signed in, what their role lets them do, each link shown
    only to those the page behind it serves."""
    membership = request.membership
    cycles = list(selectors.public_cycles().prefetch_related("criteria"))
    for cycle in cycles:
        cycle.stage_label = selectors.cycle_stage_label(cycle)
        cycle.results_url = (
            _optional_url("awards:winners", cycle.year) if cycle.published_at else None
        )
    context = {
        "current": [c for c in cycles if not c.published_at],
        "past": [c for c in cycles if c.published_at],
        **_what_you_can_do(request.user, membership),
    }
    return render(request, "awards/index.html", context)


def _what_you_can_do(user, membership) -> dict:
    """The awards work open to the signed-in person, by the same rules the services and
    pages apply."""
    if membership is None:
        return {}
    may_nominate = nominations.nominable_organisations(membership).exists()
    is_scheme = selectors.is_scheme_member(membership)
    return {
        "may_nominate": may_nominate,
        "nominations_open": may_nominate and nominations.open_categories().exists(),
        "is_judge": judging.judge_seats(user).exists(),
        "may_write_case_studies": _writes_case_studies(membership),
        "recognised": not is_scheme and _recognised(membership),
        "is_scheme": is_scheme,
        "can_run": selectors.can_run_awards(membership),
        "to_approve": case_studies.awaiting_review().count() if is_scheme else 0,
        "results_cycles": _results_cycles() if is_scheme else [],
    }


def _writes_case_studies(membership) -> bool:
    """A holder's administrators and editors, and those of a former holder that still
    has case studies to look after."""
    organisation = membership.organisation
    if not case_studies.may_write(membership, organisation):
        return False
    return (
        case_studies.is_holder(organisation)
        or CaseStudy.objects.filter(organisation=organisation).exists()
    )


def _recognised(membership) -> bool:
    """Whether an organisation the person reads has a published result, with its
    certificate of recognition."""
    visible = visible_organisations(membership).values("pk")
    return results.published_results().filter(entry__organisation__in=visible).exists()


def _results_cycles() -> list[AwardCycle]:
    """The cycles whose results the scheme unit records and publishes: nominations closed."""
    cycles = [
        cycle
        for cycle in AwardCycle.objects.all()
        if selectors.cycle_stage(cycle)
        not in (selectors.Stage.PREPARING, selectors.Stage.NOMINATIONS)
    ]
    for cycle in cycles:
        cycle.stage_label = selectors.cycle_stage_label(cycle)
    return cycles


# Cycles ---------------------------------------------------------------------------------


@scheme_required
def cycle_list(request):
    cycles = list(AwardCycle.objects.all())
    for cycle in cycles:
        cycle.stage_label = selectors.cycle_stage_label(cycle)
    context = {"cycles": cycles, "can_run": selectors.can_run_awards(request.membership)}
    return render(request, "awards/cycle_list.html", context)


def _cycle_input(form) -> services.CycleInput:
    return services.CycleInput(**{name: form.cleaned_data[name] for name in CycleForm.base_fields})


@scheme_required
def cycle_create(request):
    if not selectors.can_run_awards(request.membership):
        return redirect("awards:cycles")
    form = CycleForm(posted(request))
    if form.is_valid():
        try:
            cycle = services.cycle_create(membership=request.membership, data=_cycle_input(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The cycle has been set up. Now add its judging criteria."))
            return redirect("awards:cycle", cycle.pk)
    return form_page(
        request, form, title=_("Set up an award cycle"), back_url=reverse("awards:cycles")
    )


@scheme_required
def cycle_detail(request, cycle_pk):
    cycle = get_object_or_404(AwardCycle, pk=cycle_pk)
    stage = selectors.cycle_stage(cycle)
    can_run = selectors.can_run_awards(request.membership)
    context = {
        "cycle": cycle,
        "stage_label": selectors.Stage.labels[stage],
        "criteria": cycle.criteria.all(),
        "categories": selectors.categories_with_counts(cycle),
        "can_run": can_run,
        "can_change": can_run and stage == selectors.Stage.PREPARING,
    }
    return render(request, "awards/cycle_detail.html", context)


@scheme_required
def cycle_edit(request, cycle_pk):
    cycle = get_object_or_404(AwardCycle, pk=cycle_pk)
    back = reverse("awards:cycle", args=[cycle.pk])
    if not selectors.can_run_awards(request.membership):
        return redirect(back)
    initial = {name: getattr(cycle, name) for name in CycleForm.base_fields}
    form = CycleForm(posted(request), initial=initial)
    if form.is_valid():
        try:
            services.cycle_update(
                membership=request.membership, cycle=cycle, data=_cycle_input(form)
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The cycle has been changed."))
            return redirect(back)
    return form_page(request, form, title=_("Change the cycle"), caption=cycle.title, back_url=back)


# Judging criteria -----------------------------------------------------------------------


def _criterion_input(form) -> services.JudgingCriterionInput:
    return services.JudgingCriterionInput(**form.cleaned_data)


@scheme_required
def judging_criterion_add(request, cycle_pk):
    cycle = get_object_or_404(AwardCycle, pk=cycle_pk)
    back = reverse("awards:cycle", args=[cycle.pk])
    if not selectors.can_run_awards(request.membership):
        return redirect(back)
    form = JudgingCriterionForm(posted(request))
    if form.is_valid():
        try:
            services.judging_criterion_add(
                membership=request.membership, cycle=cycle, data=_criterion_input(form)
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The judging criterion has been added."))
            return redirect(back)
    return form_page(
        request, form, title=_("Add a judging criterion"), caption=cycle.title, back_url=back
    )


@scheme_required
def judging_criterion_edit(request, cycle_pk, judging_criterion_pk):
    criterion = get_object_or_404(JudgingCriterion, pk=judging_criterion_pk, cycle=cycle_pk)
    back = reverse("awards:cycle", args=[criterion.cycle_id])
    if not selectors.can_run_awards(request.membership):
        return redirect(back)
    initial = {name: getattr(criterion, name) for name in JudgingCriterionForm.base_fields}
    form = JudgingCriterionForm(posted(request), initial=initial)
    if form.is_valid():
        try:
            services.judging_criterion_update(
                membership=request.membership, criterion=criterion, data=_criterion_input(form)
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The judging criterion has been changed."))
            return redirect(back)
    return form_page(
        request,
        form,
        title=_("Change a judging criterion"),
        caption=criterion.cycle.title,
        back_url=back,
    )


@scheme_required
@require_POST
def judging_criterion_delete(request, cycle_pk, judging_criterion_pk):
    criterion = get_object_or_404(JudgingCriterion, pk=judging_criterion_pk, cycle=cycle_pk)
    try:
        services.judging_criterion_delete(membership=request.membership, criterion=criterion)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The judging criterion has been removed."))
    return redirect("awards:cycle", cycle_pk)


# Categories -----------------------------------------------------------------------------


@scheme_required
def category_add(request, cycle_pk):
    cycle = get_object_or_404(AwardCycle, pk=cycle_pk)
    back = reverse("awards:cycle", args=[cycle.pk])
    if not selectors.can_run_awards(request.membership):
        return redirect(back)
    form = CategoryForm(posted(request))
    if form.is_valid():
        try:
            category = services.category_create(
                membership=request.membership, cycle=cycle, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The category has been added."))
            return redirect("awards:category", category.pk)
    return form_page(request, form, title=_("Add a category"), caption=cycle.title, back_url=back)


@scheme_required
def categories_usual(request, cycle_pk):
    cycle = get_object_or_404(AwardCycle, pk=cycle_pk)
    back = reverse("awards:cycle", args=[cycle.pk])
    if not selectors.can_run_awards(request.membership):
        return redirect(back)
    form = UsualCategoriesForm(posted(request))
    if form.is_valid():
        try:
            created = services.categories_create_usual(
                membership=request.membership,
                cycle=cycle,
                sectors=list(form.cleaned_data["sectors"]),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("%(n)s categories have been created.") % {"n": len(created)}
            )
            return redirect(back)
    return form_page(
        request,
        form,
        title=_("Create the usual categories"),
        caption=cycle.title,
        lead=_(
            "Best and most improved organisation on each criterion: their shortlists are "
            "worked out from certification findings and survey results."
        ),
        back_url=back,
    )


@scheme_required
def category_detail(request, category_pk, form=None):
    category = get_object_or_404(
        Category.objects.select_related("cycle", "criterion", "sector"), pk=category_pk
    )
    stage = selectors.cycle_stage(category.cycle)
    can_run = selectors.can_run_awards(request.membership)
    open_for_entries = stage in (selectors.Stage.PREPARING, selectors.Stage.NOMINATIONS)
    is_organisation = category.level == Category.Level.ORGANISATION
    context = {
        "category": category,
        "cycle": category.cycle,
        "stage_label": selectors.Stage.labels[stage],
        "is_organisation": is_organisation,
        "candidates": selectors.candidates_of(category),
        "computed_at": selectors.shortlist_computed_at(category),
        "entered": selectors.put_forward_organisations(category),
        "entries": category.entries.select_related("organisation").order_by("pk"),
        "can_compute": can_run and is_organisation and open_for_entries,
        "can_delete": can_run and stage == selectors.Stage.PREPARING,
        "form": form,
    }
    return render(request, "awards/category_detail.html", context, status=400 if form else 200)


@scheme_required
@require_POST
def category_delete(request, category_pk):
    category = get_object_or_404(Category, pk=category_pk)
    try:
        services.category_delete(membership=request.membership, category=category)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("awards:category", category.pk)
    messages.success(request, _("The category has been removed."))
    return redirect("awards:cycle", category.cycle_id)


@scheme_required
@require_POST
def shortlist_compute(request, category_pk):
    category = get_object_or_404(Category, pk=category_pk)
    try:
        candidates = services.shortlist_compute(membership=request.membership, category=category)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The shortlist has been worked out: %(n)s candidates.") % {"n": len(candidates)},
        )
    return redirect("awards:category", category.pk)


@scheme_required
@require_POST
def put_forward(request, category_pk):
    category = get_object_or_404(Category, pk=category_pk)
    form = PutForwardForm(request.POST, category=category)
    if form.is_valid():
        try:
            entries = services.candidates_put_forward(
                membership=request.membership,
                category=category,
                candidates=list(form.cleaned_data["candidates"]),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("%(n)s candidates have been put forward for judging.") % {"n": len(entries)},
            )
            return redirect("awards:category", category.pk)
    return category_detail(request, category_pk=category.pk, form=form)
