"""An organisation's benchmark report: what its members see on the page and in the PDF,
who may see it, and how it is worked out from the stored scores and sector figures."""

import io

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode
from pypdf import PdfReader

from benchmarking import reports, selectors
from benchmarking.models import PeerGroup, PeerGroupMember, ReportJob
from organisations.models import Organisation, Role

from ..factories import OrganisationFactory, member
from .conftest import refresh

# Scores on 0 to 100 of the other five: 60, 70, 75, 80, 90; ours 50 this year.
OTHERS = [3.4, 3.8, 4.0, 4.2, 4.6]


pytestmark = pytest.mark.usefixtures("no_dashboard_figures")


@pytest.fixture
def ours(sector, scored_survey, make_field):
    """Our library (score 50 this year, 45 last year) among five others."""
    library = OrganisationFactory(name="Northtown Libraries", sector=sector)
    scored_survey(library, year=2025, means=3.0)
    scored_survey(library, year=2024, means=2.8)
    make_field(sector, OTHERS, name="Other library")
    refresh(sector)
    return library


@pytest.fixture
def admin(ours):
    return member(ours, Role.APPLICANT_ADMIN)


# The report as data ---------------------------------------------------------------------


def test_it_places_the_organisation_in_its_sectors_distribution(ours):
    report = selectors.organisation_benchmark(ours)
    assert report["year"] == 2025
    assert report["years"] == [2025, 2024]
    [sector] = report["comparisons"]
    overall = sector["rows"][0]
    assert overall["measure"] == "overall"
    assert overall["own"]["score_100"] == pytest.approx(50)
    assert overall["own"]["score_100_low"] < 50 < overall["own"]["score_100_high"]
    assert overall["figure"]["organisations"] == 6
    assert overall["figure"]["median"] == pytest.approx(72.5)
    assert (overall["quartile"], overall["decile"]) == (1, 1)
    assert overall["difference"] == selectors.BELOW


def test_the_interval_is_the_survey_analysis_interval_on_0_to_100(ours):
    from surveys.analysis import mean_interval

    row = selectors.organisation_benchmark(ours)["comparisons"][0]["rows"][0]
    low, high = mean_interval(3.0, 0.9, 400, 50_000)
    assert row["own"]["score_100_low"] == pytest.approx((low - 1) * 25)
    assert row["own"]["score_100_high"] == pytest.approx((high - 1) * 25)


def test_a_score_within_the_margin_of_error_of_the_median_is_no_different(sector, make_field):
    field = make_field(sector, [3.0, 3.5, 3.9, 3.91, 4.3, 4.6])
    refresh(sector)
    row = selectors.organisation_benchmark(field[2])["comparisons"][0]["rows"][0]
    assert row["difference"] == selectors.SAME
    assert "within the margin of error" in row["statement"]


def test_it_finds_a_real_improvement_with_the_surveys_test(ours):
    change = selectors.organisation_benchmark(ours)["change"]
    assert change["previous_year"] == 2024
    overall = change["rows"][0]
    assert overall["points"] == pytest.approx(5)
    assert overall["real_change"] and overall["improved"]
    assert "Overall satisfaction" in change["improved"]


def test_a_change_within_the_margin_of_error_is_not_an_improvement(sector, scored_survey):
    library = OrganisationFactory(sector=sector)
    scored_survey(library, year=2025, means=3.51, n=50, sd=1.2)
    scored_survey(library, year=2024, means=3.5, n=50, sd=1.2)
    refresh(sector)
    change = selectors.organisation_benchmark(library)["change"]
    assert not change["rows"][0]["improved"]
    assert change["improved"] == []


def test_peers_do_better_lists_the_widest_gap_first(sector, scored_survey, make_field):
    library = OrganisationFactory(sector=sector)
    means = dict.fromkeys(["overall", "delivery", "information"], 4.0)
    means.update(timeliness=2.5, professionalism=3.2, staff_attitude=4.0)
    scored_survey(library, year=2025, means=means)
    make_field(sector, [3.9, 4.0, 4.0, 4.1, 4.1])
    refresh(sector)
    better = selectors.organisation_benchmark(library)["peers_do_better"]
    assert [item["measure"] for item in better] == ["timeliness", "professionalism"]
    assert better[0]["gap"] > better[1]["gap"] > 0


