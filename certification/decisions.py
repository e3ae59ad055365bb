"""Decisions and what they do to certificates.

A decision is made by a certification manager of the body who was not on the assessment
team, is never edited (a later one supersedes it), and every change it makes to a
certificate is recorded as a `CertificateEvent`.
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from organisations.models import Membership, Role

from . import selectors
from .models import (
    CYCLE_YEARS,
    Application,
    BodyProfile,
    Certificate,
    CertificateEvent,
    Decision,
    Engagement,
)
from .signals import certificate_decided

Kind = Decision.Kind
Status = Certificate.Status
CERTIFYING = {Kind.CERTIFY, Kind.CERTIFY_WITH_CONDITIONS}
# What each decision on a certificate (not an engagement) needs the certificate to be.
ON_CERTIFICATE: dict[str, set[str]] = {
    Kind.SUSPEND: {Status.ACTIVE},
    Kind.WITHDRAW: {Status.ACTIVE, Status.SUSPENDED},
    Kind.REINSTATE: {Status.SUSPENDED},
}
REVIEW_MONTHS = 12


def next_review_after(day: datetime.date) -> datetime.date:
    return day + relativedelta(months=REVIEW_MONTHS)


def _require_decider(membership: Membership, body_id: int, engagement: Engagement | None):
    if (
        membership is None
        or membership.organisation_id != body_id
        or membership.role != Role.CB_MANAGER
    ):
        raise PermissionDenied(_("Only the certification body's managers make decisions."))
    if engagement is not None and selectors.is_on_any_team(membership, engagement):
        raise PermissionDenied(
            _("You were on the assessment team: someone independent of it must decide.")
        )


def _latest(certificate: Certificate | None, engagement: Engagement | None) -> Decision | None:
    decisions = Decision.objects.none()
    if certificate is not None:
        decisions = Decision.objects.filter(certificate=certificate)
    elif engagement is not None:
        decisions = Decision.objects.filter(engagement=engagement)
    return decisions.order_by("-decided_at", "-pk").first()


@transaction.atomic
def decision_on_engagement(
    *,
    membership: Membership,
    engagement: Engagement,
    kind: str,
    reasons: str,
    conditions: str = "",
) -> Decision:
    """Decide on a reported engagement: certify (with or without conditions) or refuse."""
    # The application is locked too: its certificate is decided one decision at a time.
    engagement = (
        Engagement.objects.select_for_update(of=("self", "application"))
        .select_related("application__applicant", "standard")
        .get(pk=engagement.pk)
    )
    application = engagement.application
    _require_decider(membership, application.certification_body_id, engagement)
    if engagement.status != Engagement.Status.REPORTED:
        raise ValidationError(_("Only a reported engagement can be decided."))
    if kind not in CERTIFYING | {Kind.REFUSE}:
        raise ValidationError({"kind": _("Choose certify, certify with conditions or refuse.")})
    _check_words(kind, reasons, conditions)
    today = timezone.localdate()
    certificate = selectors.current_certificate(application)
    if kind in CERTIFYING:
        _require_accredited(application.certification_body_id, today)
    decision = Decision.objects.create(
        engagement=engagement,
        certificate=certificate,
        certification_body_id=application.certification_body_id,
        holder_id=application.applicant_id,
        kind=kind,
        reasons=reasons,
        conditions=conditions,
        decided_by=membership.user,
        supersedes=_latest(certificate, None) if certificate else None,
    )
    if kind in CERTIFYING:
        certificate = _certify(engagement, certificate, decision, today)
    elif certificate is not None:
        # Refusal at a review or reassessment ends the certificate.
        _change(certificate, Status.WITHDRAWN, CertificateEvent.Kind.WITHDRAWN, today, decision)
    if certificate is not None and decision.certificate_id is None:
        decision.certificate = certificate
        decision.save(update_fields=["certificate"])
    engagement.status = Engagement.Status.DECIDED
    engagement.save(update_fields=["status"])
    if certificate is not None:
        certificate_decided.send(sender=Decision, sector_id=application.applicant.sector_id)
    return decision


@transaction.atomic
def decision_on_certificate(
    *, membership: Membership, certificate: Certificate, kind: str, reasons: str
) -> Decision:
    """Suspend, withdraw or reinstate a certificate outside an engagement."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    _require_decider(membership, certificate.certification_body_id, None)
    if kind not in ON_CERTIFICATE:
        raise ValidationError({"kind": _("Choose suspend, withdraw or reinstate.")})
    if certificate.status not in ON_CERTIFICATE[kind]:
        raise ValidationError(
            _("A %(status)s certificate cannot be given this decision.")
            % {"status": certificate.get_status_display().lower()}
        )
    _check_words(kind, reasons, "")
    today = timezone.localdate()
    if kind == Kind.REINSTATE:
        _require_accredited(certificate.certification_body_id, today)
        if certificate.next_review_due < today:
            raise ValidationError(
                _("The review is overdue: reinstate by deciding on an annual review instead.")
            )
    decision = Decision.objects.create(
        certificate=certificate,
        certification_body_id=certificate.certification_body_id,
        holder_id=certificate.holder_id,
        kind=kind,
        reasons=reasons,
        decided_by=membership.user,
        supersedes=_latest(certificate, None),
    )
    outcomes: dict[str, tuple[str, str]] = {
        Kind.SUSPEND: (Status.SUSPENDED, CertificateEvent.Kind.SUSPENDED),
        Kind.WITHDRAW: (Status.WITHDRAWN, CertificateEvent.Kind.WITHDRAWN),
        Kind.REINSTATE: (Status.ACTIVE, CertificateEvent.Kind.REINSTATED),
    }
    new_status, event = outcomes[kind]
    _change(certificate, new_status, event, today, decision)
    certificate_decided.send(sender=Decision, sector_id=certificate.holder.sector_id)
    return decision


