"""The public register: certificates searched by name, sector, region, certification body
and status, with counts for each choice; a page per holder; the certificate check; the
organisations publicly committed to the standard; the certification bodies; open data.

The register is public by the scheme's rules: anyone may read it and check a certificate
without signing in. So these reads are not scoped to a person through `visible_to`; each
is limited instead to what the register publishes (certificates, their status history,
the holder's compliance-plus elements, active public commitments and the bodies'
accreditation) and reaches nothing else a tenant keeps.

Counts for a search come from one GROUP BY over (sector, region, body, status) for the
name searched, from which every facet and the total are worked out. Counts and pages of
results are cached, keyed by the newest certificate event, so that a change to any
certificate is seen at once; a page's names, addresses and standing are worked out for
each request, in the reader's language and as of today.
"""

import datetime
import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Count, Max, QuerySet
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.models import PublicCommitment, RatingValue
from common.hooks import page_parts
from common.text import clean_text
from organisations.models import Organisation, Region, Sector
from standard.models import Element

from .models import (
    ACCREDITATION_LOSS_GRACE,
    BodyProfile,
    Certificate,
    CertificateEvent,
    Decision,
    Engagement,
    Finding,
)
from .signals import holder_page_parts

PAGE_SIZE = 20
# Deeper than this a search should be narrowed (the open data has every row).
MAX_PAGE = 500
# Fewer characters than this find names that start with them, rather than contain them.
SHORT_QUERY = 3
MAX_QUERY_LENGTH = 100
# Counts are keyed by the newest certificate event, so they follow every change to a
# certificate at once. The expiry bounds the rest: a rare late commit of an older event,
# and a body's change of accreditation (which the search's rows flag; the check and the
# holder's page read it live).
CACHE_SECONDS = 600
MAX_BODIES = 100

Status = Certificate.Status
LIVE = (Status.ACTIVE, Status.SUSPENDED)
# The history the register shows: changes of status and dates, not reminders sent.
PUBLIC_EVENTS = [
    CertificateEvent.Kind.ISSUED,
    CertificateEvent.Kind.RENEWED,
    CertificateEvent.Kind.REISSUED,
    CertificateEvent.Kind.SUSPENDED,
    CertificateEvent.Kind.REINSTATED,
    CertificateEvent.Kind.WITHDRAWN,
    CertificateEvent.Kind.LAPSED,
    CertificateEvent.Kind.EXPIRED,
]
CERTIFYING = [Decision.Kind.CERTIFY, Decision.Kind.CERTIFY_WITH_CONDITIONS]


# Standing: what a certificate is worth today ------------------------------------------


class State(models.TextChoices):
    """A certificate's standing as the register and the check tell it."""

    VALID = "valid", gettext_lazy("Valid")
    SUSPENDED = "suspended", gettext_lazy("Suspended")
    WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")
    LAPSED = "lapsed", gettext_lazy("Lapsed")
    EXPIRED = "expired", gettext_lazy("Expired")


@dataclass(frozen=True)
class Standing:
    state: str
    # Set when the issuing body has lost its accreditation: the certificate stays valid
    # until its next review, for ACCREDITATION_LOSS_GRACE at most (`valid_until`).
    body_lost_accreditation_on: datetime.date | None = None
    valid_until: datetime.date | None = None

    @property
    def is_valid(self) -> bool:
        return self.state == State.VALID

    @property
    def may_display_mark(self) -> bool:
        # A suspended (or ended) certificate's holder may not display the mark.
        return self.is_valid

    @property
    def flagged(self) -> bool:
        return self.body_lost_accreditation_on is not None

    @property
    def label(self) -> str:
        return str(State(self.state).label)

    @property
    def tag_class(self) -> str:
        """The GOV.UK tag colour: green valid, yellow valid but flagged, orange
        suspended, grey ended."""
        if self.is_valid:
            return "govuk-tag--yellow" if self.flagged else "govuk-tag--green"
        return "govuk-tag--orange" if self.state == State.SUSPENDED else "govuk-tag--grey"


