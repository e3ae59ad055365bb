"""Case studies: a holder's account of a practice that works. Its administrators and
editors write one and submit it; the scheme unit approves it (it is published) or returns
it with a note, and the author changes it and submits it again. Only approved case
studies are public: the library searches them by words, sector and criterion, and the
standard's element pages list those tagged with the element."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import Certificate
from common.text import clean_text
from organisations.models import Membership, Organisation, Role
from organisations.policy import acts_for
from standard.models import Criterion, Element
from standard.selectors import public_standards

from .models import CaseStudy

AUTHOR_ROLES = {Role.APPLICANT_ADMIN, Role.APPLICANT_EDITOR}
EDITABLE = {CaseStudy.Status.DRAFT, CaseStudy.Status.RETURNED}
PAGE_SIZE = 20
MAX_QUERY_LENGTH = 100
MAX_WORDS = 8


@dataclass
class CaseStudyInput:
    criterion: Criterion
    elements: list[Element]
    title: str
    summary: str
    body: str
    contact: str = ""


def may_write(membership: Membership | None, organisation: Organisation) -> bool:
    return (
        membership is not None
        and membership.role in AUTHOR_ROLES
        and acts_for(membership, organisation)
    )


def _require_author(membership: Membership | None, organisation: Organisation) -> None:
    if not may_write(membership, organisation):
        raise PermissionDenied(_("Only the organisation's administrators and editors can do this."))


def _require_reviewer(membership: Membership | None) -> None:
    if membership is None or membership.role != Role.SCHEME_ADMIN:
        raise PermissionDenied(_("Only scheme administrators review case studies."))


def is_holder(organisation: Organisation) -> bool:
    """Holds a valid certificate, itself or through its headquarters' certificate that
    covers it (one naming no units covers them all)."""
    certificates = Certificate.objects.filter(status=Certificate.Status.ACTIVE)
    if certificates.filter(holder=organisation).exists():
        return True
    if organisation.parent_id is None:
        return False
    of_headquarters = certificates.filter(holder=organisation.parent_id)
    return of_headquarters.filter(Q(units=organisation) | Q(units__isnull=True)).exists()


def _check(data: CaseStudyInput) -> None:
    errors = {}
    for name in ("title", "summary", "body"):
        if not getattr(data, name).strip():
            errors[name] = {
                "title": _("Enter a title."),
                "summary": _("Enter a summary."),
                "body": _("Say what you did and what changed."),
            }[name]
    if any(element.criterion_id != data.criterion.pk for element in data.elements):
        errors["elements"] = _("Choose elements of the criterion the case study is about.")
    if errors:
        raise ValidationError(errors)


def _apply(case_study: CaseStudy, data: CaseStudyInput) -> CaseStudy:
    case_study.criterion = data.criterion
    case_study.title = data.title.strip()
    case_study.summary = data.summary.strip()
    case_study.body = data.body.strip()
    case_study.contact = data.contact.strip()
    case_study.full_clean(exclude=["written_by", "organisation"])
    case_study.save()
    case_study.elements.set(data.elements)
    return case_study


@transaction.atomic
def case_study_create(*, membership: Membership, data: CaseStudyInput) -> CaseStudy:
    """A draft for the membership's own organisation, which must be a holder."""
    organisation = membership.organisation if membership else None
    if organisation is None or organisation.kind != Organisation.Kind.APPLICANT:
        raise PermissionDenied(_("Only holders write case studies."))
    _require_author(membership, organisation)
    if not is_holder(organisation):
        raise ValidationError(
            _("Only holders of a valid certificate can share case studies in the library.")
        )
    _check(data)
    case_study = CaseStudy(organisation=organisation, written_by=membership)
    return _apply(case_study, data)


def _locked(case_study: CaseStudy) -> CaseStudy:
    return (
        CaseStudy.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=case_study.pk)
    )


@transaction.atomic
def case_study_update(
    *, membership: Membership, case_study: CaseStudy, data: CaseStudyInput
) -> CaseStudy:
    case_study = _locked(case_study)
    _require_author(membership, case_study.organisation)
    if case_study.status not in EDITABLE:
        raise ValidationError(
            _("This case study is waiting for approval or published, so it cannot be changed.")
        )
    _check(data)
    return _apply(case_study, data)


