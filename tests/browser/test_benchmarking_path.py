"""The scheme unit reads its dashboards, and an applicant reads where it stands, as people
would: a small sector with certified holders and surveys, worked out by a refresh, then
every dashboard opened, filtered and downloaded; every chart with its table of figures;
no accessibility failures on any page."""

import csv
import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from benchmarking.models import PeerGroup, PeerGroupMember
from benchmarking.services import benchmarks_refresh
from certification.models import Application, Certificate, CertificateEvent, Engagement
from organisations.models import Role
from standard.models import Element
from standard.selectors import current_standard

from ..awards.conftest import _decided_engagement
from ..benchmarking import conftest as benchmarking_fixtures
from ..certification.conftest import build_certified
from ..factories import UserFactory
from .conftest import assert_accessible
from .test_certification_path import act_as

pytestmark = pytest.mark.browser

# The benchmarking fixtures: organisations with surveys whose summaries are set directly.
make_field = benchmarking_fixtures.make_field
scored_survey = benchmarking_fixtures.scored_survey

DASHBOARDS = [
    ("Take-up", "Take-up by sector"),
    ("Certifications", "Certifications per year"),
    ("Reviews pipeline", "Pipeline of reviews"),
    ("Satisfaction", "Satisfaction by sector and driver"),
    ("Certification body consistency", "Certification body consistency"),
    ("Effectiveness", "Effectiveness of the standard"),
]

# Every chart is a figure with a table of the same numbers right after it, so that
# nobody needs to read the picture.
CHARTS_WITHOUT_TABLES = """() => [...document.querySelectorAll('main svg')].flatMap((svg) => {
    const chart = svg.closest('.app-chart');
    const next = chart && chart.nextElementSibling;
    // The table follows the chart, itself or inside its scrollable region.
    const table = next && (next.tagName === 'TABLE' ? next
        : next.classList.contains('app-table-scroll') ? next.querySelector('table') : null);
    const title = svg.querySelector('title');
    const named = title && title.textContent.trim() && svg.getAttribute('role') === 'img';
    const tabled = table && table.querySelectorAll('tbody tr').length;
    return named && tabled ? [] : [title ? title.textContent : svg.outerHTML.slice(0, 80)];
})"""


def hold(organisation, body, since):
    """A certificate `organisation` has held since `since`, as its history records it."""
    application = Application.objects.create(
        applicant=organisation,
        certification_body=body,
        status=Application.Status.ACCEPTED,
        submitted_by=UserFactory(),
    )
    certificate = Certificate.objects.create(
        number=f"CV-BM-{organisation.pk:05d}",
        holder=organisation,
        certification_body=body,
        application=application,
        holder_name=organisation.name,
        scope="The whole service",
        standard=current_standard(),
        status=Certificate.Status.ACTIVE,
        original_issue_date=since,
        issue_date=since,
        next_review_due=since + datetime.timedelta(days=365 * 2),
        cycle_expires=since + datetime.timedelta(days=3 * 365),
        status_changed_on=since,
    )
    CertificateEvent.objects.create(
        certificate=certificate,
        kind=CertificateEvent.Kind.ISSUED,
        happened_on=since,
        status_after=Certificate.Status.ACTIVE,
    )


@pytest.fixture
def benchmarked(standard, alpha, beta, make_field, scored_survey):
    """Alpha (a headquarters with a unit) certified through the services, with surveys
    in 2025 and 2026, among ten other organisations of its sector surveyed from 2024 to
    2026, five of them holders since 2025; beta certified by another body, so that the
    bodies' findings can be compared; a peer group to join; and a refresh run."""
    sector = alpha.applicant.sector
    build_certified(alpha)
    build_certified(beta)
    # Enough decided assessments for the two bodies' findings to be compared; beta's
    # body rates more generously.
    elements = {e.code: e for e in Element.objects.filter(criterion__standard=standard)}
    for tenant, ratings in (
        (alpha, ["compliant"] * 4),
        (beta, ["compliance_plus"] * 3 + ["compliant"]),
    ):
        author = tenant[Role.CB_MANAGER].user
        for n, rating in enumerate(ratings, start=1):
            day = datetime.date(2025, n * 2, 10)
            engagement = _decided_engagement(
                standard, tenant.application, author, n, day, {"*": rating}, elements
            )
            reported = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
            Engagement.objects.filter(pk=engagement.pk).update(reported_at=reported)
    for year, lift in ((2025, 0.0), (2026, 0.2)):
        scored_survey(alpha.applicant, year=year, means=3.9 + lift)
        scored_survey(alpha.unit, year=year, means=3.6 + lift)
    means = [3.2, 3.5, 3.7, 3.8, 4.1, 3.3, 3.4, 3.6, 3.9, 4.0]
    field = make_field(sector, means, year=2024, name="Alpha Peer")
    lifts = [0.1, 0.3, 0.2, 0.25, 0.15, 0, 0, 0, 0, 0]
    for n, (organisation, mean, lift) in enumerate(zip(field, means, lifts, strict=True)):
        if n < 5:
            hold(organisation, alpha.certification_body, datetime.date(2025, 3, 1))
        scored_survey(organisation, year=2025, means=mean + lift / 2)
        scored_survey(organisation, year=2026, means=mean + lift)
    PeerGroup.objects.create(
        sector=sector, name="Library services", description="Services run from libraries."
    )
    benchmarks_refresh(trigger="manual")
    return alpha


