"""Peer groups: the scheme unit sets them up per sector; an applicant organisation's
administrators opt it into or out of its own sector's groups."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organisations.forms import apply_errors
from organisations.models import Organisation
from organisations.views import membership_required

from . import services
from .forms import PeerGroupForm
from .models import PeerGroup, PeerGroupMember, minimum_organisations

GROUPS_PER_PAGE = 50


def _visible_peer_groups(membership):
    """Every group for the scheme unit; an applicant's own sector's; nobody else's."""
    if membership.is_scheme:
        return PeerGroup.objects.all()
    organisation = membership.organisation
    if organisation.kind == Organisation.Kind.APPLICANT and organisation.sector_id:
        return PeerGroup.objects.filter(sector_id=organisation.sector_id)
    raise Http404


def _peer_group(request, peer_group_pk):
    return get_object_or_404(
        _visible_peer_groups(request.membership).select_related("sector"), pk=peer_group_pk
    )


@membership_required
def peer_groups(request):
    membership = request.membership
    groups = _visible_peer_groups(membership)
    can_manage = services.can_manage_peer_groups(membership)
    if request.method == "POST" and not can_manage:
        raise Http404
    form = PeerGroupForm(request.POST or None) if can_manage else None
    if request.method == "POST" and form.is_valid():
        try:
            group = services.peer_group_create(membership=membership, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Peer group %(name)s set up.") % {"name": group.name})
            return redirect("benchmarking:peer_groups")
    listed = (
        groups.select_related("sector")
        .annotate(member_count=Count("members"))
        .order_by("sector__name", "name")
    )
    context = {
        "groups": Paginator(listed, GROUPS_PER_PAGE).get_page(request.GET.get("page")),
        "form": form,
        "can_manage": can_manage,
        "can_join": services.can_join_peer_groups(membership),
        "joined": set(
            PeerGroupMember.objects.filter(organisation=membership.organisation).values_list(
                "peer_group_id", flat=True
            )
        ),
        "sector": None if membership.is_scheme else membership.organisation.sector,
        "minimum": minimum_organisations(),
    }
    return render(request, "benchmarking/peer_groups/index.html", context)


@membership_required
def peer_group_edit(request, peer_group_pk):
    group = _peer_group(request, peer_group_pk)
    membership = request.membership
    if not services.can_manage_peer_groups(membership):
        raise Http404
    form = PeerGroupForm(
        request.POST or None,
        initial={"name": group.name, "description": group.description},
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.peer_group_update(membership=membership, peer_group=group, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Peer group saved."))
            return redirect("benchmarking:peer_groups")
    context = {
        "form": form,
        "group": group,
        "members": group.members.order_by("name"),
        "back_url": reverse("benchmarking:peer_groups"),
    }
    return render(request, "benchmarking/peer_groups/edit.html", context)


@require_POST
@membership_required
def peer_group_join(request, peer_group_pk):
    group = _peer_group(request, peer_group_pk)
    if not services.can_join_peer_groups(request.membership):
        raise Http404
    try:
        services.peer_group_join(membership=request.membership, peer_group=group)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Your organisation joined %(name)s. Its figures count from the next refresh.")
            % {"name": group.name},
        )
    return redirect("benchmarking:peer_groups")


@require_POST
@membership_required
def peer_group_leave(request, peer_group_pk):
    group = _peer_group(request, peer_group_pk)
    if not services.can_join_peer_groups(request.membership):
        raise Http404
    try:
        services.peer_group_leave(membership=request.membership, peer_group=group)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Your organisation left %(name)s. Its figures stop counting from the next refresh.")
            % {"name": group.name},
        )
    return redirect("benchmarking:peer_groups")
