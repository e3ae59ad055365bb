from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organisations.forms import apply_errors
from organisations.models import Organisation, Role
from organisations.policy import acts_for, get_visible_or_404
from organisations.views import membership_required

from . import selectors, services
from .forms import ActionForm, CommitmentForm, RatingForm, ReviewForm, ShareForm, StartForm
from .models import Action, Evidence, PublicCommitment, Rating, SelfAssessment


def _assessment(request, assessment_pk):
    return get_visible_or_404(
        SelfAssessment.objects.select_related("organisation__parent", "standard"),
        request.membership,
        pk=assessment_pk,
    )


def _shares_seen_by(membership, self_assessment):
    """The owner sees every share; a certification body only its own."""
    shares = self_assessment.shares.select_related("certification_body")
    if acts_for(membership, self_assessment.organisation) or membership.is_scheme:
        return shares
    return shares.filter(certification_body=membership.organisation_id)


def _permissions(membership, self_assessment):
    own = acts_for(membership, self_assessment.organisation)
    draft = self_assessment.is_draft
    return {
        "can_edit": own and draft and membership.role in services.EDIT_ROLES,
        "can_review": own and draft and membership.role in services.REVIEW_ROLES,
        "can_share": own and not draft and membership.role == Role.APPLICANT_ADMIN,
        "is_owner": own,
    }


