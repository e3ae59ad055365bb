"""The applicant's consent to regulators' reliance: which regulators of its sector may
read its certification outcomes and survey results, and the history of that consent.
Applicant members read the page; only administrators give or withdraw consent."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from organisations.models import Organisation, RegulatorConsent, Role
from organisations.views import applicant_required

from . import services


def _may_change(membership) -> bool:
    return membership.role == Role.APPLICANT_ADMIN


def _sector_regulators(organisation: Organisation):
    # Regulators are not tenant data of the applicant: the directory of its sector's.
    return Organisation.objects.filter(
        kind=Organisation.Kind.REGULATOR, sector=organisation.sector_id, sector__isnull=False
    ).order_by("name")


def _history(consents) -> list[dict]:
    """Every giving and withdrawing, newest first."""
    events = []
    for consent in consents:
        events.append(
            {
                "when": consent.given_at,
                "regulator": consent.regulator,
                "given": True,
                "by": consent.given_by,
            }
        )
        if consent.withdrawn_at:
            events.append(
                {
                    "when": consent.withdrawn_at,
                    "regulator": consent.regulator,
                    "given": False,
                    "by": consent.withdrawn_by,
                }
            )
    return sorted(events, key=lambda event: event["when"], reverse=True)


@require_safe
@applicant_required
def consents(request):
    membership = request.membership
    organisation = membership.organisation
    given = list(
        RegulatorConsent.objects.visible_to(membership)
        .filter(organisation=organisation)
        .select_related("regulator", "given_by", "withdrawn_by")
    )
    live = {c.regulator_id: c for c in given if c.withdrawn_at is None}
    context = {
        "organisation": organisation,
        "regulators": [(r, live.get(r.pk)) for r in _sector_regulators(organisation)],
        "history": _history(given),
        "can_change": _may_change(membership),
    }
    return render(request, "reliance/consents.html", context)


def _change(request, regulator_pk):
    """The regulator of the organisation's sector named in the address, for an
    administrator; 404 for anyone else or any other organisation."""
    if not _may_change(request.membership):
        raise Http404
    organisation = request.membership.organisation
    regulator = get_object_or_404(_sector_regulators(organisation), pk=regulator_pk)
    return organisation, regulator


@require_POST
@applicant_required
def consent_give(request, regulator_pk):
    organisation, regulator = _change(request, regulator_pk)
    try:
        services.consent_give(
            membership=request.membership, organisation=organisation, regulator=regulator
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(
            request,
            _(
                "You gave consent: %(regulator)s can now rely on your certificate, "
                "findings and survey results."
            )
            % {"regulator": regulator.name},
        )
    return redirect("reliance:consents")


@require_POST
@applicant_required
def consent_withdraw(request, regulator_pk):
    organisation, regulator = _change(request, regulator_pk)
    consent = get_object_or_404(
        RegulatorConsent.objects.visible_to(request.membership),
        organisation=organisation,
        regulator=regulator,
        withdrawn_at__isnull=True,
    )
    services.consent_withdraw(membership=request.membership, consent=consent)
    messages.success(
        request,
        _("You withdrew consent: %(regulator)s no longer sees your outcomes.")
        % {"regulator": regulator.name},
    )
    return redirect("reliance:consents")