def _check_words(kind: str, reasons: str, conditions: str) -> None:
    if not reasons.strip():
        raise ValidationError({"reasons": _("Give the reasons for the decision.")})
    if kind == Kind.CERTIFY_WITH_CONDITIONS and not conditions.strip():
        raise ValidationError({"conditions": _("Say what the conditions are.")})


def _require_accredited(body_id: int, today: datetime.date) -> None:
    profile = BodyProfile.objects.filter(organisation_id=body_id).first()
    if profile is None or not profile.is_accredited(today):
        raise ValidationError(
            _("Your body is not accredited at present, so it cannot issue or renew certificates.")
        )


def _certify(
    engagement: Engagement, certificate: Certificate | None, decision: Decision, today
) -> Certificate:
    if certificate is None:
        return _issue(engagement, decision, today)
    certificate.issue_date = today
    certificate.next_review_due = next_review_after(today)
    if engagement.kind == Engagement.Kind.REASSESSMENT:
        certificate.cycle_expires = today + relativedelta(years=CYCLE_YEARS)
        certificate.standard = engagement.standard
        event = CertificateEvent.Kind.REISSUED
    else:
        event = CertificateEvent.Kind.RENEWED
    certificate.save(update_fields=["issue_date", "next_review_due", "cycle_expires", "standard"])
    _change(certificate, Status.ACTIVE, event, today, decision)
    return certificate


def holder_details(application: Application) -> dict:
    """A new certificate's fields that come from its application: the holder and body,
    and the holder's name, sector and region as they stand on the day of issue."""
    holder = application.applicant
    return {
        "holder": holder,
        "certification_body_id": application.certification_body_id,
        "application": application,
        "holder_name": holder.name,
        "holder_sector_id": holder.sector_id,
        "holder_region": holder.region,
    }


def _issue(engagement: Engagement, decision: Decision, today) -> Certificate:
    application = engagement.application
    holder = application.applicant
    units = list(application.units.all())
    central = holder.sites.filter(is_central_function=True).first() or holder.sites.first()
    certificate = Certificate.objects.create(
        number=f"pending-{engagement.pk}",
        **holder_details(application),
        main_site_address=central.address if central else "",
        scope=_scope_text(holder, units, application.scope_note),
        standard=engagement.standard,
        original_issue_date=today,
        issue_date=today,
        next_review_due=next_review_after(today),
        cycle_expires=today + relativedelta(years=CYCLE_YEARS),
        status_changed_on=today,
    )
    certificate.number = f"CV-{today.year}-{certificate.pk:06d}"
    certificate.save(update_fields=["number"])
    certificate.units.set(units)
    _record(certificate, CertificateEvent.Kind.ISSUED, today, decision)
    _queue_pdf(certificate)
    return certificate


def _scope_text(holder, units, note: str) -> str:
    if units:
        scope = _("%(holder)s: %(units)s") % {
            "holder": holder.name,
            "units": ", ".join(unit.name for unit in units),
        }
    else:
        scope = _("The whole of %(holder)s") % {"holder": holder.name}
    return f"{scope}. {note}".strip() if note else scope


def _change(certificate: Certificate, status: str, event: str, today, decision=None, note=""):
    certificate.status, certificate.status_changed_on = status, today
    certificate.version = F("version") + 1
    certificate.save(update_fields=["status", "status_changed_on", "version"])
    certificate.refresh_from_db(fields=["version"])
    _record(certificate, event, today, decision, note)
    _queue_pdf(certificate)


def _record(certificate: Certificate, kind: str, today, decision=None, note="") -> None:
    CertificateEvent.objects.create(
        certificate=certificate,
        kind=kind,
        happened_on=today,
        decision=decision,
        note=note,
        status_after=certificate.status,
        next_review_due=certificate.next_review_due,
    )


def _queue_pdf(certificate: Certificate) -> None:
    """The certificate's PDF is built again after the commit, in the background."""
    from .tasks import build_certificate_pdf

    pk = certificate.pk
    transaction.on_commit(lambda: build_certificate_pdf.delay(pk))
