"""Judging pages. Judges: their panels' entries (names first, to declare conflicts), an
entry and its scores. The scheme unit: panels, their categories and judges. The chair
and the scheme unit: moderation of the scores and the results recorded with reasons.

Judges' pages answer 404 to anyone without a seat on the panel, and for an entry the
judge declared a conflict on; scheme pages answer 404 outside the scheme unit."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from organisations.forms import apply_errors
from organisations.views import membership_required, scheme_required

from . import judging
from .forms_judging import (
    ConflictForm,
    JudgeForm,
    PanelCategoriesForm,
    PanelForm,
    ResultForm,
    ScoreForm,
)
from .models import Conflict, Entry, Panel, PanelJudge, Score

# A judge's pages ------------------------------------------------------------------------


@require_safe
@membership_required
def judging_home(request):
    seats = list(judging.judge_seats(request.user).order_by("-panel__cycle__year", "panel__name"))
    if not seats:
        raise Http404
    panels = []
    for seat in seats:
        entries = judging.entries_for_judge(request.user, seat.panel)
        panels.append({"seat": seat, "count": entries.count()})
    return render(request, "awards/judging.html", {"panels": panels})


def _seat(request, panel_pk) -> PanelJudge:
    # Through the panel's own key, whose lookup answers "none" for a number no column holds.
    return get_object_or_404(judging.judge_seats(request.user), panel__pk=panel_pk)


@require_safe
@membership_required
def judging_panel(request, panel_pk):
    seat = _seat(request, panel_pk)
    entries = list(judging.entries_for_judge(request.user, seat.panel))
    scored = set(
        Score.objects.filter(judge=seat.judge, entry__in=entries).values_list("entry", flat=True)
    )
    context = {
        "seat": seat,
        "panel": seat.panel,
        "cycle": seat.panel.cycle,
        "entries": [(entry, entry.pk in scored) for entry in entries],
        "judging_open": judging.is_judging(seat.panel.cycle),
        "conflicts": _declared(request.user, seat.panel),
    }
    return render(request, "awards/judging_panel.html", context)


def _declared(user, panel: Panel) -> int:
    return (
        Conflict.objects.filter(judge__user=user, entry__category__panels=panel).distinct().count()
    )


def _judged_entry(request, entry_pk) -> Entry:
    return get_object_or_404(judging.entries_for_judge(request.user), pk=entry_pk)


@require_safe
@membership_required
def judging_entry(request, entry_pk):
    entry = _judged_entry(request, entry_pk)
    seat = judging.seat_for(request.user, entry)
    criteria = list(entry.category.cycle.criteria.all())
    mine = {s.criterion_id: s for s in Score.objects.filter(entry=entry, judge=seat.judge)}
    context = {
        "entry": entry,
        "seat": seat,
        "cycle": entry.category.cycle,
        "criteria": [(criterion, mine.get(criterion.pk)) for criterion in criteria],
        "judging_open": judging.is_judging(entry.category.cycle),
    }
    return render(request, "awards/judging_entry.html", context)


@require_http_methods(["GET", "POST"])
@membership_required
def judging_score(request, entry_pk):
    entry = _judged_entry(request, entry_pk)
    seat = judging.seat_for(request.user, entry)
    cycle = entry.category.cycle
    criteria = list(cycle.criteria.all())
    mine = {s.criterion_id: s for s in Score.objects.filter(entry=entry, judge=seat.judge)}
    form = ScoreForm(request.POST or None, criteria=criteria, scores=mine)
    if request.method == "POST" and form.is_valid():
        try:
            judging.scores_save(user=request.user, entry=entry, scores=form.scores())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your scores are saved."))
            return redirect("awards:judging_panel", seat.panel_id)
    context = {
        "entry": entry,
        "seat": seat,
        "form": form,
        "judging_open": judging.is_judging(cycle),
        "criteria": criteria,
    }
    return render(request, "awards/judging_score.html", context)


@require_http_methods(["GET", "POST"])
@membership_required
def judging_conflict(request, entry_pk):
    entry = _judged_entry(request, entry_pk)
    seat = judging.seat_for(request.user, entry)
    form = ConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            judging.conflict_declare(user=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Your conflict with %(entry)s is recorded; you will not see it again.")
                % {"entry": entry},
            )
            return redirect("awards:judging_panel", seat.panel_id)
    context = {"entry": entry, "seat": seat, "form": form}
    return render(request, "awards/judging_conflict.html", context)


# Panels (the scheme unit) ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@scheme_required
def panel_list(request):
    may_change = judging.is_scheme_admin(request.membership)
    form = PanelForm(request.POST or None) if may_change else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                panel = judging.panel_create(
                    membership=request.membership, categories=[], **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Panel created: choose its categories and judges."))
                return redirect("awards:panel", panel.pk)
    panels = (
        Panel.objects.select_related("cycle")
        .prefetch_related("categories", "panel_judges")
        .order_by("-cycle__year", "name")
    )
    return render(request, "awards/panels.html", {"panels": panels, "form": form})


def _panel(panel_pk) -> Panel:
    return get_object_or_404(Panel.objects.select_related("cycle"), pk=panel_pk)


def _panel_page(request, panel, *, categories_form=None, judge_form=None, status=200):
    may_change = judging.is_scheme_admin(request.membership)
    if may_change:
        categories_form = categories_form or PanelCategoriesForm(panel=panel)
        categories_form.helper.form_action = reverse("awards:panel_categories", args=[panel.pk])
        judge_form = judge_form or JudgeForm()
        judge_form.helper.form_action = reverse("awards:panel_judge_add", args=[panel.pk])
    context = {
        "panel": panel,
        "cycle": panel.cycle,
        "categories": panel.categories.select_related("criterion", "sector"),
        "seats": panel.panel_judges.select_related("judge__user", "judge__organisation").order_by(
            "-chair", "judge__user__email"
        ),
        "may_change": may_change,
        "categories_form": categories_form,
        "judge_form": judge_form,
    }
    return render(request, "awards/panel.html", context, status=status)


@require_safe
@scheme_required
def panel_detail(request, panel_pk):
    return _panel_page(request, _panel(panel_pk))


def _scheme_admin_only(request):
    if not judging.is_scheme_admin(request.membership):
        raise Http404


@require_POST
@scheme_required
def panel_categories(request, panel_pk):
    _scheme_admin_only(request)
    panel = _panel(panel_pk)
    form = PanelCategoriesForm(request.POST, panel=panel)
    if form.is_valid():
        try:
            judging.panel_categories_set(
                membership=request.membership,
                panel=panel,
                categories=list(form.cleaned_data["categories"]),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The panel's categories are saved."))
            return redirect("awards:panel", panel.pk)
    return _panel_page(request, panel, categories_form=form, status=400)


@require_POST
@scheme_required
def panel_judge_add(request, panel_pk):
    _scheme_admin_only(request)
    panel = _panel(panel_pk)
    form = JudgeForm(request.POST)
    if form.is_valid():
        try:
            seat = judging.panel_judge_add(
                membership=request.membership, panel=panel, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("%(judge)s is on the panel.") % {"judge": seat.judge.user})
            return redirect("awards:panel", panel.pk)
    return _panel_page(request, panel, judge_form=form, status=400)


def _panel_seat(panel_pk, seat_pk) -> PanelJudge:
    return get_object_or_404(
        PanelJudge.objects.select_related("panel", "judge__user"), pk=seat_pk, panel_id=panel_pk
    )


@require_POST
@scheme_required
def panel_chair(request, panel_pk, seat_pk):
    _scheme_admin_only(request)
    seat = _panel_seat(panel_pk, seat_pk)
    judging.panel_chair_set(membership=request.membership, panel=seat.panel, seat=seat)
    messages.success(request, _("%(judge)s chairs the panel.") % {"judge": seat.judge.user})
    return redirect("awards:panel", panel_pk)


@require_POST
@scheme_required
def panel_judge_remove(request, panel_pk, seat_pk):
    _scheme_admin_only(request)
    seat = _panel_seat(panel_pk, seat_pk)
    try:
        judging.panel_judge_remove(membership=request.membership, seat=seat)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("%(judge)s is off the panel.") % {"judge": seat.judge.user})
    return redirect("awards:panel", panel_pk)


# Moderation and results -----------------------------------------------------------------


def _moderated_panel(request, panel_pk) -> Panel:
    panel = get_object_or_404(Panel.objects.select_related("cycle"), pk=panel_pk)
    if not judging.may_moderate(request.membership, request.user, panel):
        raise Http404
    return panel


@require_safe
@membership_required
def moderation(request, panel_pk):
    panel = _moderated_panel(request, panel_pk)
    criteria = list(panel.cycle.criteria.all())
    entries = judging.judged_entries().select_related("organisation")
    if not judging.is_scheme_reader(request.membership):
        # The chair does not see entries they declared a conflict on.
        entries = entries.exclude(conflicts__judge__user=request.user)
    sections = []
    for category in panel.categories.select_related("criterion", "sector"):
        in_category = list(entries.filter(category=category).order_by("pk"))
        summaries = judging.entry_scores(in_category, criteria)
        summaries.sort(key=lambda s: (s.mean is None, -(s.mean or 0)))
        sections.append({"category": category, "entries": summaries})
    context = {
        "panel": panel,
        "cycle": panel.cycle,
        "criteria": criteria,
        "sections": sections,
        "may_record": judging.results_may_change(panel.cycle)
        and (judging.is_scheme_admin(request.membership) or judging.chairs(request.user, panel)),
    }
    return render(request, "awards/panel_moderation.html", context)


@require_http_methods(["GET", "POST"])
@membership_required
def result_record(request, panel_pk, entry_pk):
    panel = _moderated_panel(request, panel_pk)
    entry = get_object_or_404(
        judging.judged_entries().select_related("category__cycle", "organisation"),
        pk=entry_pk,
        category__panels=panel,
    )
    if not judging.may_record(request.membership, request.user, entry):
        raise Http404
    form = ResultForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            judging.result_record(
                membership=_recording_membership(request, entry),
                user=request.user,
                entry=entry,
                **form.cleaned_data,
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The result for %(entry)s is recorded.") % {"entry": entry})
            return redirect("awards:moderation", panel.pk)
    context = {
        "panel": panel,
        "entry": entry,
        "form": form,
        "history": judging.result_history(entry.category),
        "open": judging.results_may_change(entry.category.cycle),
    }
    return render(request, "awards/result_form.html", context)


def _recording_membership(request, entry):
    """Who records: the scheme administrator as themselves, a chair as the judge seated."""
    if judging.is_scheme_admin(request.membership):
        return request.membership
    return judging.seat_for(request.user, entry).judge