def standing_of(
    status: str,
    next_review_due: datetime.date,
    body_lost_on: datetime.date | None,
    today: datetime.date | None = None,
) -> Standing:
    """The standing of a certificate with `status`, whose body lost its accreditation
    on `body_lost_on` (None while accredited)."""
    if status != Status.ACTIVE:
        return Standing(status, body_lost_on)
    if body_lost_on is None:
        return Standing(State.VALID)
    today = today or timezone.localdate()
    valid_until = min(next_review_due, body_lost_on + ACCREDITATION_LOSS_GRACE)
    state = State.VALID if today <= valid_until else State.LAPSED
    return Standing(state, body_lost_on, valid_until)


def body_lost_on(body: Organisation) -> datetime.date | None:
    try:
        profile = body.body_profile
    except ObjectDoesNotExist:
        return None
    return profile.lost_accreditation_on()


def certificate_standing(certificate: Certificate, today=None) -> Standing:
    """Read with `certification_body__body_profile` to save a query."""
    lost = body_lost_on(certificate.certification_body)
    return standing_of(certificate.status, certificate.next_review_due, lost, today)


def bodies_lost_on() -> dict[int, datetime.date]:
    """Every body that has lost its accreditation, and when."""
    lost = {}
    for profile in BodyProfile.objects.all():
        day = profile.lost_accreditation_on()
        if day is not None:
            lost[profile.organisation_id] = day
    return lost


def verification_url(number: str, language: str | None = None) -> str:
    """The full address of the check page for a certificate number."""
    with translation.override(language or settings.LANGUAGE_CODE):
        path = reverse("register:check_number", args=[number])
    return settings.SITE_URL.rstrip("/") + path


# The search ---------------------------------------------------------------------------


def _positive_int(value) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


@dataclass(frozen=True)
class RegisterQuery:
    """A search of the register, read from the address's parameters. Values that are
    not among the choices are left out rather than refused: they can only come from an
    address typed by hand."""

    q: str = ""
    sector: str = ""
    region: str = ""
    body: int | None = None
    status: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params) -> "RegisterQuery":
        region, status = params.get("region", ""), params.get("status", "")
        return cls(
            q=clean_text(params.get("q", ""))[:MAX_QUERY_LENGTH],
            sector=clean_text(params.get("sector", ""))[:50],
            region=region if region in Region.values else "",
            body=_positive_int(params.get("body")),
            status=status if status in Status.values else "",
            page=min(_positive_int(params.get("page")) or 1, MAX_PAGE),
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.sector or self.region or self.body or self.status)

    def params(self, **changes) -> str:
        """The query string of this search with `changes` (page 1 unless given)."""
        values = {**self.__dict__, "page": 1, **changes}
        pairs = [(k, v) for k, v in values.items() if v and not (k == "page" and v == 1)]
        return urlencode(pairs)


def name_filter(queryset: QuerySet, q: str) -> QuerySet:
    """Holders whose name contains `q` (or, for one or two letters, starts with it).
    Case does not matter; on PostgreSQL a trigram index serves both."""
    if not q:
        return queryset
    if len(q) < SHORT_QUERY:
        return queryset.filter(holder_name__istartswith=q)
    return queryset.filter(holder_name__icontains=q)


def register_order(q: str) -> tuple:
    """By holder name. Names starting with one or two letters are many and next to one
    another in the name index, so walking it would read far past them: those are sorted
    after the trigram index finds them instead."""
    if q and len(q) < SHORT_QUERY:
        return (Upper("holder_name"), "number")
    return ("holder_name", "number")


def filter_certificates(
    queryset: QuerySet,
    *,
    q: str = "",
    sector_id: int | None = None,
    region: str = "",
    body: int | None = None,
    status: str = "",
) -> QuerySet:
    queryset = name_filter(queryset, q)
    if sector_id is not None:
        queryset = queryset.filter(holder_sector_id=sector_id)
    if region:
        queryset = queryset.filter(holder_region=region)
    if body is not None:
        queryset = queryset.filter(certification_body_id=body)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def register_version() -> int:
    """Changes whenever a certificate does: every change records an event."""
    return CertificateEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0


def _key(kind: str, version: int, *parts) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"register:{kind}:{version}:{digest}"


