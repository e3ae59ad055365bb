import csv
import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from assessments import reports, services
from assessments.models import Action, RatingValue, ReportJob
from organisations.models import Role
from standard.models import Element

HYPERLINK = '=HYPERLINK("http://evil.example/steal","Click for details")'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def rate(membership, self_assessment, code, value, narrative=""):
    rating = self_assessment.ratings.get(element__code=code)
    return services.rating_save(
        membership=membership,
        rating=rating,
        data=services.RatingInput(value=value, narrative=narrative, evidence=[]),
        expected_version=rating.version,
    )


@pytest.fixture
def draft(alpha, standard):
    admin = alpha[Role.APPLICANT_ADMIN]
    self_assessment = services.self_assessment_start(membership=admin)
    rate(admin, self_assessment, "1.1", RatingValue.PARTIAL, narrative=HYPERLINK)
    rate(admin, self_assessment, "1.2", RatingValue.NON_COMPLIANT, "No survey yet.")
    rate(admin, self_assessment, "1.3", RatingValue.COMPLIANT, "Done well.")
    # One action long overdue, so the plan summary has something to show.
    Action.objects.filter(self_assessment=self_assessment, element__code="1.2").update(
        owner="Head of Customer Insight", due_date=datetime.date(2020, 1, 31)
    )
    return self_assessment


def start_report(client, self_assessment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessment_reports:start", args=[self_assessment.pk]))
    return response


def pdf_text(job):
    with job.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())  # table cells wrap over lines


def test_a_member_asks_for_the_report_and_gets_a_real_pdf(
    alpha, draft, login, django_capture_on_commit_callbacks
):
    client = login(alpha[Role.APPLICANT_EDITOR])
    response = start_report(client, draft, django_capture_on_commit_callbacks)

    job = ReportJob.objects.get(self_assessment=draft)
    assert response.url == reverse("assessment_reports:job", args=[job.pk])
    assert (job.status, job.progress, job.error) == (ReportJob.Status.DONE, 100, "")
    assert job.requested_by == alpha[Role.APPLICANT_EDITOR].user
    assert job.finished_at is not None
    with job.file.open("rb") as handle:
        assert handle.read(4) == b"%PDF"
    pages, text = pdf_text(job)
    assert pages >= 1
    assert "Alpha Borough Council" in text
    assert "1.2" in text and "Head of Customer Insight" in text


def test_the_job_page_answers_json_for_the_progress_script(
    alpha, draft, login, django_capture_on_commit_callbacks
):
    client = login(alpha[Role.APPLICANT_ADMIN])
    job_url = start_report(client, draft, django_capture_on_commit_callbacks).url
    job = ReportJob.objects.get()

    data = client.get(job_url, HTTP_ACCEPT="application/json").json()

    assert data["status"] == "done"
    assert data["progress"] == 100
    assert data["download_url"] == reverse("assessment_reports:download", args=[job.pk])


def test_the_job_page_shows_progress_and_works_without_javascript(alpha, draft, login):
    job = ReportJob.objects.create(
        self_assessment=draft,
        requested_by=alpha[Role.APPLICANT_ADMIN].user,
        status=ReportJob.Status.RUNNING,
        progress=60,
    )
    client = login(alpha[Role.APPLICANT_EDITOR])

    response = client.get(reverse("assessment_reports:job", args=[job.pk]))
    page = response.content.decode()

    assert page.count("<h1") == 1
    assert '<label class="govuk-label" for="report-progress">' in page
    assert '<progress id="report-progress" max="100" value="60">' in page
    assert "Building your report: 60%" in page
    assert "Check again" in page
    assert "js/job-progress.js" in page
    assert "<script>" not in page  # the Content-Security-Policy refuses inline code
    assert response["Vary"] and "Accept" in response["Vary"]


def test_the_job_page_lists_recent_reports_so_people_can_come_back(alpha, draft, login):
    admin = alpha[Role.APPLICANT_ADMIN]
    old = ReportJob.objects.create(
        self_assessment=draft,
        requested_by=admin.user,
        status=ReportJob.Status.FAILED,
        error="The report could not be built.",
    )
    new = ReportJob.objects.create(self_assessment=draft, requested_by=admin.user)
    client = login(admin)

    page = client.get(reverse("assessment_reports:job", args=[new.pk])).content.decode()

    assert "Recent reports for this self-assessment" in page
    assert reverse("assessment_reports:job", args=[old.pk]) in page


