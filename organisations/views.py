from functools import wraps

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import (
    InvitationForm,
    MembershipRoleForm,
    OrganisationForm,
    OrganisationRegisterForm,
    SiteForm,
    SwitchForm,
    UnitForm,
    apply_errors,
)
from .middleware import SESSION_KEY
from .models import Invitation, Membership, Organisation, Site
from .policy import acts_for, get_visible_or_404


def membership_required(view):
    """Signed in and acting for an organisation; people with none are sent to register one."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.membership is None:
            return redirect("organisation_register")
        return view(request, *args, **kwargs)

    return wrapper


def scheme_required(view):
    @wraps(view)
    @membership_required
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_scheme:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def applicant_required(view):
    """Acting for an applicant organisation; anyone else is told the page is not found."""

    @wraps(view)
    @membership_required
    def wrapper(request, *args, **kwargs):
        if request.membership.organisation.kind != Organisation.Kind.APPLICANT:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def organisation_register(request):
    form = OrganisationRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_register(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            membership = request.user.memberships.get(organisation=organisation)
            request.session[SESSION_KEY] = membership.pk
            messages.success(request, _("%(name)s is registered.") % {"name": organisation.name})
            return redirect("home")
    context = {"form": form, "page_title": _("Register your organisation"), "back_url": "/"}
    return render(request, "organisations/register.html", context)


SWITCHER_PAGE_SIZE = 50


@login_required
def switch(request):
    """The organisations a person acts for, a page at a time; choosing one acts for it."""
    if request.method == "POST":
        return _switch_to(request)
    mine = (
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    page = Paginator(mine, SWITCHER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "page_title": _("Switch organisation")}
    return render(request, "organisations/switch.html", context)


def _switch_to(request):
    form = SwitchForm(request.POST)
    if form.is_valid():
        membership = get_object_or_404(
            Membership, pk=form.cleaned_data["membership"], user=request.user
        )
        request.session[SESSION_KEY] = membership.pk
        messages.success(
            request, _("You are now acting for %(name)s.") % {"name": membership.organisation}
        )
    return redirect("home")


@membership_required
def organisation_detail(request, organisation_pk):
    organisation = get_visible_or_404(
        Organisation.objects.select_related("sector", "parent"),
        request.membership,
        pk=organisation_pk,
    )
    context = {
        "organisation": organisation,
        "units": organisation.units.visible_to(request.membership),
        "sites": organisation.sites.all(),
        "can_manage": _can_manage(request.membership, organisation),
        "can_add_units": request.membership.is_admin
        and organisation.pk == request.membership.organisation_id
        and organisation.kind == Organisation.Kind.APPLICANT
        and not organisation.parent_id,
    }
    return render(request, "organisations/detail.html", context)


def _can_manage(membership, organisation):
    return membership.is_admin and acts_for(membership, organisation)


@membership_required
def organisation_edit(request, organisation_pk):
    organisation = get_visible_or_404(Organisation, request.membership, pk=organisation_pk)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        organisation.refresh_from_db()
        try:
            services.organisation_update(
                membership=request.membership, organisation=organisation, **fields
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("organisation_detail", organisation.pk)
    context = {
        "form": form,
        "organisation": organisation,
        "page_title": _("Change details"),
        "caption": organisation.name,
        "back_url": reverse("organisation_detail", args=[organisation.pk]),
    }
    return render(request, "organisations/edit.html", context)


@membership_required
def unit_add(request):
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(membership=request.membership, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("%(name)s is added.") % {"name": unit.name})
            return redirect("organisation_detail", unit.pk)
    context = {
        "form": form,
        "page_title": _("Add a unit"),
        "caption": request.membership.organisation.name,
        "back_url": reverse("organisation_detail", args=[request.membership.organisation_id]),
    }
    return render(request, "organisations/unit_add.html", context)


@membership_required
def site_add(request, organisation_pk):
    organisation = get_visible_or_404(Organisation, request.membership, pk=organisation_pk)
    return _site_form(request, organisation, Site(organisation=organisation))


@membership_required
def site_edit(request, site_pk):
    site = get_visible_or_404(
        Site.objects.select_related("organisation"), request.membership, pk=site_pk
    )
    return _site_form(request, site.organisation, site)


def _site_form(request, organisation, site):
    form = SiteForm(request.POST or None, instance=site, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_save(membership=request.membership, site=form.instance)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Site saved."))
            return redirect("organisation_detail", organisation.pk)
    context = {
        "form": form,
        "page_title": _("Change site") if site.pk else _("Add a site"),
        "caption": organisation.name,
        "back_url": reverse("organisation_detail", args=[organisation.pk]),
    }
    return render(request, "organisations/site_form.html", context)


@membership_required
def site_delete(request, site_pk):
    site = get_visible_or_404(
        Site.objects.select_related("organisation"), request.membership, pk=site_pk
    )
    if request.method == "POST":
        services.site_delete(membership=request.membership, site=site)
        messages.success(request, _("%(name)s is deleted.") % {"name": site.name})
        return redirect("organisation_detail", site.organisation_id)
    return render(request, "organisations/site_delete.html", {"site": site})


@membership_required
def members(request, organisation_pk):
    organisation = get_visible_or_404(Organisation, request.membership, pk=organisation_pk)
    form = InvitationForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                membership=request.membership, organisation=organisation, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("members", organisation.pk)
    context = {
        "organisation": organisation,
        "form": form,
        "can_manage": _can_manage(request.membership, organisation),
        "memberships": organisation.memberships.select_related("user"),
        "invitations": organisation.invitations.filter(accepted_at=None, revoked_at=None),
    }
    return render(request, "organisations/members.html", context)


@membership_required
def membership_edit(request, membership_pk):
    target = get_visible_or_404(
        Membership.objects.select_related("user", "organisation"),
        request.membership,
        pk=membership_pk,
    )
    form = MembershipRoleForm(
        request.POST if "role" in request.POST else None,
        organisation=target.organisation,
        initial={"role": target.role},
    )
    error = None
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                services.membership_remove(membership=request.membership, target=target)
                messages.success(request, _("%(user)s is removed.") % {"user": target.user})
                return redirect("members", target.organisation_id)
            if form.is_valid():
                services.membership_change_role(
                    membership=request.membership, target=target, role=form.cleaned_data["role"]
                )
                messages.success(request, _("Role changed."))
                return redirect("members", target.organisation_id)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return render(
        request,
        "organisations/membership_edit.html",
        {"target": target, "form": form, "error": error},
    )


@require_POST
@membership_required
def invitation_revoke(request, invitation_pk):
    invitation = get_visible_or_404(Invitation, request.membership, pk=invitation_pk)
    try:
        services.invitation_revoke(membership=request.membership, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect("members", invitation.organisation_id)


def invitation_accept(request, token):
    invitation = get_object_or_404(Invitation.objects.select_related("organisation"), token=token)
    context = {"invitation": invitation}
    if not invitation.is_open:
        return render(request, "organisations/invitation_closed.html", context, status=410)
    if not request.user.is_authenticated:
        request.session["pending_invitation"] = token
        return render(request, "organisations/invitation_sign_in.html", context)
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
        else:
            request.session[SESSION_KEY] = membership.pk
            messages.success(
                request,
                _("You have joined %(name)s.") % {"name": membership.organisation.name},
            )
            return redirect("home")
    return render(request, "organisations/invitation_accept.html", context)


@scheme_required
def scheme_history(request):
    entries = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "organisations/history.html", {"page": page})