def test_the_trend_has_the_sector_median_only_where_it_is_shown(ours):
    trend = selectors.organisation_benchmark(ours)["trend"]
    assert trend["years"] == [2024, 2025]
    overall = trend["rows"][0]["points"]
    assert [p["score"] for p in overall] == [pytest.approx(45), pytest.approx(50)]
    # In 2024 only our library had a survey: the sector's figure is not shown.
    assert [p["sector_median"] for p in overall] == [None, pytest.approx(72.5)]


def test_it_reads_a_constant_number_of_queries(sector, scored_survey, make_field):
    small = make_field(sector, [3.5] * 5)
    refresh(sector)
    with CaptureQueriesContext(connection) as few:
        selectors.organisation_benchmark(small[0])
    large = make_field(sector, [3.1, 3.3, 3.7, 4.1, 4.4] * 4, name="More")
    for year in (2022, 2023, 2024):
        scored_survey(large[0], year=year, means=3.8)
    for n in range(3):
        group = PeerGroup.objects.create(sector=sector, name=f"Group {n}")
        for organisation in large[: 6 + n]:
            PeerGroupMember.objects.create(
                peer_group=group,
                organisation=organisation,
                joined_by=member(organisation, Role.APPLICANT_ADMIN).user,
            )
    refresh(sector)
    with CaptureQueriesContext(connection) as many:
        report = selectors.organisation_benchmark(large[0])
    assert len(report["comparisons"]) == 4
    assert len(many) == len(few) <= 4


# The page -------------------------------------------------------------------------------


def test_a_member_sees_where_the_organisation_stands(admin, login):
    page = login(admin).get(reverse("benchmarking:index")).content.decode()
    assert "How you compare with your sector" in page
    assert "Your sector: Libraries" in page
    assert "Bottom quarter" in page
    assert "Below the median, beyond the margin of error" in page
    assert "72.5" in page  # the median, in the chart's table
    assert "<svg" in page and 'role="img"' in page


def test_the_page_says_where_it_improved_and_where_peers_do_better(admin, login):
    page = login(admin).get(reverse("benchmarking:index")).content.decode()
    assert "Real improvements since 2024" in page
    assert "points below the median of Libraries" in page
    assert "Up 5.0 points, a real change" in page


def test_a_member_picks_the_year(admin, login):
    page = login(admin).get(reverse("benchmarking:index"), {"year": 2024}).content.decode()
    assert '<option value="2024" selected>' in page
    assert "Not shown: fewer than 5 organisations." in page
    assert "There is no earlier year with scores to compare with." in page


def test_a_year_without_scores_says_so(admin, login):
    page = login(admin).get(reverse("benchmarking:index"), {"year": 2019}).content.decode()
    assert "This organisation has no benchmark scores for 2019." in page


def test_an_organisation_without_scores_is_told_what_to_do(sector, login):
    library = OrganisationFactory(sector=sector)
    page = login(member(library, Role.APPLICANT_EDITOR)).get(reverse("benchmarking:index"))
    text = page.content.decode()
    assert "There are no benchmark scores for this organisation yet." in text
    assert "a customer survey that meets the scheme&#x27;s method" in text
    assert reverse("surveys:index") in text


def test_a_small_sector_shows_no_figure(sector, make_field, login):
    field = make_field(sector, [3.0, 3.5, 4.0, 4.5])
    refresh(sector)
    page = login(member(field[0], Role.APPLICANT_ADMIN)).get(reverse("benchmarking:index"))
    text = page.content.decode()
    assert "Not shown: fewer than 5 organisations." in text
    assert "Median" in text and "62.5" not in text and "68.75" not in text


def test_a_peer_group_appears_beside_the_sector(sector, ours, make_field, login):
    group = PeerGroup.objects.create(sector=sector, name="Rural libraries")
    admin = member(ours, Role.APPLICANT_ADMIN)
    others = make_field(sector, [3.5, 3.6, 3.7, 3.8, 3.9], name="Rural")
    for organisation in [ours, *others]:
        PeerGroupMember.objects.create(
            peer_group=group, organisation=organisation, joined_by=admin.user
        )
    refresh(sector)
    text = login(admin).get(reverse("benchmarking:index")).content.decode()
    assert "Your peer group: Rural libraries" in text
    assert "Your sector: Libraries" in text


