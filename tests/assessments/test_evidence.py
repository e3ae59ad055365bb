import datetime
import hashlib
import io
import struct
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from assessments import evidence as services
from assessments.models import Evidence, Rating, SelfAssessment, Share
from organisations.models import Role
from standard.models import Element

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXE = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode." + b"\x00" * 400


def pdf_bytes():
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(out, "PNG")
    return out.getvalue()


def docx_bytes(main=DOCX_MAIN):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def compound_file(*stream_names):
    """A minimal OLE compound file (512-byte sectors: FAT, then directory) naming streams."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<5H", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)
    struct.pack_into("<7I", header, 48, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 76, 0, *[free] * 108)
    fat = struct.pack("<128I", fat_sector, end, *[free] * 126)
    directory = bytearray(512)
    entries = [("Root Entry", 5), *((name, 2) for name in stream_names)]
    for i, (name, entry_type) in enumerate(entries):
        raw = name.encode("utf-16-le") + b"\0\0"
        directory[i * 128 : i * 128 + len(raw)] = raw
        struct.pack_into("<HB", directory, i * 128 + 64, len(raw), entry_type)
    return bytes(header) + fat + bytes(directory)


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def editor(alpha):
    return alpha[Role.APPLICANT_EDITOR]


@pytest.fixture
def report(editor, media):
    return services.evidence_add_file(
        membership=editor, title="Complaints report", upload=upload("report.pdf", pdf_bytes())
    )


def used_in(evidence, organisation, standard, status, number=1):
    """Attach the item to element 1.1 of a self-assessment with the given status."""
    self_assessment = SelfAssessment.objects.create(
        organisation=organisation,
        standard=standard,
        number=number,
        status=status,
        created_by=evidence.added_by,
    )
    element = Element.objects.get(criterion__standard=standard, code="1.1")
    rating = Rating.objects.create(self_assessment=self_assessment, element=element)
    rating.evidence.add(evidence)
    return self_assessment


# -- Files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "content_type"),
    [
        ("report.pdf", pdf_bytes, "application/pdf"),
        ("photo.png", png_bytes, "image/png"),
        ("waiting-times.csv", lambda: "Month,Days\nJanuary,12\nFévrier,9\n".encode(), "text/csv"),
        ("policy.docx", docx_bytes, DOCX),
    ],
)
def test_it_stores_a_good_file_with_its_hash_and_size(editor, media, name, make, content_type):
    data = make()
    evidence = services.evidence_add_file(
        membership=editor, title="Proof", upload=upload(name, data, "text/html")
    )
    evidence.refresh_from_db()
    assert evidence.kind == Evidence.Kind.FILE
    assert evidence.content_type == content_type
    assert evidence.size == len(data)
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.original_name == name
    assert name not in evidence.file.name
    assert evidence.file.name.startswith("evidence/")
    assert [path.read_bytes() for path in stored_files(media)] == [data]


def test_it_refuses_a_program_renamed_report_pdf_and_stores_nothing(editor, media):
    with pytest.raises(ValidationError) as refused:
        services.evidence_add_file(
            membership=editor,
            title="Annual report",
            upload=upload("report.pdf", EXE, "application/pdf"),
        )
    message = refused.value.message_dict["upload"][0]
    assert message.startswith("The file is not a PDF, image, office document or CSV/text file")
    assert "Windows Executable" in message
    assert not Evidence.objects.filter(kind=Evidence.Kind.FILE).exists()
    assert stored_files(media) == []


def test_a_file_already_written_is_removed_when_the_row_cannot_be_saved(editor, media, monkeypatch):
    def fail(*args, **kwargs):
        raise IntegrityError("the database said no")

    monkeypatch.setattr(Evidence, "save", fail)
    with pytest.raises(IntegrityError):
        services.evidence_add_file(
            membership=editor, title="Report", upload=upload("report.pdf", pdf_bytes())
        )
    assert stored_files(media) == []


def test_it_refuses_an_empty_file(editor, media):
    with pytest.raises(ValidationError) as refused:
        services.evidence_add_file(membership=editor, title="Nothing", upload=upload("a.pdf", b""))
    assert refused.value.message_dict == {"upload": ["The file is empty."]}
    assert stored_files(media) == []


def test_it_refuses_a_file_over_the_size_limit_and_says_the_limit(editor, media, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    big = b"Month,Days\n" + b"January,12\n" * 100_000
    with pytest.raises(ValidationError) as refused:
        services.evidence_add_file(membership=editor, title="Big", upload=upload("big.csv", big))
    assert refused.value.message_dict == {"upload": ["The file must be 1 MB or smaller."]}
    assert stored_files(media) == []


def test_the_size_limit_defaults_to_20_mb(settings):
    del settings.EVIDENCE_MAX_BYTES
    assert services.max_upload_bytes() == 20 * 1024 * 1024


def test_it_refuses_a_broken_pdf(editor, media):
    broken = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R" + b"\x8f\x02garbage" * 20
    with pytest.raises(ValidationError) as refused:
        services.evidence_add_file(
            membership=editor, title="Broken", upload=upload("b.pdf", broken)
        )
    assert "PDF is damaged" in refused.value.message_dict["upload"][0]
    assert not Evidence.objects.filter(kind=Evidence.Kind.FILE).exists()
    assert stored_files(media) == []


def test_it_refuses_a_truncated_pdf(editor, media):
    truncated = pdf_bytes()[:200]
    with pytest.raises(ValidationError, match="PDF is damaged"):
        services.evidence_add_file(
            membership=editor, title="Cut", upload=upload("c.pdf", truncated)
        )


def test_it_takes_an_allowed_file_for_what_it_is_whatever_its_name(editor, media):
    evidence = services.evidence_add_file(
        membership=editor, title="Policy", upload=upload("policy.pdf", docx_bytes())
    )
    assert evidence.content_type == DOCX
    assert evidence.original_name == "policy.pdf"
    assert evidence.file.name.endswith(".docx")


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("page.txt", b"<!DOCTYPE html><html><body>Hi</body></html>", "HTML"),
        ("archive.docx", docx_bytes(main="application/xml"), "ZIP archive"),
        (
            "macros.docx",
            docx_bytes("application/vnd.ms-word.document.macroEnabled.main+xml"),
            "macros",
        ),
        ("old-macros.doc", compound_file("WordDocument", "Macros"), "macros"),
        ("installer.doc", compound_file("SummaryInformation"), "not a Word, Excel or PowerPoint"),
        ("locked.docx", compound_file("EncryptionInfo", "EncryptedPackage"), "password"),
        ("bits.csv", b"Month,Days\n\x00\x01\x02", "unknown kind"),
        ("broken.png", png_bytes()[:30], "image is damaged"),
    ],
)
def test_it_refuses_what_is_not_an_accepted_kind_and_says_why(editor, media, name, data, says):
    with pytest.raises(ValidationError) as refused:
        services.evidence_add_file(membership=editor, title="No", upload=upload(name, data))
    assert says in refused.value.message_dict["upload"][0]
    assert stored_files(media) == []


def test_it_accepts_legacy_word_and_excel_files(editor, media):
    word = services.evidence_add_file(
        membership=editor, title="Old policy", upload=upload("p.doc", compound_file("WordDocument"))
    )
    excel = services.evidence_add_file(
        membership=editor, title="Old figures", upload=upload("f.xls", compound_file("Workbook"))
    )
    assert (word.content_type, excel.content_type) == (
        "application/msword",
        "application/vnd.ms-excel",
    )


def test_windows_1252_text_is_plain_text(editor, media):
    data = "Caf\u00e9 opening hours: 9\u201317, \u00a32 parking".encode("cp1252")
    evidence = services.evidence_add_file(
        membership=editor, title="Hours", upload=upload("hours.txt", data)
    )
    assert evidence.content_type == "text/plain"


def test_it_reports_a_missing_title_and_a_bad_file_together(editor, media):
    with pytest.raises(ValidationError) as refused:
        services.evidence_add_file(membership=editor, title=" ", upload=upload("a.pdf", b""))
    assert set(refused.value.message_dict) == {"title", "upload"}


def test_the_stored_name_never_comes_from_the_person(editor, media):
    evidence = services.evidence_add_file(
        membership=editor,
        title="Sneaky",
        upload=upload("../../etc/passwd\r\n.csv", b"a,b\n1,2\n"),
    )
    assert evidence.original_name == "passwd.csv"
    assert "passwd" not in evidence.file.name
    assert all(media in path.parents for path in stored_files(media))


# -- Links and notes --------------------------------------------------------------------


def test_it_adds_a_link_and_a_note(editor):
    link = services.evidence_add_link(
        membership=editor, title="Customer charter", url=" https://www.alpha.gov.uk/charter "
    )
    note = services.evidence_add_note(
        membership=editor,
        title="Panel",
        text="We meet customers quarterly.",
        review_date=datetime.date(2030, 1, 1),
    )
    assert (link.kind, link.url) == (Evidence.Kind.LINK, "https://www.alpha.gov.uk/charter")
    assert (note.kind, note.text, note.review_date) == (
        Evidence.Kind.NOTE,
        "We meet customers quarterly.",
        datetime.date(2030, 1, 1),
    )
    assert link.organisation == note.organisation == editor.organisation


@pytest.mark.parametrize("url", ["javascript:alert(1)", "not a web address", "ftp://x.example/a"])
def test_it_refuses_a_link_that_is_not_a_web_page(editor, url):
    with pytest.raises(ValidationError) as refused:
        services.evidence_add_link(membership=editor, title="Bad", url=url)
    assert "url" in refused.value.message_dict


def test_a_note_needs_text(editor):
    with pytest.raises(ValidationError) as refused:
        services.evidence_add_note(membership=editor, title="Empty", text="  ")
    assert refused.value.message_dict == {"text": ["Write the note."]}


# -- Review dates -----------------------------------------------------------------------


def test_evidence_past_its_review_date_is_flagged_stale(alpha, editor, login):
    today = timezone.localdate()
    old = services.evidence_add_note(
        membership=editor,
        title="Old survey",
        text="2019 results",
        review_date=today - datetime.timedelta(days=1),
    )
    fresh = services.evidence_add_note(
        membership=editor,
        title="New survey",
        text="2026 results",
        review_date=today + datetime.timedelta(days=30),
    )
    assert old.is_stale and not fresh.is_stale

    client = login(alpha[Role.INTERNAL_ASSESSOR])
    page = client.get(reverse("evidence:list")).content.decode()
    assert page.count("Past review date") == 1
    stale_only = client.get(reverse("evidence:list"), {"stale": "on"}).content.decode()
    assert "Old survey" in stale_only and "New survey" not in stale_only
    assert (
        "Past review date" in client.get(reverse("evidence:detail", args=[old.pk])).content.decode()
    )


def test_an_editor_changes_the_title_and_review_date(alpha, editor, login):
    client = login(editor)
    response = client.post(
        reverse("evidence:edit", args=[alpha.evidence.pk]),
        {
            "title": "Panel minutes",
            "review_date_0": "31",
            "review_date_1": "3",
            "review_date_2": "2031",
        },
    )
    assert response.status_code == 302
    alpha.evidence.refresh_from_db()
    assert (alpha.evidence.title, alpha.evidence.review_date) == (
        "Panel minutes",
        datetime.date(2031, 3, 31),
    )


def test_an_impossible_review_date_is_explained(alpha, editor, login):
    client = login(editor)
    response = client.post(
        reverse("evidence:edit", args=[alpha.evidence.pk]),
        {
            "title": "Panel minutes",
            "review_date_0": "31",
            "review_date_1": "2",
            "review_date_2": "2031",
        },
    )
    page = response.content.decode()
    assert "<title>Error:" in page and "The review date must be a real date" in page


# -- Pages and roles --------------------------------------------------------------------


def test_an_editor_uploads_a_file_through_the_page(editor, media, login):
    client = login(editor)
    form_page = client.get(reverse("evidence:add"), {"kind": "file"}).content.decode()
    assert 'enctype="multipart/form-data"' in form_page
    response = client.post(
        reverse("evidence:add") + "?kind=file",
        {"title": "Photo of the counter", "upload": upload("counter.png", png_bytes())},
    )
    evidence = Evidence.objects.get(title="Photo of the counter")
    assert response.url == reverse("evidence:detail", args=[evidence.pk])
    assert evidence.content_type == "image/png"


def test_a_refused_upload_shows_in_the_error_summary(editor, media, login):
    client = login(editor)
    response = client.post(
        reverse("evidence:add") + "?kind=file",
        {"title": "Annual report", "upload": upload("report.pdf", EXE, "application/pdf")},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error:" in page and "There is a problem" in page
    assert "it looks like Windows Executable" in page
    assert stored_files(media) == []


def test_adding_starts_by_asking_the_kind(editor, login):
    client = login(editor)
    page = client.get(reverse("evidence:add")).content.decode()
    assert "What kind of evidence are you adding?" in page
    response = client.post(
        reverse("evidence:add") + "?kind=link",
        {"title": "Charter", "url": "https://www.alpha.gov.uk/charter"},
    )
    assert response.status_code == 302
    assert Evidence.objects.filter(title="Charter", kind=Evidence.Kind.LINK).exists()


def test_an_internal_assessor_cannot_add_change_or_delete(alpha, login):
    assessor = alpha[Role.INTERNAL_ASSESSOR]
    client = login(assessor)
    assert client.get(reverse("evidence:add")).status_code == 403
    assert (
        client.post(reverse("evidence:add") + "?kind=note", {"title": "x", "text": "y"}).status_code
        == 403
    )
    for name in ("evidence:edit", "evidence:delete"):
        assert client.get(reverse(name, args=[alpha.evidence.pk])).status_code == 403
        assert client.post(reverse(name, args=[alpha.evidence.pk])).status_code == 403
    assert Evidence.objects.filter(pk=alpha.evidence.pk).exists()
    with pytest.raises(PermissionDenied):
        services.evidence_add_note(membership=assessor, title="x", text="y")


def test_every_member_reads_the_library(alpha, login):
    client = login(alpha[Role.INTERNAL_ASSESSOR])
    page = client.get(reverse("evidence:list")).content.decode()
    assert alpha.evidence.title in page
    assert "Add evidence" not in page
    assert client.get(reverse("evidence:detail", args=[alpha.evidence.pk])).status_code == 200


@pytest.mark.parametrize("route", ["detail", "download", "edit", "delete"])
@pytest.mark.parametrize("role", [Role.APPLICANT_ADMIN, Role.APPLICANT_EDITOR, Role.CB_MANAGER])
def test_another_tenants_people_get_404(alpha, beta, media, login, route, role):
    document = services.evidence_add_file(
        membership=alpha[Role.APPLICANT_EDITOR],
        title="Alpha report",
        upload=upload("report.pdf", pdf_bytes()),
    )
    client = login(beta[role])
    path = reverse(f"evidence:{route}", args=[document.pk])
    assert client.get(path).status_code == 404
    assert client.post(path).status_code in (404, 405)
    assert Evidence.objects.filter(pk=document.pk, title="Alpha report").exists()
    assert "Alpha report" not in client.get(reverse("evidence:list")).content.decode()


def test_download_answers_with_an_attachment(alpha, report, login):
    client = login(alpha[Role.INTERNAL_ASSESSOR])
    response = client.get(reverse("evidence:download", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == report.file.open("rb").read()


def test_download_names_the_file_for_what_it_really_is(editor, media, login):
    script = services.evidence_add_file(
        membership=editor, title="Notes", upload=upload("notes.js", b"alert('hello');\n")
    )
    response = login(editor).get(reverse("evidence:download", args=[script.pk]))
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="notes.js.txt"'


def test_links_and_notes_have_nothing_to_download(alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    assert client.get(reverse("evidence:download", args=[alpha.evidence.pk])).status_code == 404


def test_a_certification_body_sees_only_evidence_shared_with_it(alpha, report, standard, login):
    body_manager = alpha[Role.CB_MANAGER]
    client = login(body_manager)
    download = reverse("evidence:download", args=[report.pk])
    assert client.get(download).status_code == 404

    submitted = used_in(report, alpha.applicant, standard, SelfAssessment.Status.SUBMITTED)
    Share.objects.create(
        self_assessment=submitted,
        certification_body=alpha.certification_body,
        purpose="Initial assessment",
        shared_by=alpha[Role.APPLICANT_ADMIN].user,
    )
    assert client.get(download).status_code == 200
    page = client.get(reverse("evidence:list")).content.decode()
    assert report.title in page and alpha.evidence.title not in page
    assert client.get(reverse("evidence:edit", args=[report.pk])).status_code == 403


# -- Which elements, and deleting -------------------------------------------------------


def test_the_library_says_which_elements_each_item_supports(alpha, report, standard, login):
    used_in(report, alpha.applicant, standard, SelfAssessment.Status.DRAFT)
    client = login(alpha[Role.APPLICANT_ADMIN])
    page = client.get(reverse("evidence:list")).content.decode()
    assert "1.1" in page and "None yet" in page
    only_notes = client.get(reverse("evidence:list"), {"kind": "note"}).content.decode()
    assert alpha.evidence.title in only_notes and report.title not in only_notes
    detail = client.get(reverse("evidence:detail", args=[report.pk])).content.decode()
    assert "Where this evidence is used" in detail and "1.1" in detail


def test_deleting_removes_the_row_and_the_file(
    alpha, report, standard, media, login, django_capture_on_commit_callbacks
):
    draft = used_in(report, alpha.applicant, standard, SelfAssessment.Status.DRAFT)
    client = login(alpha[Role.APPLICANT_ADMIN])
    confirm = client.get(reverse("evidence:delete", args=[report.pk])).content.decode()
    assert "It will be removed from these elements" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence:delete", args=[report.pk]))
    assert response.url == reverse("evidence:list")
    assert not Evidence.objects.filter(pk=report.pk).exists()
    assert stored_files(media) == []
    assert not draft.ratings.get().evidence.exists()


def test_evidence_of_a_submitted_self_assessment_cannot_be_deleted(
    alpha, editor, report, standard, media, login
):
    used_in(report, alpha.applicant, standard, SelfAssessment.Status.SUBMITTED)
    with pytest.raises(ValidationError, match="submitted self-assessment"):
        services.evidence_delete(membership=editor, evidence=report)

    client = login(editor)
    assert (
        "Delete evidence"
        not in client.get(reverse("evidence:detail", args=[report.pk])).content.decode()
    )
    response = client.post(reverse("evidence:delete", args=[report.pk]))
    assert response.status_code == 200
    assert "must be kept as it was" in response.content.decode()
    assert Evidence.objects.filter(pk=report.pk).exists()
    assert len(stored_files(media)) == 1

    # Its title and review date may still change.
    services.evidence_update(
        membership=editor, evidence=report, title="Complaints report 2026", review_date=None
    )


def test_an_office_document_that_unpacks_far_beyond_its_size_is_refused_unread(editor, media):
    # 60 MB of one repeated byte packs into a few tens of kilobytes: a zip bomb.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/media/image1.png", "w") as part:
            for _block in range(60):
                part.write(b"\0" * 1024 * 1024)

    with pytest.raises(ValidationError) as refused:
        services.evidence_add_file(
            membership=editor, title="Bomb", upload=upload("policy.docx", buffer.getvalue())
        )

    assert refused.value.message_dict["upload"] == [
        "“word/media/image1.png” in the file unpacks to more than 100 times its packed size, "
        "far more than any ordinary document does."
    ]
    assert not [p for p in media.rglob("*") if p.is_file()]
