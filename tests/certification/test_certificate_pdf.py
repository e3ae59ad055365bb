"""The certificate PDF: built in the background when a certificate is issued or changes,
with its facts and a link and QR code to check it; downloaded by those who may read it."""

import io

import pytest
import segno
from django.urls import reverse
from pypdf import PdfReader

from certification import certificates, decisions
from certification.certificates import certificate_pdf_build
from certification.models import Certificate
from organisations.models import Role

from .conftest import certify, record_all_findings


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://customervoice.example.gov.uk"
    return tmp_path


@pytest.fixture
def issued(engagement, body, django_capture_on_commit_callbacks):
    """Alpha's certificate, issued with the PDF built after the commit, as in production."""
    record_all_findings(engagement, body)
    with django_capture_on_commit_callbacks(execute=True):
        decision = certify(engagement, body)
    return Certificate.objects.get(pk=decision.certificate_id)


def pdf_text(certificate):
    with certificate.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    return pages


def stored_files(media):
    return sorted(p.name for p in (media / "certificates").rglob("*.pdf"))


def test_issuing_a_certificate_builds_its_pdf_with_its_facts(alpha, issued):
    assert issued.pdf and issued.pdf_version == issued.version == 1
    (text,) = pdf_text(issued)
    profile = alpha.certification_body.body_profile
    for words in (
        issued.number,
        "Alpha Borough Council",
        "The whole of Alpha Borough Council",
        "1 High Street",
        issued.standard.version,
        "Alpha Certification Ltd",
        profile.accreditation_reference,
        f"{issued.original_issue_date:%-d %B %Y}",
        f"{issued.next_review_due:%-d %B %Y}",
        "Valid",
        f"https://customervoice.example.gov.uk/register/check/{issued.number}/",
    ):
        assert words in text, words


def test_the_qr_code_holds_the_verification_address(issued):
    context = certificates.certificate_context(issued)

    url = f"https://customervoice.example.gov.uk/register/check/{issued.number}/"
    assert context["pages"][0]["verification_url"] == url
    expected = segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    assert context["pages"][0]["qr_code"] == expected


def test_a_suspension_builds_the_pdf_again_saying_so(
    issued, body, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decisions.decision_on_certificate(
            membership=body.deputy, certificate=issued, kind="suspend", reasons="Complaints."
        )

    issued.refresh_from_db()
    assert issued.pdf_version == issued.version == 2
    (text,) = pdf_text(issued)
    assert "the holder may not display the mark" in text
    assert len(stored_files(media)) == 1


def test_building_twice_keeps_one_file_of_the_same_version(
    issued, media, django_capture_on_commit_callbacks
):
    # Old files are removed once the new one is recorded (after the commit).
    with django_capture_on_commit_callbacks(execute=True):
        certificate_pdf_build(certificate_id=issued.pk)
    with django_capture_on_commit_callbacks(execute=True):
        certificate_pdf_build(certificate_id=issued.pk)

    issued.refresh_from_db()
    assert issued.pdf_version == issued.version
    assert stored_files(media) == [issued.pdf.name.rsplit("/", 1)[1]]


def test_a_build_that_finishes_after_a_newer_one_does_not_replace_it(
    issued, media, django_capture_on_commit_callbacks
):
    kept = issued.pdf.name
    Certificate.objects.filter(pk=issued.pk).update(pdf_version=issued.version + 1)

    with django_capture_on_commit_callbacks(execute=True):
        certificate_pdf_build(certificate_id=issued.pk)

    issued.refresh_from_db()
    assert issued.pdf.name == kept
    assert len(stored_files(media)) == 1


def test_a_holder_in_wales_gets_its_certificate_in_welsh_too(alpha, engagement, body):
    alpha.applicant.region = "wales"
    alpha.applicant.save()
    record_all_findings(engagement, body)
    certificate = certify(engagement, body).certificate

    certificate_pdf_build(certificate_id=certificate.pk)

    certificate.refresh_from_db()
    english, welsh = pdf_text(certificate)
    assert f"/register/check/{certificate.number}/" in english
    assert f"/cy/register/check/{certificate.number}/" in welsh


# Downloading ----------------------------------------------------------------------------


def test_those_who_may_read_the_certificate_download_its_pdf(alpha, scheme, issued, login):
    url = reverse("certificates:pdf", args=[issued.pk])
    for membership in (
        alpha[Role.APPLICANT_ADMIN],
        alpha[Role.APPLICANT_EDITOR],
        alpha[Role.CB_MANAGER],
        alpha[Role.ASSESSOR],
        scheme[Role.SCHEME_ANALYST],
    ):
        response = login(membership).get(url)

        assert response.status_code == 200, membership
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_anyone_else_is_told_it_does_not_exist(beta, issued, login):
    url = reverse("certificates:pdf", args=[issued.pk])
    for role in (Role.APPLICANT_ADMIN, Role.CB_MANAGER, Role.ASSESSOR, Role.REGULATOR):
        assert login(beta[role]).get(url).status_code == 404, role


def test_signing_in_is_needed(client, issued):
    response = client.get(reverse("certificates:pdf", args=[issued.pk]))
    assert response.status_code == 302


def test_a_pdf_not_built_yet_is_being_prepared_and_asked_for_once(
    alpha, certificate, login, monkeypatch, django_capture_on_commit_callbacks
):
    from certification import tasks

    queued = []
    monkeypatch.setattr(tasks.build_certificate_pdf, "delay", queued.append)
    client = login(alpha[Role.APPLICANT_ADMIN])
    url = reverse("certificates:pdf", args=[certificate.pk])

    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(url)
        second = client.get(url)

    assert first.status_code == second.status_code == 200
    assert "being prepared" in first.content.decode()
    assert queued == [certificate.pk]


def test_a_pdf_of_an_earlier_state_is_not_served(alpha, issued, body, login, monkeypatch):
    from certification import tasks

    monkeypatch.setattr(tasks.build_certificate_pdf, "delay", lambda pk: None)
    # Suspended, with the new PDF not yet built: the file shows the certificate as valid.
    decisions.decision_on_certificate(
        membership=body.deputy, certificate=issued, kind="suspend", reasons="Complaints."
    )

    response = login(alpha[Role.APPLICANT_ADMIN]).get(reverse("certificates:pdf", args=[issued.pk]))

    assert "being prepared" in response.content.decode()
