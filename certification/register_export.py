"""The public register as open data: every certificate a search finds, as a CSV file
streamed in chunks, so the whole register (100,000 and more) downloads in one go."""

import csv
import datetime
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from common.csvsafe import neutralise
from organisations.models import Region

from .models import Certificate
from .register import (
    RegisterQuery,
    State,
    Status,
    address_maker,
    bodies_lost_on,
    filter_certificates,
    register_catalogue,
    register_order,
    register_version,
    resolve,
    standing_of,
)

CSV_CHUNK = 2000

CSV_FIELDS = (
    "number",
    "holder_name",
    "holder_id",
    "holder_sector__name",
    "holder_region",
    "scope",
    "standard__version",
    "certification_body__name",
    "certification_body_id",
    "original_issue_date",
    "issue_date",
    "next_review_due",
    "cycle_expires",
    "status",
    "status_changed_on",
)


class _Line:
    """A file-like object whose write returns the line, for `csv.writer`."""

    def write(self, text: str) -> str:
        return text


def register_csv(query: RegisterQuery) -> Iterator[str]:
    """Every certificate the search finds, one a line, read in chunks so the whole
    register streams. Cells a spreadsheet could run as a formula are neutralised; the
    first line starts with a byte order mark so that Excel reads UTF-8."""
    catalogue = register_catalogue(register_version())
    query, sector_id = resolve(query, catalogue)
    writer = csv.writer(_Line())
    header = [
        _("Certificate number"),
        _("Holder"),
        _("Register page"),
        _("Sector"),
        _("Region"),
        _("Scope"),
        _("Standard version"),
        _("Certification body"),
        _("Certification body id"),
        _("First issued"),
        _("Issued"),
        _("Next review due"),
        _("Cycle ends"),
        _("Status"),
        _("Status since"),
        _("Standing"),
        _("May display the mark"),
        _("Certification body lost its accreditation on"),
        _("Valid until at the latest"),
    ]
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in header])
    lost = bodies_lost_on()
    # Labels translated once, not once a row.
    regions = {value: str(label) for value, label in Region.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    states = {value: str(label) for value, label in State.choices}
    today = timezone.localdate()
    base = settings.SITE_URL.rstrip("/")
    holder_url = address_maker("register:holder", 1)
    rows = (
        filter_certificates(
            Certificate.objects.all(),
            q=query.q,
            sector_id=sector_id,
            region=query.region,
            body=query.body,
            status=query.status,
        )
        .order_by(*register_order(query.q))
        .values_list(*CSV_FIELDS)
        .iterator(chunk_size=CSV_CHUNK)
    )
    yes, no = _("Yes"), _("No")
    for (
        number,
        holder_name,
        holder_id,
        sector,
        region,
        scope,
        version,
        body_name,
        body_id,
        first_issued,
        issued,
        review_due,
        cycle_ends,
        status,
        since,
    ) in rows:
        standing = standing_of(status, review_due, lost.get(body_id), today)
        cells = [
            number,
            holder_name,
            base + holder_url(holder_id),
            sector,
            regions.get(region, region),
            scope,
            version,
            body_name,
            body_id,
            first_issued.isoformat(),
            issued.isoformat(),
            review_due.isoformat(),
            cycle_ends.isoformat(),
            statuses.get(status, status),
            since.isoformat(),
            states[standing.state],
            yes if standing.may_display_mark else no,
            _iso(standing.body_lost_accreditation_on),
            _iso(standing.valid_until),
        ]
        yield writer.writerow([neutralise(cell) for cell in cells])


def _iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""