@transaction.atomic
def case_study_submit(*, membership: Membership, case_study: CaseStudy) -> CaseStudy:
    case_study = _locked(case_study)
    _require_author(membership, case_study.organisation)
    if case_study.status not in EDITABLE:
        raise ValidationError(_("This case study has already been submitted."))
    if not is_holder(case_study.organisation):
        raise ValidationError(
            _("Only holders of a valid certificate can share case studies in the library.")
        )
    case_study.status = CaseStudy.Status.SUBMITTED
    case_study.save(update_fields=["status", "updated_at"])
    return case_study


def _require_submitted(case_study: CaseStudy) -> None:
    if case_study.status != CaseStudy.Status.SUBMITTED:
        raise ValidationError(_("This case study is not waiting for approval."))


@transaction.atomic
def case_study_approve(
    *, membership: Membership, case_study: CaseStudy, note: str = ""
) -> CaseStudy:
    """Publish it in the library."""
    _require_reviewer(membership)
    case_study = _locked(case_study)
    _require_submitted(case_study)
    case_study.status = CaseStudy.Status.APPROVED
    case_study.reviewed_by = membership
    case_study.review_note = note.strip()
    case_study.published_at = timezone.now()
    case_study.save()
    return case_study


@transaction.atomic
def case_study_return(*, membership: Membership, case_study: CaseStudy, note: str) -> CaseStudy:
    """Send it back to its author with a note of what to change."""
    _require_reviewer(membership)
    case_study = _locked(case_study)
    _require_submitted(case_study)
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Tell the author what to change.")})
    case_study.status = CaseStudy.Status.RETURNED
    case_study.reviewed_by = membership
    case_study.review_note = note
    case_study.save()
    return case_study


# Reads --------------------------------------------------------------------------------


def published() -> QuerySet:
    """Approved case studies: public, so this read is not scoped to a person."""
    return CaseStudy.objects.filter(status=CaseStudy.Status.APPROVED).select_related(
        "organisation__sector", "criterion__standard"
    )


def words_filter(queryset: QuerySet, q: str) -> QuerySet:
    """Case studies with every word of `q` in their title, summary, body or
    organisation's name."""
    for word in q.split()[:MAX_WORDS]:
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(body__icontains=word)
            | Q(organisation__name__icontains=word)
        )
    return queryset


def filter_case_studies(
    queryset: QuerySet, *, q: str = "", sector: str = "", criterion: str = "", element: str = ""
) -> QuerySet:
    """Filtered by words, sector slug, criterion slug and element code."""
    queryset = words_filter(queryset, q)
    if sector:
        queryset = queryset.filter(organisation__sector__slug=sector)
    if criterion:
        queryset = queryset.filter(criterion__slug=criterion)
    if element:
        queryset = queryset.filter(elements__code=element).distinct()
    return queryset


@dataclass(frozen=True)
class LibraryQuery:
    q: str = ""
    sector: str = ""
    criterion: str = ""
    page: str = "1"

    @classmethod
    def from_params(cls, params) -> "LibraryQuery":
        def text(name, limit):
            return clean_text(params.get(name, ""))[:limit]

        return cls(
            q=text("q", MAX_QUERY_LENGTH),
            sector=text("sector", 50),
            criterion=text("criterion", 50),
            page=text("page", 10) or "1",
        )

    def params(self) -> str:
        pairs = [("q", self.q), ("sector", self.sector), ("criterion", self.criterion)]
        return urlencode([(name, value) for name, value in pairs if value])


def library_search(query: LibraryQuery) -> Page:
    found = filter_case_studies(
        published(), q=query.q, sector=query.sector, criterion=query.criterion
    ).order_by("-published_at", "-pk")
    return Paginator(found, PAGE_SIZE).get_page(query.page)


def library_criteria() -> list[tuple[str, str]]:
    """(slug, title) of the criteria case studies are filed under, by number."""
    rows = (
        Criterion.objects.filter(standard__in=public_standards())
        .order_by("number", "-standard__published_on")
        .values_list("slug", "title")
    )
    seen = {}
    for slug, title in rows:
        seen.setdefault(slug, title)
    return list(seen.items())


def published_case_study(pk: int) -> CaseStudy | None:
    return published().prefetch_related("elements__criterion__standard").filter(pk=pk).first()


def published_for_element(element: Element) -> list[CaseStudy]:
    """The published case studies tagged with the element, newest first."""
    return list(published().filter(elements=element).order_by("-published_at", "-pk"))


def awaiting_review() -> QuerySet:
    return (
        CaseStudy.objects.filter(status=CaseStudy.Status.SUBMITTED)
        .select_related("organisation", "criterion", "written_by__user")
        .order_by("updated_at", "pk")
    )