@dataclass(frozen=True)
class Catalogue:
    """What the search's rows and choices are named by: sectors by id and slug, the bodies
    on the register, and the day each body that lost its accreditation lost it."""

    sectors: dict[int, tuple[str, str]]  # id: (slug, name)
    bodies: dict[int, str]
    lost_on: dict[int, datetime.date]

    def sector_id(self, slug: str) -> int | None:
        return next((pk for pk, (s, _name) in self.sectors.items() if s == slug), None)


def register_catalogue(version: int) -> Catalogue:
    key = _key("catalogue", version)
    catalogue = cache.get(key)
    if catalogue is None:
        sectors = {
            pk: (slug, name) for pk, slug, name in Sector.objects.values_list("pk", "slug", "name")
        }
        body_ids = Certificate.objects.values("certification_body_id").distinct()
        bodies = dict(Organisation.objects.filter(pk__in=body_ids).values_list("pk", "name"))
        catalogue = Catalogue(sectors, bodies, bodies_lost_on())
        cache.set(key, catalogue, CACHE_SECONDS)
    return catalogue


def _combinations(version: int, q: str) -> list[tuple]:
    """(sector id, region, body id, status, count) for every combination among the
    certificates whose holder's name matches `q`: one GROUP BY, cached."""
    key = _key("combinations", version, q)
    rows = cache.get(key)
    if rows is None:
        rows = list(
            name_filter(Certificate.objects.all(), q)
            .values_list("holder_sector_id", "holder_region", "certification_body_id", "status")
            .annotate(count=Count("pk"))
            .order_by()
        )
        cache.set(key, rows, CACHE_SECONDS)
    return rows


def facet_counts(combinations, wanted: tuple) -> tuple[int, list[Counter]]:
    """The number of results, and for each of sector, region, body and status the count
    each choice would give with the other filters kept (`wanted` holds the chosen value
    of each, or None). A combination that misses exactly one filter counts only towards
    that filter's choices; one that misses none counts towards every facet and the total."""
    counts = [Counter() for _ in wanted]
    total = 0
    for *values, count in combinations:
        missed = [i for i, want in enumerate(wanted) if want is not None and values[i] != want]
        if not missed:
            total += count
            for i, value in enumerate(values):
                counts[i][value] += count
        elif len(missed) == 1:
            counts[missed[0]][values[missed[0]]] += count
    return total, counts


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool

    @property
    def text(self) -> str:
        # Built here rather than in the template: a search page shows dozens of these.
        return f"{self.label} ({self.count:,})"


@dataclass
class Facet:
    name: str
    label: str
    any_label: str
    options: list[FacetOption]


@dataclass
class RegisterRow:
    """A certificate as the search lists it."""

    number: str
    holder_name: str
    sector: str
    region: str
    body: str
    next_review_due: datetime.date
    standing: Standing
    holder_url: str
    check_url: str

    @property
    def region_label(self) -> str:
        return str(Region(self.region).label) if self.region else ""


def address_maker(name: str, sample):
    """A function giving the address of route `name` for one argument, from a single
    reverse(): a page of results needs dozens of such addresses."""
    before, after = reverse(name, args=[sample]).rsplit(str(sample), 1)
    return lambda value: f"{before}{quote(str(value), safe='')}{after}"


@dataclass
class SearchResult:
    query: RegisterQuery
    rows: list[RegisterRow]
    total: int
    page: int
    pages: int
    facets: list[Facet]

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.rows)

    @property
    def limit(self) -> int:
        return MAX_PAGE * PAGE_SIZE

    @property
    def capped(self) -> bool:
        """More results than pages to show them: the search should be narrowed."""
        return self.total > self.limit


def resolve(query: RegisterQuery, catalogue: Catalogue) -> tuple[RegisterQuery, int | None]:
    """The query without a sector that does not exist, and the chosen sector's id."""
    sector_id = catalogue.sector_id(query.sector) if query.sector else None
    if sector_id is None and query.sector:
        query = replace(query, sector="")
    return query, sector_id