def test_a_headquarters_opens_its_units_report(ours, sector, login):
    unit = OrganisationFactory(name="Northtown Mobile Library", sector=sector, parent=ours)
    client = login(member(ours, Role.APPLICANT_ADMIN))
    index = client.get(reverse("benchmarking:index")).content.decode()
    assert "Northtown Mobile Library" in index
    page = client.get(reverse("benchmarking:organisation", args=[unit.pk]))
    assert page.status_code == 200
    assert "There are no benchmark scores for this organisation yet." in page.content.decode()


def test_a_unit_does_not_see_its_headquarters_report(ours, sector, login):
    unit = OrganisationFactory(sector=sector, parent=ours)
    client = login(member(unit, Role.APPLICANT_ADMIN))
    assert client.get(reverse("benchmarking:organisation", args=[ours.pk])).status_code == 404
    start = reverse("benchmark_reports:start", args=[ours.pk])
    assert client.post(start).status_code == 404


def test_another_organisation_gets_page_not_found(ours, sector, login):
    neighbour = OrganisationFactory(sector=sector)
    client = login(member(neighbour, Role.APPLICANT_ADMIN))
    assert client.get(reverse("benchmarking:organisation", args=[ours.pk])).status_code == 404


@pytest.mark.parametrize(
    "kind, role",
    [
        (Organisation.Kind.CERTIFICATION_BODY, Role.CB_MANAGER),
        (Organisation.Kind.REGULATOR, Role.REGULATOR),
    ],
)
def test_bodies_and_regulators_have_no_benchmark_report(ours, sector, kind, role, login):
    other = OrganisationFactory(kind=kind, sector=sector if kind == "regulator" else None)
    client = login(member(other, role))
    assert client.get(reverse("benchmarking:index")).status_code == 404
    assert client.get(reverse("benchmarking:organisation", args=[ours.pk])).status_code == 404


def test_the_scheme_unit_finds_and_opens_any_organisations_report(ours, scheme, login):
    client = login(scheme[Role.SCHEME_ANALYST])
    found = client.get(reverse("benchmarking:index"), {"q": "northtown"}).content.decode()
    assert "1 organisation matches" in found
    assert reverse("benchmarking:organisation", args=[ours.pk]) in found
    page = client.get(reverse("benchmarking:organisation", args=[ours.pk])).content.decode()
    assert "Northtown Libraries" in page and "Bottom quarter" in page


# The PDF --------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def start_pdf(client, organisation, django_capture_on_commit_callbacks, **query):
    url = reverse("benchmark_reports:start", args=[organisation.pk])
    if query:
        url += "?" + urlencode(query)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url)


def pdf_text(job) -> str:
    with job.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(page.extract_text() for page in reader.pages)


def test_the_page_offers_the_pdf_of_the_year_shown(admin, ours, login):
    page = login(admin).get(reverse("benchmarking:index"), {"year": 2024}).content.decode()
    start = reverse("benchmark_reports:start", args=[ours.pk])
    assert f'<form method="post" action="{start}?year=2024">' in page
    assert "Build this report for 2024 as a PDF" in page


def test_a_member_asks_for_the_pdf_and_it_is_built_in_the_background(
    admin, ours, login, media, django_capture_on_commit_callbacks
):
    client = login(admin)
    response = start_pdf(client, ours, django_capture_on_commit_callbacks, year=2025)

    job = ReportJob.objects.get(organisation=ours)
    assert response.url == reverse("benchmark_reports:job", args=[job.pk])
    assert (job.year, job.status, job.progress, job.error) == (2025, "done", 100, "")
    text = pdf_text(job)
    assert "Benchmark report" in text
    assert "Your sector: Libraries" in text
    assert "Your scores against Libraries, 2025" in text
    assert "Median" in text and "72.5" in text
    assert "Change in your score from 2024 to 2025" in text