def says(page, text):
    """The page (once it has loaded) shows `text` in its main content."""
    expect(page.locator("main")).to_contain_text(text)


def charts_without_tables(page):
    return page.evaluate(CHARTS_WITHOUT_TABLES)


def test_the_scheme_unit_reads_every_dashboard_with_its_figures(
    page, benchmarked, scheme, live_server
):
    sector = benchmarked.applicant.sector
    act_as(page, scheme[Role.SCHEME_ANALYST], live_server.url)
    page.goto("/")
    page.get_by_role("link", name="Dashboards", exact=True).click()
    assert page.locator("h1").inner_text() == "Take-up by sector"
    assert sector.name in page.locator("table").first.inner_text()

    for link, heading in DASHBOARDS:
        nav = page.get_by_role("navigation", name="Scheme dashboards")
        if nav.get_by_role("link", name=link, exact=True).count():
            nav.get_by_role("link", name=link, exact=True).click()
        assert page.locator("h1").inner_text() == heading
        assert "There is a problem" not in page.content()
        # Every dashboard charts this field, and every chart has its table.
        assert page.locator("main svg").count() >= 1, heading
        assert not charts_without_tables(page), f"{heading}: {charts_without_tables(page)}"
        assert_accessible(page)

        # Filter to alpha's sector through the form; the address keeps the filter.
        page.get_by_label("Sector", exact=True).select_option(label=sector.name)
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(f"sector={sector.slug}"))
        assert page.locator("h1").inner_text() == heading
        assert page.get_by_label("Sector", exact=True).input_value() == sector.slug
        assert page.get_by_role("link", name="Clear the filters").is_visible()
        assert not charts_without_tables(page), f"{heading}: {charts_without_tables(page)}"
        assert_accessible(page)

    # A filter the form cannot read is an error, not a page of figures for everyone.
    page.goto("/benchmarks/dashboards/take-up/?sector=nowhere")
    assert page.locator(".govuk-error-summary").is_visible()
    says(page, "Choose a sector from the list.")
    assert_accessible(page)

    # The filtered take-up table downloads as the CSV the table shows.
    page.goto(f"/benchmarks/dashboards/take-up/?sector={sector.slug}")
    table = page.locator("table", has_text="Take-up by sector").inner_text()
    assert sector.name in table
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the take-up table (CSV)").click()
    assert download.value.suggested_filename.startswith("take-up-")
    assert download.value.suggested_filename.endswith(".csv")
    with open(download.value.path(), encoding="utf-8-sig") as downloaded:
        rows = list(csv.reader(downloaded))
    assert rows[0][0] == "Sector"
    by_sector = {row[0]: row for row in rows[1:]}
    # Alpha and the five peers hold certificates; the CSV says what the table says.
    assert by_sector[sector.name][1] == "6"
    shown = page.get_by_role("row", name=re.compile(f"^{sector.name}"))
    assert shown.locator("td").first.inner_text() == "6"
    assert not any("Alpha Peer" in cell for row in rows for cell in row)

    # The departments' customer-experience dashboards, from the scheme's side.
    page.goto("/benchmarks/departments/")
    assert_accessible(page)
    page.get_by_role("link", name=benchmarked.applicant.name).click()
    says(page, benchmarked.unit.name)
    assert_accessible(page)


def test_an_applicant_reads_its_report_its_units_and_joins_a_peer_group(
    page, benchmarked, live_server
):
    admin = benchmarked[Role.APPLICANT_ADMIN]
    act_as(page, admin, live_server.url)
    page.goto("/")
    page.get_by_role("link", name="Benchmarks", exact=True).click()
    assert page.locator("h1").inner_text() == "How you compare with your sector"
    assert page.get_by_label("Year", exact=True).input_value() == "2026"
    assert not charts_without_tables(page), charts_without_tables(page)
    assert page.locator("main svg").count() >= 2
    says(page, "Where you stand")
    assert_accessible(page)

    # Its own score stands beside the sector's; nobody else's is named.
    overall = page.get_by_role("row", name=re.compile("^Overall satisfaction")).first
    assert "77.5" in overall.inner_text()  # a mean of 4.1 on 1 to 5
    assert "Alpha Peer" not in page.locator("main").inner_text()

    # Last year's position.
    page.get_by_label("Year", exact=True).select_option("2025")
    page.get_by_role("button", name="Show this year").click()
    page.wait_for_url(re.compile("year=2025"))
    assert page.get_by_label("Year", exact=True).input_value() == "2025"
    position = page.locator("table", has_text="Where you stand").first
    assert "2025" in position.locator("caption").inner_text()
    overall = position.get_by_role("row", name=re.compile("^Overall satisfaction"))
    assert "72.5" in overall.inner_text()  # a mean of 3.9
    assert not charts_without_tables(page), charts_without_tables(page)
    assert_accessible(page)

    # The headquarters' customer-experience dashboard, with its unit.
    page.goto("/benchmarks/departments/")
    assert page.locator("h1").inner_text() == "Customer experience"
    assert benchmarked.unit.name in page.locator("table").first.inner_text()
    says(page, benchmarked.certificate.number)
    assert_accessible(page)

    # A peer group of its sector, joined.
    page.goto("/benchmarks/peer-groups/")
    assert_accessible(page)
    page.get_by_role("button", name="Join Library services").click()
    says(page, "Your organisation joined Library services")
    assert page.get_by_role("button", name="Leave Library services").is_visible()
    assert PeerGroupMember.objects.filter(organisation=benchmarked.applicant).count() == 1
    assert_accessible(page)
