"""Pages of the evidence library: list, add, see, change, delete and download."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common.uploads import megabytes
from organisations.forms import apply_errors
from organisations.models import Organisation
from organisations.policy import get_visible_or_404
from organisations.views import membership_required

from . import evidence as services
from .forms_evidence import ADD_FORMS, EvidenceEditForm, EvidenceFilterForm, EvidenceKindForm
from .models import Evidence

PAGE_SIZE = 50

ADD_TITLES = {
    Evidence.Kind.FILE: _("Upload a file"),
    Evidence.Kind.LINK: _("Add a link"),
    Evidence.Kind.NOTE: _("Write a note"),
}


@membership_required
def evidence_list(request):
    membership = request.membership
    form = EvidenceFilterForm(request.GET or None)
    kind, stale_only = "", False
    if form.is_bound and form.is_valid():
        kind, stale_only = form.cleaned_data["kind"], form.cleaned_data["stale"]
    library = services.evidence_library(membership=membership, kind=kind, stale_only=stale_only)
    page = Paginator(library, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    for item in items:
        item.elements = services.attached_elements(item)
    organisation = membership.organisation
    context = {
        "form": form,
        "page": page,
        "items": items,
        "filtered": bool(kind or stale_only),
        "can_add": services.can_edit_evidence(membership, organisation),
        # Where the library holds more than one organisation's items, say whose each is.
        "show_organisation": organisation.kind != Organisation.Kind.APPLICANT
        or organisation.units.exists(),
    }
    return render(request, "assessments/evidence/list.html", context)


@membership_required
def evidence_add(request):
    membership = request.membership
    if not services.can_edit_evidence(membership, membership.organisation):
        raise PermissionDenied
    back_url = reverse("evidence:list")
    kind_form = EvidenceKindForm(request.GET if "kind" in request.GET else None)
    if not kind_form.is_valid():
        context = {"form": kind_form, "page_title": _("Add evidence"), "back_url": back_url}
        return render(request, "assessments/evidence/form.html", context)

    kind = kind_form.cleaned_data["kind"]
    form_class = ADD_FORMS[kind]
    form = form_class(request.POST, request.FILES) if request.method == "POST" else form_class()
    form.helper.form_action = f"{reverse('evidence:add')}?kind={kind}"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            evidence = services.evidence_add(
                membership=membership,
                kind=kind,
                title=data["title"],
                review_date=data["review_date"],
                upload=data.get("upload"),
                url=data.get("url", ""),
                text=data.get("text", ""),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("%(title)s is added.") % {"title": evidence.title})
            return redirect("evidence:detail", evidence.pk)
    context = {
        "form": form,
        "page_title": ADD_TITLES[kind],
        "caption": _("Add evidence"),
        "back_url": reverse("evidence:add"),
    }
    return render(request, "assessments/evidence/form.html", context)


@membership_required
def evidence_detail(request, evidence_pk):
    membership = request.membership
    library = services.evidence_library(membership=membership)
    evidence = get_visible_or_404(library, membership, pk=evidence_pk)
    can_edit = services.can_edit_evidence(membership, evidence.organisation)
    context = {
        "evidence": evidence,
        "ratings": evidence.ratings.all(),
        "can_edit": can_edit,
        "locked": can_edit and services.is_locked(evidence),
        "max_mb": megabytes(services.max_upload_bytes()),
    }
    return render(request, "assessments/evidence/detail.html", context)


def _editable_or_404(request, evidence_pk):
    """The item, if the person may see it (404 otherwise) and change it (403 otherwise)."""
    evidence = get_visible_or_404(
        Evidence.objects.select_related("organisation"), request.membership, pk=evidence_pk
    )
    if not services.can_edit_evidence(request.membership, evidence.organisation):
        raise PermissionDenied
    return evidence


@membership_required
def evidence_edit(request, evidence_pk):
    evidence = _editable_or_404(request, evidence_pk)
    form = EvidenceEditForm(
        request.POST or None,
        initial={"title": evidence.title, "review_date": evidence.review_date},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_update(
                membership=request.membership,
                evidence=evidence,
                title=form.cleaned_data["title"],
                review_date=form.cleaned_data["review_date"],
            )
        except ValidationError as error:
            evidence.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("evidence:detail", evidence.pk)
    context = {
        "form": form,
        "page_title": _("Change evidence details"),
        "caption": evidence.title,
        "back_url": reverse("evidence:detail", args=[evidence.pk]),
    }
    return render(request, "assessments/evidence/form.html", context)


@membership_required
def evidence_delete(request, evidence_pk):
    evidence = _editable_or_404(request, evidence_pk)
    error = None
    if request.method == "POST":
        try:
            services.evidence_delete(membership=request.membership, evidence=evidence)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("%(title)s is deleted.") % {"title": evidence.title})
            return redirect("evidence:list")
    context = {
        "evidence": evidence,
        "error": error,
        "locked": services.is_locked(evidence),
        "elements": services.attached_elements(evidence),
    }
    return render(request, "assessments/evidence/delete.html", context)


@require_safe
@membership_required
def evidence_download(request, evidence_pk):
    evidence = get_visible_or_404(Evidence, request.membership, pk=evidence_pk)
    if evidence.kind != Evidence.Kind.FILE or not evidence.file:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=services.download_name(evidence),
        content_type=evidence.content_type or "application/octet-stream",
    )
    # Never shown in the browser as anything but a download, nor kept by shared caches.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
