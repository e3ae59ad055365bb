"""Nominations of teams and people for an award, by a current holder's administrator (for
its own organisation, or a unit of its programme) or a certification body's manager (for
a holder it certifies).

A nomination waits for its nominee's consent: the nominee gets an emailed link to a
public page where they consent or refuse, once. Only a consented nomination is submitted
to the judges. The nominator may withdraw it until nominations close.
"""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import Certificate
from organisations.models import Membership, Organisation, Role
from organisations.policy import acting_organisations

from .models import AwardCycle, Category, Entry
from .selectors import Stage, cycle_stage

NOMINATING_ROLES = (Role.APPLICANT_ADMIN, Role.CB_MANAGER)
NOMINATED_LEVELS = (Category.Level.TEAM, Category.Level.INDIVIDUAL)
OPEN_STATUSES = (Entry.Status.AWAITING_CONSENT, Entry.Status.SUBMITTED)


# Reads --------------------------------------------------------------------------------


def nominations_are_open(cycle: AwardCycle, today: datetime.date | None = None) -> bool:
    return cycle_stage(cycle, today) == Stage.NOMINATIONS


def current_holders() -> QuerySet[Organisation]:
    """Organisations with a valid certificate, as holder or as a unit in its scope.
    A suspended holder may not display the mark, so it is not put up for awards."""
    active = Certificate.objects.filter(status=Certificate.Status.ACTIVE)
    return Organisation.objects.filter(
        Q(pk__in=active.values("holder")) | Q(pk__in=active.values("units"))
    )


def nominable_organisations(membership: Membership | None) -> QuerySet[Organisation]:
    """The current holders this membership may nominate a team or person of."""
    if membership is None or membership.role not in NOMINATING_ROLES:
        return Organisation.objects.none()
    holders = current_holders()
    if membership.role == Role.CB_MANAGER:
        certified = Certificate.objects.filter(
            certification_body=membership.organisation_id, status=Certificate.Status.ACTIVE
        )
        return holders.filter(
            Q(pk__in=certified.values("holder")) | Q(pk__in=certified.values("units"))
        ).order_by("name")
    return holders.filter(pk__in=acting_organisations(membership).values("pk")).order_by("name")


def open_categories(today: datetime.date | None = None) -> QuerySet[Category]:
    """Team and individual categories of cycles whose nominations are open."""
    today = today or timezone.localdate()
    return Category.objects.filter(
        level__in=NOMINATED_LEVELS,
        cycle__nominations_open__lte=today,
        cycle__nominations_close__gte=today,
    ).select_related("cycle", "criterion", "sector")


def nominations_visible_to(membership: Membership | None) -> QuerySet[Entry]:
    """Nominations the membership may read: those of organisations it sees (its own, its
    units'; everything for the scheme unit) and those its organisation made."""
    if membership is None:
        return Entry.objects.none()
    mine = Entry.objects.visible_to(membership) | Entry.objects.filter(
        nominated_by__organisation=membership.organisation_id
    )
    return (
        mine.filter(source=Entry.Source.NOMINATION)
        .select_related(
            "category__cycle", "category__criterion", "category__sector", "organisation"
        )
        .select_related("nominated_by__user")
        .order_by("-created_at", "-pk")
    )


def nominator_may_withdraw(membership: Membership, entry: Entry) -> bool:
    return (
        entry.source == Entry.Source.NOMINATION
        and entry.status in OPEN_STATUSES
        and _made_by_organisation_of(membership, entry)
        and membership.role in NOMINATING_ROLES
        and timezone.localdate() <= entry.category.cycle.nominations_close
        and not entry.scores.exists()
    )


def entry_for_consent(token: str) -> Entry | None:
    if not token:
        return None
    return (
        Entry.objects.select_related("category__cycle", "category__criterion", "organisation")
        .filter(consent_token=token, source=Entry.Source.NOMINATION)
        .first()
    )


def _made_by_organisation_of(membership: Membership, entry: Entry) -> bool:
    return (
        entry.nominated_by_id is not None
        and entry.nominated_by.organisation_id == membership.organisation_id
    )


# Changes ------------------------------------------------------------------------------


