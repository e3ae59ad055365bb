"""The assessment report of an engagement: a PDF built in the background for the
certification body's managers and assessment team and, once reported, for the holder."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from certification import reports, services
from certification.models import ReportJob, SiteVisit
from organisations.models import Role

from ..factories import member
from ..factories.certification import rate_findings
from .conftest import certify


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def assessed(alpha, engagement, body):
    """Alpha's initial assessment with every finding recorded: a partial at 2.1, one
    element at compliance plus relied on the self-assessment's word, and a visit."""
    due = datetime.date.today() + datetime.timedelta(days=60)
    rate_findings(engagement, {"*": "compliant", "2.1": "partial"}, due=due)
    finding = engagement.findings.get(element__code="1.1")
    services.finding_save(
        membership=body.lead,
        finding=finding,
        expected_version=finding.version,
        data=services.FindingInput(
            rating="compliance_plus", notes="Customer panels shape every service change."
        ),
    )
    SiteVisit.objects.create(
        engagement=engagement,
        site=alpha.site,
        visited_on=datetime.date.today(),
        hours=Decimal("6"),
        staff_spoken_to=7,
        observations="Front desk staff knew the service standards by heart.",
        recorded_by=body.lead.user,
    )
    return engagement


def start(client, engagement, capture):
    with capture(execute=True):
        return client.post(reverse("engagement_reports:start", args=[engagement.pk]))


def pdf_text(job) -> str:
    with job.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_lead_asks_for_the_report_and_gets_findings_by_criterion(
    alpha, assessed, body, login, django_capture_on_commit_callbacks
):
    client = login(body.lead)

    response = start(client, assessed, django_capture_on_commit_callbacks)

    job = ReportJob.objects.get(engagement=assessed)
    assert response.url == reverse("engagement_reports:job", args=[job.pk])
    assert (job.status, job.progress, job.error) == (ReportJob.Status.DONE, 100, "")
    text = pdf_text(job)
    for words in (
        "Assessment report",
        "Alpha Borough Council",
        "Alpha Certification Ltd",
        "Findings by criterion",
        "Findings for criterion 2",
        "Seen at 2.1",
        "Customer panels shape every service change.",
        "Publish the standards",
        "Front desk staff knew the service standards by heart.",
        "Central function, visited every time",
        "initial assessment: √x",
        "No decision has been made yet.",
    ):
        assert words in text, words
    assert "Compliance plus" in text and "1.1" in text
    due = (datetime.date.today() + datetime.timedelta(days=60)).strftime("%-d %b %Y")
    assert due in text


def test_the_job_page_links_back_to_the_engagement_and_offers_the_download(
    alpha, assessed, body, login, django_capture_on_commit_callbacks
):
    client = login(body.manager)
    job_url = start(client, assessed, django_capture_on_commit_callbacks).url
    job = ReportJob.objects.get()

    page = client.get(job_url).content.decode()
    data = client.get(job_url, HTTP_ACCEPT="application/json").json()
    download = client.get(reverse("engagement_reports:download", args=[job.pk]))

    assert "Assessment report (PDF)" in page and "Your report is ready." in page
    assert reverse("certification:engagement", args=[assessed.pk]) in page
    assert data["download_url"] == reverse("engagement_reports:download", args=[job.pk])
    assert download["Content-Type"] == "application/pdf"
    assert (
        f"assessment-report-alpha-borough-council-{assessed.pk}.pdf"
        in (download["Content-Disposition"])
    )
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_someone_of_another_body_gets_not_found(
    alpha, beta, assessed, body, login, django_capture_on_commit_callbacks
):
    start(login(body.lead), assessed, django_capture_on_commit_callbacks)
    job = ReportJob.objects.get()

    for role in (Role.CB_MANAGER, Role.ASSESSOR, Role.APPLICANT_ADMIN, Role.REGULATOR):
        client = login(beta[role])
        assert start(client, assessed, django_capture_on_commit_callbacks).status_code == 404
        assert client.get(reverse("engagement_reports:job", args=[job.pk])).status_code == 404
        download = reverse("engagement_reports:download", args=[job.pk])
        assert client.get(download).status_code == 404
    assert ReportJob.objects.count() == 1


def test_an_assessor_off_the_team_gets_not_found(
    alpha, assessed, body, login, django_capture_on_commit_callbacks
):
    start(login(body.lead), assessed, django_capture_on_commit_callbacks)
    job = ReportJob.objects.get()
    outsider = member(alpha.certification_body, Role.ASSESSOR, email="off-team@alpha.example")
    client = login(outsider)

    assert start(client, assessed, django_capture_on_commit_callbacks).status_code == 404
    assert client.get(reverse("engagement_reports:job", args=[job.pk])).status_code == 404


def test_the_holder_reads_the_report_once_reported_and_sees_the_decision(
    alpha, assessed, body, login, django_capture_on_commit_callbacks
):
    holder = login(alpha[Role.APPLICANT_EDITOR])
    assert start(holder, assessed, django_capture_on_commit_callbacks).status_code == 404
    start(login(body.lead), assessed, django_capture_on_commit_callbacks)
    early = ReportJob.objects.get()
    holder = login(alpha[Role.APPLICANT_EDITOR])
    assert holder.get(reverse("engagement_reports:job", args=[early.pk])).status_code == 404

    certify(assessed, body)
    response = start(holder, assessed, django_capture_on_commit_callbacks)
    job = ReportJob.objects.get(requested_by=alpha[Role.APPLICANT_EDITOR].user)
    download = holder.get(reverse("engagement_reports:download", args=[job.pk]))

    assert response.status_code == 302
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    text = pdf_text(job)
    assert "The certification body's decision" in text
    assert "Meets the standard." in text and "A well-run service." in text


def test_a_failed_build_is_recorded_on_the_job(alpha, assessed, body, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("fonts missing")

    monkeypatch.setattr(reports, "render_pdf", broken)
    job = ReportJob.objects.create(engagement=assessed, requested_by=body.lead.user)

    reports.report_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED and "fonts missing" in job.error
