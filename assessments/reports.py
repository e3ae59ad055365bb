"""Gap report exports: the PDF, built in the background as a ReportJob, and the CSV."""

import csv
import io
from dataclasses import dataclass

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from common import jobs
from common.csvsafe import neutralise as spreadsheet_safe
from common.pdf import css_string, page_counter_css, render_pdf
from organisations.models import Membership
from organisations.policy import acts_for
from standard.models import Level, LevelDescriptor
from standard.scales import RATINGS, UNRATED_LABEL, UNRATED_PDF_COLOUR

from . import selectors
from .models import Action, ReportJob, SelfAssessment

PDF_TEMPLATE = "assessments/report/gap_report_pdf.html"


# Starting and watching a report ---------------------------------------------------------


@transaction.atomic
def report_job_start(*, membership: Membership, self_assessment: SelfAssessment) -> ReportJob:
    """Ask for a gap report PDF, for the organisation or its headquarters; a job of this
    person's still waiting to start is queued again rather than a second made."""
    # Imported here: the task module imports this one.
    from .tasks import build_gap_report

    return jobs.pdf_job_start(
        model=ReportJob,
        membership=membership,
        owner_field="self_assessment",
        owner=self_assessment,
        task=build_gap_report,
        # Reports are the organisation's own: a certification body it shared a version
        # with reads that version on screen or as CSV, but builds no PDFs of it.
        allowed=acts_for(membership, self_assessment.organisation),
    )


def report_job_run(*, job_id: int) -> None:
    """Build the PDF of a pending job; safe to call again (see `jobs.pdf_job_run`)."""
    jobs.pdf_job_run(
        model=ReportJob,
        job_id=job_id,
        related=(
            "self_assessment__organisation__sector",
            "self_assessment__standard",
            "requested_by",
        ),
        build=_build,
        name="gap report",
    )


def _build(job: ReportJob) -> tuple[str, bytes]:
    context = report_context(job.self_assessment, requested_by=job.requested_by)
    jobs.pdf_job_set_progress(job, 10)
    html = render_to_string(PDF_TEMPLATE, context)
    jobs.pdf_job_set_progress(job, 60)
    return report_filename(job.self_assessment), render_pdf(html)


def report_filename(self_assessment: SelfAssessment, extension: str = "pdf") -> str:
    organisation = slugify(self_assessment.organisation.name)[:60] or "organisation"
    return f"gap-report-{organisation}-{self_assessment.number}.{extension}"


CHART_LABEL_WIDTH = 120
CHART_BAR_WIDTH = 150
CHART_ROW_HEIGHT = 24
CHART_BAR_HEIGHT = 18


@dataclass
class ChartBar:
    label: str
    count: int
    colour: str
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + 13

    @property
    def count_x(self) -> int:
        return CHART_LABEL_WIDTH + self.width + 5


@dataclass
class Chart:
    bars: list[ChartBar]
    total: int
    label_width: int = CHART_LABEL_WIDTH
    bar_height: int = CHART_BAR_HEIGHT
    width: int = CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 30

    @property
    def height(self) -> int:
        return len(self.bars) * CHART_ROW_HEIGHT + 4

    @property
    def axis_height(self) -> int:
        return self.height - 2


def rating_chart(result) -> Chart:
    """Bars of a criterion's elements by rating, scaled to its number of elements."""
    # Every bar is also labelled with its words and count, not told by colour alone.
    rows = [(r.label, result.counts.get(r.value, 0), r.pdf_colour) for r in RATINGS]
    rows.append((UNRATED_LABEL, result.total - result.rated, UNRATED_PDF_COLOUR))
    bars = []
    total = result.total or 1
    for row, (label, count, colour) in enumerate(rows):
        width = round(count / total * CHART_BAR_WIDTH)
        bars.append(ChartBar(str(label), count, colour, row * CHART_ROW_HEIGHT + 2, width))
    return Chart(bars, result.total)


def report_context(self_assessment: SelfAssessment, *, requested_by=None) -> dict:
    """Everything the PDF shows, read in a fixed number of queries."""
    summary, rows, all_actions, progress = selectors.gap_report(self_assessment)
    descriptors = {
        (d.criterion_id, d.level): d.description
        for d in LevelDescriptor.objects.filter(criterion__standard=self_assessment.standard_id)
    }
    criteria = []
    for result, gaps in rows:
        criteria.append(
            {
                "result": result,
                "next_description": descriptors.get((result.criterion.pk, result.next_level), ""),
                "chart": rating_chart(result),
                "gaps": [
                    {
                        "element": element,
                        "rating": rating,
                        "actions": actions,
                        "inherited": element.pk in summary.inherited,
                    }
                    for element, rating, actions in gaps
                ],
            }
        )
    overdue = sorted((a for a in all_actions if a.is_overdue), key=lambda a: a.due_date)
    reached = [result.level for result in summary.criteria]
    levels = [(level.label, reached.count(level)) for level in Level if level in reached]
    return {
        "sa": self_assessment,
        "organisation": self_assessment.organisation,
        "standard": self_assessment.standard,
        "summary": summary,
        "criteria": criteria,
        "gap_count": sum(len(item["gaps"]) for item in criteria),
        "levels": levels,
        "actions": all_actions,
        "action_counts": [(status.label, progress.get(status, 0)) for status in Action.Status],
        "overdue": overdue,
        "requested_by": requested_by,
        "generated_at": timezone.localtime(),
        "page_counter_css": page_counter_css(),
        "footer_css": mark_safe(css_string(_("Customer Voice"))),
    }


# The CSV ------------------------------------------------------------------------------


def gap_report_csv(self_assessment: SelfAssessment) -> str:
    """One row per element with its rating, narrative, evidence and actions. Starts
    with a byte order mark so that Excel reads it as UTF-8."""
    summary = selectors.overview(self_assessment)
    actions: dict[int, list[Action]] = {}
    for action in Action.objects.filter(self_assessment=self_assessment):
        actions.setdefault(action.element_id, []).append(action)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Criterion"),
            _("Element"),
            _("Title"),
            _("Rating"),
            _("Narrative"),
            _("Evidence"),
            _("Action"),
            _("Owner"),
            _("Due date"),
            _("Action status"),
        ]
    )
    for result in summary.criteria:
        criterion = result.criterion
        for element in criterion.elements.all():
            rating = summary.ratings.get(element.pk)
            own = actions.get(element.pk, [])
            cells = [
                f"{criterion.number}. {criterion.title}",
                element.code,
                element.title,
                rating.get_value_display() if rating and rating.value else _("Not rated"),
                rating.narrative if rating else "",
                _lines(e.title for e in rating.evidence.all()) if rating else "",
                _lines(a.description for a in own),
                _lines(a.owner for a in own),
                _lines(a.due_date.isoformat() if a.due_date else "" for a in own),
                _lines(a.get_status_display() for a in own),
            ]
            writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()


def _lines(values) -> str:
    """Several values in one cell, one a line (an element may have several actions)."""
    return "\n".join(str(v) for v in values)