def search(query: RegisterQuery) -> SearchResult:
    """A page of certificates for the search, with its total and facets: the counts come
    from the cache or one GROUP BY; the page from the cache or one indexed query."""
    version = register_version()
    catalogue = register_catalogue(version)
    query, sector_id = resolve(query, catalogue)
    wanted = (sector_id, query.region or None, query.body, query.status or None)
    key = _key("facets", version, query.q, wanted)
    counted = cache.get(key)
    if counted is None:
        counted = facet_counts(_combinations(version, query.q), wanted)
        cache.set(key, counted, CACHE_SECONDS)
    total, counts = counted
    pages = min(max(1, -(-total // PAGE_SIZE)), MAX_PAGE)
    page = min(query.page, pages)
    start = (page - 1) * PAGE_SIZE
    # Pages are cached like the counts: a popular search costs no query but the version.
    key = _key("page", version, query.q, wanted, page)
    found = cache.get(key)
    if found is None:
        found = list(
            filter_certificates(
                Certificate.objects.all(),
                q=query.q,
                sector_id=sector_id,
                region=query.region,
                body=query.body,
                status=query.status,
            )
            .order_by(*register_order(query.q))
            .values_list(*ROW_FIELDS)[start : start + PAGE_SIZE]
        )
        cache.set(key, found, CACHE_SECONDS)
    rows = _rows(found, catalogue)
    facets = _facets(query, catalogue, counts)
    return SearchResult(replace(query, page=page), rows, total, page, pages, facets)


# The columns a row of results needs: names come from the catalogue, not from joins.
ROW_FIELDS = (
    "number",
    "holder_id",
    "holder_name",
    "holder_sector_id",
    "holder_region",
    "certification_body_id",
    "status",
    "next_review_due",
)


def _rows(found, catalogue: Catalogue) -> list[RegisterRow]:
    holder_url = address_maker("register:holder", 1)
    check_url = address_maker("register:check_number", "CV-0")
    today = timezone.localdate()
    rows = []
    for number, holder_id, name, sector_id, region, body_id, status, review_due in found:
        standing = standing_of(status, review_due, catalogue.lost_on.get(body_id), today)
        sector = catalogue.sectors.get(sector_id, ("", ""))[1]
        body = catalogue.bodies.get(body_id, "")
        rows.append(
            RegisterRow(
                number,
                name,
                sector,
                region,
                body,
                review_due,
                standing,
                holder_url(holder_id),
                check_url(number),
            )
        )
    return rows


def _facets(query: RegisterQuery, catalogue: Catalogue, counts: list[Counter]) -> list[Facet]:
    sectors, regions, bodies, statuses = counts

    def options(counter, labels, selected):
        # Choices with results, and the chosen one even if it has none.
        shown = [
            FacetOption(str(value), str(label), counter.get(key, 0), str(value) == selected)
            for key, value, label in labels
            if counter.get(key) or str(value) == selected
        ]
        return shown

    sector_labels = sorted(
        ((pk, slug, name) for pk, (slug, name) in catalogue.sectors.items()),
        key=lambda item: item[2],
    )
    region_labels = [(value, value, label) for value, label in Region.choices]
    body_labels = sorted(
        ((pk, pk, name) for pk, name in catalogue.bodies.items()), key=lambda item: item[2]
    )
    status_labels = [(value, value, label) for value, label in Status.choices]
    return [
        Facet(
            "sector", _("Sector"), _("All sectors"), options(sectors, sector_labels, query.sector)
        ),
        Facet(
            "region", _("Region"), _("All regions"), options(regions, region_labels, query.region)
        ),
        Facet(
            "body",
            _("Certification body"),
            _("All certification bodies"),
            options(bodies, body_labels, str(query.body or "")),
        ),
        Facet(
            "status", _("Status"), _("Any status"), options(statuses, status_labels, query.status)
        ),
    ]


# A holder's page ----------------------------------------------------------------------


@dataclass
class HolderCertificate:
    certificate: Certificate
    standing: Standing
    events: list[CertificateEvent]

    @property
    def is_current(self) -> bool:
        return self.certificate.status in LIVE


@dataclass
class HolderPage:
    holder: Organisation
    certificates: list[HolderCertificate]
    current: HolderCertificate | None
    compliance_plus: list[Element]
    commitment: PublicCommitment | None
    # What the apps above the register add (award results, beacons): `holder_page_parts`.
    parts: dict = field(default_factory=dict)


def holder_page(holder_pk: int) -> HolderPage | None:
    """What the register shows of a holder; None for an organisation that has never held
    a certificate and has not publicly committed to the standard."""
    holder = (
        Organisation.objects.select_related("sector")
        .filter(pk=holder_pk, kind=Organisation.Kind.APPLICANT)
        .first()
    )
    if holder is None:
        return None
    certificates = list(
        Certificate.objects.filter(holder=holder)
        .select_related("certification_body__body_profile", "standard")
        .order_by("-issue_date", "-pk")
    )
    commitment = PublicCommitment.objects.filter(
        organisation=holder, withdrawn_at__isnull=True
    ).first()
    if not certificates and commitment is None:
        return None
    events: dict[int, list[CertificateEvent]] = {}
    for event in CertificateEvent.objects.filter(
        certificate__in=certificates, kind__in=PUBLIC_EVENTS
    ).order_by("-happened_on", "-pk"):
        events.setdefault(event.certificate_id, []).append(event)
    entries = [
        HolderCertificate(c, certificate_standing(c), events.get(c.pk, [])) for c in certificates
    ]
    current = next((entry for entry in entries if entry.is_current), None)
    elements = compliance_plus_elements(current.certificate) if current else []
    parts = page_parts(holder_page_parts, holder=holder)
    return HolderPage(holder, entries, current, elements, commitment, parts)


def compliance_plus_elements(certificate: Certificate) -> list[Element]:
    """Elements of the certificate's standard whose latest rating, in the decided
    engagements that certified or renewed this certificate, is compliance plus."""
    engagements = Decision.objects.filter(
        certificate=certificate, kind__in=CERTIFYING, engagement__isnull=False
    ).values("engagement")
    findings = (
        Finding.objects.filter(
            engagement__in=engagements,
            engagement__status=Engagement.Status.DECIDED,
            element__criterion__standard=certificate.standard_id,
        )
        .exclude(rating="")
        .select_related("element__criterion")
        .order_by("element_id", "-engagement__reported_at", "-engagement_id")
    )
    latest: dict[int, Finding] = {}
    for finding in findings:
        latest.setdefault(finding.element_id, finding)
    elements = [f.element for f in latest.values() if f.rating == RatingValue.COMPLIANCE_PLUS]
    return sorted(elements, key=lambda e: (e.criterion.number, e.position))


# The certificate check ----------------------------------------------------------------


def normalise_number(text: str) -> str:
    """A certificate number as typed (spaces, lower case) in the form it is issued."""
    return "".join(str(text).replace("\x00", "").split()).upper()[:20]


def certificate_check(number: str) -> Certificate | None:
    """The certificate with this number, or None: one query on a unique index."""
    number = normalise_number(number)
    if not number:
        return None
    return (
        Certificate.objects.select_related("certification_body__body_profile", "standard")
        .filter(number=number)
        .order_by()
        .first()
    )


# Commitments and bodies ---------------------------------------------------------------


def committed_organisations(q: str = "", page: int | str = 1) -> Page:
    """Organisations publicly committed to working towards the standard."""
    commitments = (
        PublicCommitment.objects.filter(withdrawn_at__isnull=True)
        .select_related("organisation__sector")
        .order_by("organisation__name", "pk")
    )
    if q:
        commitments = commitments.filter(organisation__name__icontains=q)
    return Paginator(commitments, PAGE_SIZE).get_page(page)


@dataclass
class BodyRow:
    body: Organisation
    profile: BodyProfile | None
    lost_on: datetime.date | None

    @property
    def certificates_valid_until(self) -> datetime.date | None:
        """The latest day its certificates can stay valid, once it lost accreditation."""
        return self.lost_on + ACCREDITATION_LOSS_GRACE if self.lost_on else None


def certification_bodies() -> list[BodyRow]:
    """The certification bodies whose accreditation is on record, and that accreditation:
    one query on the small table of body profiles."""
    profiles = BodyProfile.objects.select_related("organisation").order_by(
        "organisation__name", "pk"
    )[:MAX_BODIES]
    return [BodyRow(p.organisation, p, p.lost_accreditation_on()) for p in profiles]