@membership_required
def index(request):
    membership = request.membership
    assessments = (
        SelfAssessment.objects.visible_to(membership)
        .select_related("organisation", "standard")
        .order_by("organisation__name", "-number")
    )
    # Only parts of the organisation without a draft can start one.
    organisations = (
        Organisation.objects.visible_to(membership)
        .filter(kind=Organisation.Kind.APPLICANT)
        .exclude(self_assessments__status=SelfAssessment.Status.DRAFT)
    )
    can_start = membership.role in services.EDIT_ROLES and organisations.exists()
    form = StartForm(request.POST or None, organisations=organisations) if can_start else None
    if form and request.method == "POST" and form.is_valid():
        try:
            self_assessment = services.self_assessment_start(
                membership=membership, organisation=form.cleaned_data["organisation"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("assessments:detail", self_assessment.pk)
    commitment = PublicCommitment.objects.filter(organisation=membership.organisation).first()
    context = {"assessments": assessments, "form": form, "commitment": commitment}
    return render(request, "assessments/index.html", context)


@membership_required
def detail(request, assessment_pk):
    self_assessment = _assessment(request, assessment_pk)
    summary = selectors.overview(self_assessment)
    context = {
        "sa": self_assessment,
        "summary": summary,
        "has_units": self_assessment.organisation.units.exists(),
        "has_draft": SelfAssessment.objects.filter(
            organisation=self_assessment.organisation, status=SelfAssessment.Status.DRAFT
        ).exists(),
        "shares": _shares_seen_by(request.membership, self_assessment),
        **_permissions(request.membership, self_assessment),
    }
    return render(request, "assessments/detail.html", context)


@membership_required
def criterion(request, assessment_pk, slug):
    self_assessment = _assessment(request, assessment_pk)
    summary = selectors.overview(self_assessment)
    result = next((r for r in summary.criteria if r.criterion.slug == slug), None)
    if result is None:
        raise Http404
    rows = [
        (element, summary.ratings.get(element.pk), element.pk in summary.inherited)
        for element in result.criterion.elements.all()
    ]
    context = {
        "sa": self_assessment,
        "result": result,
        "rows": rows,
        **_permissions(request.membership, self_assessment),
    }
    return render(request, "assessments/criterion.html", context)


@membership_required
def element(request, assessment_pk, code):
    self_assessment = _assessment(request, assessment_pk)
    rating = get_object_or_404(
        Rating.objects.select_related("element__criterion", "updated_by", "reviewed_by"),
        self_assessment=self_assessment,
        element__code=code,
    )
    permissions = _permissions(request.membership, self_assessment)
    inherited = selectors.corporate_ratings(self_assessment).get(rating.element_id)
    library = Evidence.objects.filter(organisation=self_assessment.organisation)
    form = RatingForm(
        request.POST if request.method == "POST" else None,
        evidence=library,
        initial={
            "value": rating.value,
            "narrative": rating.narrative,
            "version": rating.version,
            "evidence": list(rating.evidence.all()),
            "is_corporate": rating.is_corporate,
        },
    )
    wants_json = "application/json" in request.headers.get("Accept", "")
    conflict = yours = None
    if request.method == "POST":
        if not permissions["can_edit"]:
            raise PermissionDenied(_("You cannot change this self-assessment."))
        if form.is_valid():
            data = services.RatingInput(
                value=form.cleaned_data["value"],
                narrative=form.cleaned_data["narrative"],
                evidence=list(form.cleaned_data["evidence"]),
                is_corporate=form.cleaned_data["is_corporate"],
            )
            try:
                rating = services.rating_save(
                    membership=request.membership,
                    rating=rating,
                    data=data,
                    expected_version=form.cleaned_data["version"],
                )
            except services.RatingConflict as exc:
                conflict = exc
                rating = exc.current
            except ValidationError as error:
                apply_errors(form, error)
            else:
                if wants_json:
                    return JsonResponse(
                        {"version": rating.version, "saved_at": rating.updated_at.isoformat()}
                    )
                messages.success(request, _("Element %(code)s saved.") % {"code": code})
                return redirect(_next_element_url(self_assessment, rating))
        if wants_json:
            if conflict:
                return JsonResponse(
                    {"error": conflict.messages[0], "version": rating.version}, status=409
                )
            return JsonResponse({"errors": form.errors}, status=400)
        if conflict:
            yours = {
                "value": request.POST.get("value", ""),
                "narrative": request.POST.get("narrative", ""),
            }
            form = RatingForm(
                evidence=library,
                initial={
                    "value": rating.value,
                    "narrative": rating.narrative,
                    "version": rating.version,
                    "evidence": list(rating.evidence.all()),
                    "is_corporate": rating.is_corporate,
                },
            )
    context = {
        "sa": self_assessment,
        "rating": rating,
        "element": rating.element,
        "form": form,
        "conflict": conflict,
        "yours": yours,
        "inherited": inherited,
        "history": rating.changes.select_related("changed_by")[:20],
        "review_form": ReviewForm(),
        "is_headquarters": not self_assessment.organisation.parent_id
        and self_assessment.organisation.units.exists(),
        "neighbours": _neighbours(self_assessment, rating),
        **permissions,
    }
    return render(request, "assessments/element.html", context, status=409 if conflict else 200)


def _element_codes(self_assessment):
    return list(
        self_assessment.ratings.order_by(
            "element__criterion__number", "element__position"
        ).values_list("element__code", flat=True)
    )


def _neighbours(self_assessment, rating):
    codes = _element_codes(self_assessment)
    index = codes.index(rating.element.code)
    previous = codes[index - 1] if index > 0 else None
    following = codes[index + 1] if index + 1 < len(codes) else None
    return previous, following


def _next_element_url(self_assessment, rating):
    _, following = _neighbours(self_assessment, rating)
    if following:
        return reverse("assessments:element", args=[self_assessment.pk, following])
    return reverse("assessments:detail", args=[self_assessment.pk])


@require_POST
@membership_required
def review(request, assessment_pk, code):
    self_assessment = _assessment(request, assessment_pk)
    rating = get_object_or_404(Rating, self_assessment=self_assessment, element__code=code)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.rating_review(
                membership=request.membership,
                rating=rating,
                agree=form.cleaned_data["decision"] == "agree",
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your review of %(code)s is recorded.") % {"code": code})
    else:
        messages.error(request, _("Choose whether you agree or challenge."))
    return redirect("assessments:element", self_assessment.pk, code)


@membership_required
def gaps(request, assessment_pk):
    self_assessment = _assessment(request, assessment_pk)
    summary, rows, actions, progress = selectors.gap_report(self_assessment)
    context = {
        "sa": self_assessment,
        "summary": summary,
        "rows": rows,
        "actions": actions,
        "progress": progress,
        **_permissions(request.membership, self_assessment),
    }
    return render(request, "assessments/gaps.html", context)


@membership_required
def action_edit(request, action_pk):
    action = get_visible_or_404(
        Action.objects.select_related("self_assessment__organisation", "element"),
        request.membership,
        pk=action_pk,
    )
    form = ActionForm(request.POST or None, instance=action)
    if request.method == "POST" and form.is_valid():
        try:
            services.action_update(
                membership=request.membership,
                action=action,
                **{f: form.cleaned_data[f] for f in ActionForm.Meta.fields},
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Action saved."))
            return redirect("assessments:gaps", action.self_assessment_id)
    context = {
        "form": form,
        "page_title": _("Action for %(code)s") % {"code": action.element.code},
        "caption": action.element.title,
        "back_url": reverse("assessments:gaps", args=[action.self_assessment_id]),
    }
    return render(request, "form_page.html", context)


@membership_required
def submit(request, assessment_pk):
    self_assessment = _assessment(request, assessment_pk)
    permissions = _permissions(request.membership, self_assessment)
    if not permissions["is_owner"]:
        raise Http404
    problems = services.submission_problems(self_assessment) if self_assessment.is_draft else []
    if request.method == "POST":
        try:
            services.self_assessment_submit(
                membership=request.membership, self_assessment=self_assessment
            )
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request, _("Self-assessment %(n)s is submitted.") % {"n": self_assessment.number}
            )
            return redirect("assessments:detail", self_assessment.pk)
    context = {"sa": self_assessment, "problems": problems, **permissions}
    return render(request, "assessments/submit.html", context)


@membership_required
def share(request, assessment_pk):
    self_assessment = _assessment(request, assessment_pk)
    if not _permissions(request.membership, self_assessment)["is_owner"]:
        raise Http404
    form = ShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.self_assessment_share(
                membership=request.membership, self_assessment=self_assessment, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Shared with %(body)s.") % {"body": form.cleaned_data["certification_body"]},
            )
            return redirect("assessments:detail", self_assessment.pk)
    context = {
        "form": form,
        "page_title": _("Share with your certification body"),
        "caption": str(self_assessment),
        "back_url": reverse("assessments:detail", args=[self_assessment.pk]),
        "lead": _(
            "The certification body will see this submitted version, its evidence and "
            "its action plan. Drafts are never shared."
        ),
    }
    return render(request, "form_page.html", context)


@require_POST
@membership_required
def new_version(request, assessment_pk):
    self_assessment = _assessment(request, assessment_pk)
    if not _permissions(request.membership, self_assessment)["is_owner"]:
        raise Http404
    try:
        new = services.self_assessment_start(
            membership=request.membership, organisation=self_assessment.organisation
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("assessments:detail", self_assessment.pk)
    messages.success(
        request,
        _("Version %(n)s is started from version %(old)s.")
        % {"n": new.number, "old": self_assessment.number},
    )
    return redirect("assessments:detail", new.pk)


@membership_required
def programme(request, assessment_pk):
    self_assessment = _assessment(request, assessment_pk)
    organisation = self_assessment.organisation
    # Units' drafts are the programme's own business: not for a certification body
    # the headquarters shared its own submission with.
    if not (acts_for(request.membership, organisation) or request.membership.is_scheme):
        raise Http404
    if not organisation.is_headquarters:
        raise Http404
    columns, rows = selectors.programme_matrix(self_assessment)
    return render(
        request,
        "assessments/programme.html",
        {"sa": self_assessment, "columns": columns, "rows": rows},
    )


@membership_required
def commitment(request):
    membership = request.membership
    if membership.organisation.kind != Organisation.Kind.APPLICANT:
        raise Http404  # only organisations that assess themselves commit publicly
    current = PublicCommitment.objects.filter(
        organisation=membership.organisation, withdrawn_at=None
    ).first()
    form = CommitmentForm(
        request.POST or None, initial={"statement": current.statement if current else ""}
    )
    if request.method == "POST":
        try:
            if "withdraw" in request.POST:
                services.commitment_withdraw(membership=membership)
                messages.success(request, _("Your public commitment is withdrawn."))
                return redirect("assessments:index")
            if form.is_valid():
                services.commitment_make(membership=membership, **form.cleaned_data)
                messages.success(request, _("Your commitment is published."))
                return redirect("assessments:index")
        except ValidationError as error:
            apply_errors(form, error)
    return render(request, "assessments/commitment.html", {"form": form, "current": current})