def test_the_download_is_a_pdf_attachment(alpha, draft, login, django_capture_on_commit_callbacks):
    client = login(alpha[Role.INTERNAL_ASSESSOR])
    start_report(client, draft, django_capture_on_commit_callbacks)
    job = ReportJob.objects.get()

    response = client.get(reverse("assessment_reports:download", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "gap-report-alpha-borough-council-1.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_report_still_being_built_cannot_be_downloaded(alpha, draft, login):
    job = ReportJob.objects.create(
        self_assessment=draft, requested_by=alpha[Role.APPLICANT_ADMIN].user
    )
    client = login(alpha[Role.APPLICANT_ADMIN])
    assert client.get(reverse("assessment_reports:download", args=[job.pk])).status_code == 404


def test_running_the_same_job_twice_does_not_rebuild_it(
    alpha, draft, login, django_capture_on_commit_callbacks, monkeypatch
):
    client = login(alpha[Role.APPLICANT_ADMIN])
    start_report(client, draft, django_capture_on_commit_callbacks)
    job = ReportJob.objects.get()
    calls = []
    monkeypatch.setattr(reports, "render_pdf", lambda html: calls.append(html) or b"%PDF-x")

    reports.report_job_run(job_id=job.pk)

    assert calls == []
    assert ReportJob.objects.get().file.name == job.file.name


def test_a_job_another_worker_is_building_is_left_to_it(alpha, draft, monkeypatch):
    job = ReportJob.objects.create(
        self_assessment=draft,
        requested_by=alpha[Role.APPLICANT_ADMIN].user,
        status=ReportJob.Status.RUNNING,
        progress=10,
    )
    calls = []
    monkeypatch.setattr(reports, "render_pdf", lambda html: calls.append(html) or b"%PDF-x")

    reports.report_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert calls == [] and (job.status, job.progress) == (ReportJob.Status.RUNNING, 10)


def test_a_failure_leaves_the_job_failed_with_a_message(
    alpha, draft, login, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(html):
        raise RuntimeError("no fonts available")

    monkeypatch.setattr(reports, "render_pdf", broken)
    client = login(alpha[Role.APPLICANT_ADMIN])
    job_url = start_report(client, draft, django_capture_on_commit_callbacks).url

    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.FAILED
    assert "could not be built" in job.error and "no fonts available" in job.error
    assert not job.file
    data = client.get(job_url, HTTP_ACCEPT="application/json").json()
    assert (data["status"], data["download_url"]) == ("failed", None)
    page = client.get(job_url).content.decode()
    assert "no fonts available" in page and "Try again" in page


def test_the_csv_has_a_row_per_element_and_neutralises_formulas(alpha, draft, login):
    client = login(alpha[Role.APPLICANT_EDITOR])

    response = client.get(reverse("assessment_reports:csv", args=[draft.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["Criterion", "Element", "Title", "Rating", "Narrative"]
    assert len(body) == Element.objects.filter(criterion__standard=draft.standard).count()
    first = dict(zip(header, body[0], strict=True))
    assert first["Element"] == "1.1"
    assert first["Rating"] == "Partial"
    assert first["Narrative"] == "'" + HYPERLINK
    assert first["Action"].startswith("Close the gap in 1.1")
    second = dict(zip(header, body[1], strict=True))
    assert (second["Owner"], second["Due date"]) == ("Head of Customer Insight", "2020-01-31")


@pytest.mark.parametrize("text", ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_cells_a_spreadsheet_would_run_get_an_apostrophe(text):
    assert reports.spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["Plain words", "1.1", "", None, "2026-05-01"])
def test_ordinary_cells_are_left_alone(text):
    assert reports.spreadsheet_safe(text) == (text or "")


def test_another_tenant_gets_404_everywhere(
    alpha, beta, draft, login, django_capture_on_commit_callbacks
):
    start_report(login(alpha[Role.APPLICANT_ADMIN]), draft, django_capture_on_commit_callbacks)
    job = ReportJob.objects.get()
    client = login(beta[Role.APPLICANT_ADMIN])

    assert client.get(reverse("assessment_reports:job", args=[job.pk])).status_code == 404
    assert (
        client.get(
            reverse("assessment_reports:job", args=[job.pk]), HTTP_ACCEPT="application/json"
        ).status_code
        == 404
    )
    assert client.get(reverse("assessment_reports:download", args=[job.pk])).status_code == 404
    assert client.get(reverse("assessment_reports:csv", args=[draft.pk])).status_code == 404
    assert client.post(reverse("assessment_reports:start", args=[draft.pk])).status_code == 404
    assert ReportJob.objects.count() == 1


def test_asking_again_while_waiting_requeues_the_same_job(
    alpha, draft, django_capture_on_commit_callbacks
):
    admin = alpha[Role.APPLICANT_ADMIN]
    waiting = ReportJob.objects.create(self_assessment=draft, requested_by=admin.user)

    with django_capture_on_commit_callbacks() as queued:
        job = reports.report_job_start(membership=admin, self_assessment=draft)

    assert job == waiting and ReportJob.objects.count() == 1
    assert len(queued) == 1
