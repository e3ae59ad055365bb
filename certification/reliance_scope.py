"""What a regulator may read of the organisations of its sector that consented to its
reliance, and nothing more: decided work only. Per organisation, its certificates and
their history, the latest decided assessment with its findings and decision, the actions
from decided assessments still open, and the latest survey that meets the method; and
the consents given to the regulator.

The one place that says it: `register` hands each rule to the tenancy policy (when the
app is ready), so every page, export and API route that reads through `visible_to`
shows a regulator exactly this. An assessment under way, its team, plan and visits,
and any other survey stay out of reach.
"""

from django.db.models import OuterRef, Q, Subquery

from organisations import policy
from organisations.models import RegulatorConsent
from surveys.models import Survey

from .models import (
    LATEST_REPORTED_FIRST,
    Certificate,
    CertificateEvent,
    Decision,
    Engagement,
    Finding,
    FindingAction,
)

OPEN_ACTION_STATUSES = [
    FindingAction.Status.OPEN,
    FindingAction.Status.SUBMITTED,
    FindingAction.Status.REJECTED,
]


def _relied_on(membership):
    return policy.relied_on_organisations(membership)


def certificates(membership):
    return Certificate.objects.filter(holder__in=_relied_on(membership))


def certificate_events(membership):
    return CertificateEvent.objects.filter(certificate__in=certificates(membership))


def engagements(membership):
    """Each organisation's latest decided assessment (as the reliance pages order them)."""
    decided = Engagement.objects.filter(status=Engagement.Status.DECIDED)
    latest = decided.filter(application__applicant=OuterRef("application__applicant")).order_by(
        *LATEST_REPORTED_FIRST
    )
    return decided.filter(
        application__applicant__in=_relied_on(membership),
        pk=Subquery(latest.values("pk")[:1]),
    )


def findings(membership):
    return Finding.objects.filter(engagement__in=engagements(membership))


def decisions(membership):
    """Decisions on the certificates, and the decision on the latest decided assessment."""
    return Decision.objects.filter(
        Q(certificate__in=certificates(membership)) | Q(engagement__in=engagements(membership))
    )


def open_actions(membership):
    """What the organisations must still do about the gaps decided assessments found."""
    return FindingAction.objects.filter(
        finding__engagement__application__applicant__in=_relied_on(membership),
        finding__engagement__status=Engagement.Status.DECIDED,
        status__in=OPEN_ACTION_STATUSES,
    )


def surveys(membership):
    """Each organisation's latest survey that meets the scheme's method."""
    meeting = Survey.objects.filter(method_meets=True)
    latest = meeting.filter(organisation=OuterRef("organisation")).order_by("-period_end", "-pk")
    return meeting.filter(
        organisation__in=_relied_on(membership), pk=Subquery(latest.values("pk")[:1])
    )


def consents(membership):
    """Consents given to the regulator, live or withdrawn."""
    return RegulatorConsent.objects.filter(regulator=membership.organisation_id)


RULES = {
    Certificate: certificates,
    CertificateEvent: certificate_events,
    Engagement: engagements,
    Finding: findings,
    Decision: decisions,
    FindingAction: open_actions,
    Survey: surveys,
    RegulatorConsent: consents,
}


def register() -> None:
    for model, rows in RULES.items():
        policy.register_reliance(model, rows)