@transaction.atomic
def nomination_create(
    *,
    membership: Membership,
    category: Category,
    organisation: Organisation,
    nominee_name: str,
    nominee_email: str,
    statement: str,
    evidence: str,
) -> Entry:
    """Nominate a team or person; the nominee is emailed a link to consent."""
    if membership.role not in NOMINATING_ROLES:
        raise PermissionDenied(_("Only administrators and certification managers nominate."))
    if not nominable_organisations(membership).filter(pk=organisation.pk).exists():
        raise ValidationError(
            {"organisation": _("Choose a current holder you may nominate a team or person of.")}
        )
    if category.level not in NOMINATED_LEVELS:
        raise ValidationError(
            {"category": _("Organisations are put forward from the evidence, not nominated.")}
        )
    if not nominations_are_open(category.cycle):
        raise ValidationError({"category": _("Nominations for this cycle are not open.")})
    if organisation.sector_id != category.sector_id:
        raise ValidationError(
            {"category": _("Choose a category of the sector the organisation serves.")}
        )
    entry = Entry(
        category=category,
        organisation=organisation,
        source=Entry.Source.NOMINATION,
        status=Entry.Status.AWAITING_CONSENT,
        nominee_name=nominee_name.strip(),
        nominee_email=nominee_email.strip().lower(),
        statement=statement.strip(),
        evidence=evidence.strip(),
        consent_token=secrets.token_urlsafe(32),
        nominated_by=membership,
    )
    entry.full_clean()
    for field, message in (
        ("nominee_name", _("Enter the name of the team or person.")),
        ("nominee_email", _("Enter the nominee's email address.")),
        ("statement", _("Say why they deserve the award.")),
    ):
        if not getattr(entry, field):
            raise ValidationError({field: message})
    entry.save()
    from .tasks import send_consent_request

    transaction.on_commit(lambda: send_consent_request.delay(entry.pk))
    return entry


def consent_request_send(*, entry_id: int) -> None:
    """Email the nominee the link to consent; not sent once they have answered."""
    entry = entry_for_consent_by_id(entry_id)
    if entry is None or entry.status != Entry.Status.AWAITING_CONSENT:
        return
    path = reverse("awards:consent", args=[entry.consent_token])
    context = {"entry": entry, "link": settings.SITE_URL.rstrip("/") + path}
    send_mail(
        subject=_("You have been nominated for a Customer Voice award"),
        message=render_to_string("awards/nomination_consent_email.txt", context),
        from_email=None,
        recipient_list=[entry.nominee_email],
    )


def entry_for_consent_by_id(entry_id: int) -> Entry | None:
    return (
        Entry.objects.select_related(
            "category__cycle", "category__criterion", "organisation", "nominated_by__user"
        )
        .filter(pk=entry_id, source=Entry.Source.NOMINATION)
        .first()
    )


@transaction.atomic
def nomination_answer(*, token: str, consent: bool) -> Entry:
    """The nominee consents (the nomination is submitted) or refuses, once."""
    entry = Entry.objects.select_for_update().filter(consent_token=token).first()
    if entry is None or entry.source != Entry.Source.NOMINATION:
        raise ValidationError(_("This link is not valid."))
    if entry.status != Entry.Status.AWAITING_CONSENT:
        raise ValidationError(_("This nomination has already been answered or withdrawn."))
    entry.status = Entry.Status.SUBMITTED if consent else Entry.Status.DECLINED
    entry.consented_at = timezone.now() if consent else None
    entry.save(update_fields=["status", "consented_at"])
    return entry


@transaction.atomic
def nomination_withdraw(*, membership: Membership, entry: Entry) -> Entry:
    entry = (
        Entry.objects.select_for_update(of=("self",))
        .select_related("category__cycle")
        .get(pk=entry.pk)
    )
    if not _made_by_organisation_of(membership, entry) or membership.role not in NOMINATING_ROLES:
        raise PermissionDenied(_("Only the nominating organisation withdraws a nomination."))
    if not nominator_may_withdraw(membership, entry):
        raise ValidationError(_("This nomination can no longer be withdrawn."))
    entry.status = Entry.Status.WITHDRAWN
    entry.save(update_fields=["status"])
    return entry
