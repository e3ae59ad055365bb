"""The assessment report of an engagement: a PDF built in the background as a
`ReportJob` (the shared machinery in `common.jobs`), for the certification body that
holds the engagement and, once it is reported, for the holder."""

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from assessments.models import RatingValue
from common import jobs
from common.pdf import css_string, page_counter_css, render_pdf
from organisations.models import Membership, Organisation, Role
from organisations.policy import acts_for

from . import reliance, reliance_scope, selectors
from .models import Engagement, FindingAction, PlannedElement, ReportJob

PDF_TEMPLATE = "certification/report/engagement_report_pdf.html"
FINISHED = (Engagement.Status.REPORTED, Engagement.Status.DECIDED)


# Who reads the report -----------------------------------------------------------------


def may_read_report(membership: Membership | None, engagement: Engagement) -> bool:
    """The body's managers and the assessment team at any time; the holder (and its
    headquarters) and the scheme unit once the assessment is reported."""
    if membership is None:
        return False
    if membership.organisation_id == engagement.application.certification_body_id:
        return membership.role == Role.CB_MANAGER or selectors.is_on_any_team(
            membership, engagement
        )
    if engagement.status not in FINISHED:
        return False
    if membership.organisation.kind == Organisation.Kind.SCHEME_UNIT:
        return True
    return acts_for(membership, engagement.holder)


# Starting and watching a report ---------------------------------------------------------


@transaction.atomic
def report_job_start(*, membership: Membership, engagement: Engagement) -> ReportJob:
    """Ask for an engagement's assessment report; a job of this person's still waiting
    to start is queued again rather than a second made."""
    # Imported here: the task module imports this one.
    from .tasks import build_engagement_report

    return jobs.pdf_job_start(
        model=ReportJob,
        membership=membership,
        owner_field="engagement",
        owner=engagement,
        task=build_engagement_report,
        allowed=may_read_report(membership, engagement),
    )


def report_job_run(*, job_id: int) -> None:
    """Build the PDF of a pending job; safe to call again (see `jobs.pdf_job_run`)."""
    jobs.pdf_job_run(
        model=ReportJob,
        job_id=job_id,
        related=(
            "engagement__application__applicant__sector",
            "engagement__application__certification_body",
            "engagement__standard",
            "requested_by",
        ),
        build=_build,
        name="assessment report",
    )


def _build(job: ReportJob) -> tuple[str, bytes]:
    context = report_context(job.engagement, requested_by=job.requested_by)
    jobs.pdf_job_set_progress(job, 30)
    html = render_to_string(PDF_TEMPLATE, context)
    jobs.pdf_job_set_progress(job, 50)
    return report_filename(job.engagement), render_pdf(html)


def report_filename(engagement: Engagement) -> str:
    holder = slugify(engagement.application.applicant.name)[:60] or "organisation"
    return f"assessment-report-{holder}-{engagement.pk}.pdf"


# What the PDF shows -------------------------------------------------------------------


def report_context(engagement: Engagement, *, requested_by=None) -> dict:
    """Everything the report shows: the engagement, its plan and why, the visits, the
    findings by criterion, strengths and compliance plus, the actions and the decision."""
    findings = list(
        engagement.findings.select_related("element__criterion", "site").order_by(
            "element__criterion__number", "element__position"
        )
    )
    actions = list(
        FindingAction.objects.filter(finding__engagement=engagement)
        .select_related("finding__element__criterion")
        .order_by("finding__element__criterion__number", "finding__element__position")
    )
    open_actions = [a for a in actions if a.status in reliance_scope.OPEN_ACTION_STATUSES]
    outcomes = reliance.criterion_outcomes(engagement.standard, findings, open_actions)
    by_criterion: dict[int, list] = {}
    for finding in findings:
        by_criterion.setdefault(finding.element.criterion_id, []).append(finding)
    element_reasons: dict[str, int] = {}
    for reason in engagement.elements.values_list("reason", flat=True):
        element_reasons[reason] = element_reasons.get(reason, 0) + 1
    return {
        "engagement": engagement,
        "holder": engagement.holder,
        "body": engagement.certification_body,
        "standard": engagement.standard,
        "team": list(engagement.team.select_related("user").order_by("user__email")),
        "sites": list(engagement.sites.select_related("site__organisation")),
        "element_reasons": [
            (label, element_reasons[value])
            for value, label in PlannedElement.Reason.choices
            if value in element_reasons
        ],
        "plan_changes": list(engagement.plan_changes.select_related("changed_by")),
        "visits": list(engagement.visits.select_related("site", "recorded_by")),
        "criteria": [
            {"outcome": outcome, "findings": by_criterion.get(outcome.criterion.pk, [])}
            for outcome in outcomes
        ],
        "rating_labels": [str(label) for label in RatingValue.labels],
        "relied_count": sum(1 for f in findings if f.relied_on_self_assessment),
        "compliance_plus": [f for f in findings if f.rating == RatingValue.COMPLIANCE_PLUS],
        "actions": actions,
        "decision": engagement.decisions.select_related("decided_by", "certificate")
        .order_by("-decided_at", "-pk")
        .first(),
        "requested_by": requested_by,
        "generated_at": timezone.localtime(),
        "page_counter_css": page_counter_css(),
        "footer_css": mark_safe(css_string(_("Customer Voice"))),
    }