def test_the_pdf_of_an_earlier_year_downloads_under_its_year(
    admin, ours, login, media, django_capture_on_commit_callbacks
):
    client = login(admin)
    start_pdf(client, ours, django_capture_on_commit_callbacks, year=2024)
    job = ReportJob.objects.get(organisation=ours)

    response = client.get(reverse("benchmark_reports:download", args=[job.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert "benchmark-report-northtown-libraries-2024.pdf" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Your scores against Libraries, 2024" in text
    assert "There is no earlier year with scores to compare with." in text


def test_without_a_year_it_builds_the_latest_year_with_scores(
    admin, ours, login, media, django_capture_on_commit_callbacks
):
    start_pdf(login(admin), ours, django_capture_on_commit_callbacks)
    assert ReportJob.objects.get(organisation=ours).year == 2025


def test_asking_again_reuses_a_waiting_job_of_the_same_year_only(admin, ours, login):
    client = login(admin)
    start = reverse("benchmark_reports:start", args=[ours.pk])
    # Without the on-commit callbacks run, the jobs stay waiting to start.
    first = client.post(f"{start}?year=2025").url
    assert client.post(f"{start}?year=2025").url == first
    assert client.post(f"{start}?year=2024").url != first
    assert sorted(ReportJob.objects.values_list("year", flat=True)) == [2024, 2025]


def test_the_job_page_shows_progress_and_answers_json(admin, ours, login):
    job = ReportJob.objects.create(
        organisation=ours, year=2024, requested_by=admin.user, status="running", progress=30
    )
    ReportJob.objects.create(organisation=ours, year=2025, requested_by=admin.user)
    client = login(admin)
    url = reverse("benchmark_reports:job", args=[job.pk])

    response = client.get(url)
    page = response.content.decode()

    assert "Northtown Libraries, 2024" in page
    assert '<progress id="report-progress" max="100" value="30">' in page
    assert "Recent benchmark reports for 2024" in page
    assert page.count("govuk-table__row") == 2  # the header and this job, not 2025's
    start = reverse("benchmark_reports:start", args=[ours.pk])
    assert f'action="{start}?year=2024"' in page
    assert f"{reverse('benchmarking:organisation', args=[ours.pk])}?year=2024" in page
    assert "Accept" in response["Vary"]
    data = client.get(url, HTTP_ACCEPT="application/json").json()
    assert (data["status"], data["progress"], data["download_url"]) == ("running", 30, None)


def test_a_failure_leaves_the_job_failed_with_a_message(
    admin, ours, login, media, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(html):
        raise RuntimeError("no fonts available")

    monkeypatch.setattr(reports, "render_pdf", broken)
    client = login(admin)
    job_url = start_pdf(client, ours, django_capture_on_commit_callbacks, year=2025).url

    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.FAILED and "no fonts available" in job.error
    assert "Try again" in client.get(job_url).content.decode()


def test_a_headquarters_and_the_scheme_unit_build_the_pdf(
    ours, sector, scheme, login, media, django_capture_on_commit_callbacks
):
    unit = OrganisationFactory(name="Northtown Mobile Library", sector=sector, parent=ours)
    headquarters = login(member(ours, Role.APPLICANT_EDITOR))
    assert start_pdf(headquarters, unit, django_capture_on_commit_callbacks).status_code == 302
    analyst = login(scheme[Role.SCHEME_ANALYST])
    job_url = start_pdf(analyst, ours, django_capture_on_commit_callbacks, year=2025).url
    job = ReportJob.objects.get(organisation=ours)
    assert job.status == ReportJob.Status.DONE
    assert analyst.get(job_url).status_code == 200
    assert analyst.get(reverse("benchmark_reports:download", args=[job.pk])).status_code == 200


@pytest.mark.parametrize(
    "kind, role",
    [
        (Organisation.Kind.APPLICANT, Role.APPLICANT_ADMIN),
        (Organisation.Kind.CERTIFICATION_BODY, Role.CB_MANAGER),
        (Organisation.Kind.REGULATOR, Role.REGULATOR),
    ],
)
def test_no_one_else_builds_sees_or_downloads_the_pdf(
    admin, ours, sector, kind, role, login, media
):
    job = ReportJob.objects.create(organisation=ours, year=2025, requested_by=admin.user)
    ReportJob.objects.filter(pk=job.pk).update(status="done", progress=100)
    job.file.save("report.pdf", ContentFile(b"%PDF-1.7"))
    other = OrganisationFactory(kind=kind, sector=None if kind == "certification_body" else sector)
    client = login(member(other, role))
    start = reverse("benchmark_reports:start", args=[ours.pk])
    assert client.post(f"{start}?year=2025").status_code == 404
    assert client.get(reverse("benchmark_reports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("benchmark_reports:download", args=[job.pk])).status_code == 404
    assert ReportJob.objects.count() == 1
