"""Every change to organisations, sites, memberships and invitations."""

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    ROLES_BY_KIND,
    Invitation,
    Membership,
    Organisation,
    Role,
    Sector,
    Site,
    User,
)
from .policy import acts_for

INVITATION_DAYS = 14


def _require_admin(membership: Membership | None, organisation: Organisation) -> None:
    """Admins manage their own organisation; an HQ admin also manages its units."""
    if membership is None or not membership.is_admin:
        raise PermissionDenied(_("Only your organisation's administrators can do this."))
    if not acts_for(membership, organisation):
        raise PermissionDenied(_("You can only manage your own organisation."))


def _sync_staff(user: User) -> None:
    """Scheme administrators run the Django admin; nobody else does. Worked out again
    from the person's memberships whenever one is added, changed or removed."""
    is_admin = Membership.objects.filter(user=user, role=Role.SCHEME_ADMIN).exists()
    if (user.is_staff, user.is_superuser) != (is_admin, is_admin):
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])


@transaction.atomic
def membership_create(*, user: User, organisation: Organisation, role: str) -> Membership:
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save()
    _sync_staff(user)
    return membership


@transaction.atomic
def organisation_register(
    *,
    user: User,
    name: str,
    sector: Sector,
    region: str,
    legal_form: str,
    employee_count: int,
) -> Organisation:
    """Someone registers their organisation as an applicant and becomes its administrator."""
    organisation = Organisation(
        name=name,
        kind=Organisation.Kind.APPLICANT,
        sector=sector,
        region=region,
        legal_form=legal_form,
        employee_count=employee_count,
    )
    organisation.full_clean()
    organisation.save()
    membership_create(user=user, organisation=organisation, role=Role.APPLICANT_ADMIN)
    return organisation


@transaction.atomic
def unit_create(
    *,
    membership: Membership,
    name: str,
    region: str,
    employee_count: int,
) -> Organisation:
    """A headquarters adds a unit to its corporate programme."""
    headquarters = membership.organisation
    _require_admin(membership, headquarters)
    if headquarters.kind != Organisation.Kind.APPLICANT or headquarters.parent_id:
        raise PermissionDenied(_("Only an applicant headquarters can add units."))
    unit = Organisation(
        name=name,
        kind=Organisation.Kind.APPLICANT,
        sector=headquarters.sector,
        region=region,
        legal_form=headquarters.legal_form,
        employee_count=employee_count,
        parent=headquarters,
    )
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def organisation_update(
    *, membership: Membership, organisation: Organisation, **fields: Any
) -> None:
    _require_admin(membership, organisation)
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    organisation.save()


@transaction.atomic
def site_save(*, membership: Membership, site: Site) -> Site:
    """Create or update a site; only one site of an organisation is its central function."""
    _require_admin(membership, site.organisation)
    site.full_clean()
    site.save()
    if site.is_central_function:
        Site.objects.filter(organisation=site.organisation, is_central_function=True).exclude(
            pk=site.pk
        ).update(is_central_function=False)
    return site


@transaction.atomic
def site_delete(*, membership: Membership, site: Site) -> None:
    _require_admin(membership, site.organisation)
    site.delete()


@transaction.atomic
def invitation_create(
    *, membership: Membership, email: str, role: str, organisation: Organisation | None = None
) -> Invitation:
    organisation = organisation or membership.organisation
    _require_admin(membership, organisation)
    email = email.strip().lower()
    if role not in ROLES_BY_KIND[organisation.kind]:
        raise ValidationError({"role": _("That role does not exist in this kind of organisation.")})
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    Invitation.objects.filter(
        organisation=organisation, email=email, accepted_at=None, revoked_at=None
    ).update(revoked_at=timezone.now())
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=membership.user,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    from .tasks import send_invitation

    transaction.on_commit(lambda: send_invitation.delay(invitation.pk))
    return invitation


def invitation_send(*, invitation_id: int) -> None:
    """Email the invitation link; an invitation withdrawn or accepted meanwhile is not sent."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not invitation.is_open:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[invitation.token])
    context = {"invitation": invitation, "link": link, "days": INVITATION_DAYS}
    send_mail(
        subject=_("You are invited to join %(organisation)s on Customer Voice")
        % {"organisation": invitation.organisation.name},
        message=render_to_string("organisations/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_revoke(*, membership: Membership, invitation: Invitation) -> None:
    _require_admin(membership, invitation.organisation)
    if invitation.accepted_at:
        raise ValidationError(_("This invitation has already been accepted."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(token=token)
    )
    if not invitation.is_open:
        raise ValidationError(_("This invitation has expired or been withdrawn."))
    if user.email.lower() != invitation.email:
        raise ValidationError(
            _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    existing = Membership.objects.filter(user=user, organisation=invitation.organisation).first()
    membership = existing or membership_create(
        user=user, organisation=invitation.organisation, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, target: Membership, role: str) -> None:
    _require_admin(membership, target.organisation)
    if target.role in (Role.APPLICANT_ADMIN, Role.CB_MANAGER, Role.SCHEME_ADMIN):
        _ensure_another_admin(target)
    target.role = role
    target.full_clean()
    target.save(update_fields=["role"])
    _sync_staff(target.user)


@transaction.atomic
def membership_remove(*, membership: Membership, target: Membership) -> None:
    _require_admin(membership, target.organisation)
    if target.is_admin:
        _ensure_another_admin(target)
    target.delete()
    _sync_staff(target.user)


def _ensure_another_admin(target: Membership) -> None:
    # Locks all of the organisation's admins (the target too), so two admins
    # removing each other at the same moment cannot leave it with none.
    admins = Membership.objects.select_for_update().filter(
        organisation=target.organisation, role=target.role
    )
    if not [m for m in admins if m.pk != target.pk]:
        raise ValidationError(_("An organisation must keep at least one administrator."))
