"""Hostile results files, each made here (nothing large is kept in the repository):
every one is refused with a clear message, at once (a 4xx, nothing kept) or by the
worker's check (the job says why, its file is gone), or imported with an error naming
each bad row. Nothing is stored, no file is left behind, and the web process's memory
stays far below what the file would unpack to."""

import csv
import io
import tracemalloc
import zipfile

import pytest
from django.urls import reverse

from organisations.models import Role
from surveys.models import ImportJob, Response

from .test_import import GOOD_ROWS, csv_bytes

PEAK_LIMIT = 200 * 1024 * 1024
MB = 1024 * 1024
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>Respondent ID</t></is></c></row>'
)
SHEET_END = b"</sheetData></worksheet>"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Results" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def worker_at_once(monkeypatch):
    """Run the check as soon as the upload commits, inside the request: the memory
    measured then covers the worker's reading too."""
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None: func())


def workbook(*sheet: bytes, repeat: bytes = b"", times: int = 0) -> bytes:
    """An .xlsx whose one sheet is `sheet` with `repeat` written `times` times in the
    middle, streamed through the compressor so nothing large is ever held."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(SHEET_START + sheet[0] if sheet else SHEET_START)
            block = repeat * max(1, MB // max(len(repeat), 1)) if repeat else b""
            written = 0
            while written + len(block) <= len(repeat) * times and block:
                part.write(block)
                written += len(block)
            part.write(repeat * ((len(repeat) * times - written) // max(len(repeat), 1)))
            part.write(b"".join(sheet[1:]) + SHEET_END)
    return buffer.getvalue()


def measured(call):
    tracemalloc.start()
    try:
        answer = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, f"peak {peak / MB:.0f} MB"
    return answer


def api_upload(client, survey, content, name):
    def call():
        data = {"survey": survey.pk, "file": io.BytesIO(content)}
        data["file"].name = name
        return client.post("/api/survey-imports/", data)

    return measured(call)


def refusal(answer) -> str:
    """The reason a file was refused: in a 4xx answer, or on the job its check refused."""
    if answer.status_code == 400:
        assert not ImportJob.objects.exists()
        return " ".join(answer.json()["file"])
    assert answer.status_code == 201, answer.content
    job = answer.json()["job"]
    assert job["status"] == "refused", job
    assert job["columns"] == [] and job["preview"] == []
    return job["failure"]


def assert_nothing_kept(media):
    assert not Response.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()] if media.exists() else True


@pytest.fixture
def editor(alpha, login):
    return login(alpha[Role.APPLICANT_EDITOR])


CELL = b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
CELL_END = b"</t></is></c></row>"
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    + b']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    b"</sheetData></worksheet>"
)


def laughing_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", BILLION_LAUGHS)
    return buffer.getvalue()


WORKBOOKS = {
    # A sheet of 250 MB holding one cell of that size (the probe's 1 GiB cell, smaller).
    "huge-single-cell": (
        lambda: workbook(CELL, CELL_END, repeat=b"A", times=250 * MB),
        "A sheet of the workbook unpacks to more than 200 MB.",
    ),
    # 150 MB of empty rows: under the size limit, but far too repetitive.
    "bomb-by-ratio": (
        lambda: workbook(b"", repeat=b"<row/>", times=25 * MB),
        "A sheet of the workbook unpacks to more than 100 times its packed size",
    ),
    "billion-laughs": (
        laughing_workbook,
        "The file declares a document type of its own, which office documents never do",
    ),
    "long-cell": (
        lambda: workbook(CELL + b"x" * 40_000 + CELL_END),
        "Cell A2 holds more than 32,767 characters.",
    ),
    "too-many-columns": (
        lambda: workbook(b'<row r="2"><c r="ALN2"><v>1</v></c></row>'),
        "The file has more than 1,000 columns.",
    ),
}


@pytest.mark.parametrize("case", WORKBOOKS, ids=list(WORKBOOKS))
def test_a_hostile_workbook_is_refused_with_a_clear_message(editor, survey, media, case):
    make, expected = WORKBOOKS[case]
    content = make()
    assert len(content) < 2 * MB

    message = refusal(api_upload(editor, survey, content, "results.xlsx"))

    assert expected in message
    assert_nothing_kept(media)


def test_a_huge_cell_under_the_size_limits_is_stopped_while_it_streams(
    editor, survey, media, settings
):
    # With the archive limits lifted, the cell bound alone stops a 150 MB cell, and
    # reading it never holds the cell.
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "member_ratio": 10_000}
    content = workbook(CELL, CELL_END, repeat=b"A", times=150 * MB)

    message = refusal(api_upload(editor, survey, content, "results.xlsx"))

    assert message == "Cell A2 holds more than 32,767 characters."
    assert_nothing_kept(media)


def test_an_archive_of_too_many_parts_is_refused_before_it_is_opened(editor, survey, media):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(1_001):
            archive.writestr(f"part{n}.xml", b"")

    message = refusal(api_upload(editor, survey, buffer.getvalue(), "results.xlsx"))

    assert message == "The file is packed from more than 1,000 parts."


def test_an_archive_whose_end_record_understates_its_parts_is_refused_unopened(
    editor, survey, media, monkeypatch
):
    # zipfile reads a directory by its size, whatever count the end record declares.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(30_000):
            archive.writestr(f"xl/part{n:05d}.xml", b"")
    content = bytearray(buffer.getvalue())
    end = content.rfind(b"PK\x05\x06")
    content[end + 8 : end + 12] = (1).to_bytes(2, "little") * 2
    monkeypatch.setattr("common.uploads.zipfile.ZipFile", _never_opened)

    message = refusal(api_upload(editor, survey, bytes(content), "results.xlsx"))

    assert message == "The file is packed from more than 1,000 parts."
    assert_nothing_kept(media)


def test_the_delimiter_is_guessed_from_the_first_few_lines_only(editor, survey, monkeypatch):
    # Python's sniffer takes time quadratic in what it reads: 20 s for 64K of `,"`.
    read = []
    sniff = csv.Sniffer.sniff
    monkeypatch.setattr(
        csv.Sniffer,
        "sniff",
        lambda self, sample, **kw: read.append(len(sample)) or sniff(self, sample, **kw),
    )

    api_upload(editor, survey, b"Respondent ID,Overall\r\n" + b',"' * 32 * 1024, "r.csv")

    assert read and max(read) <= 4 * 1024


def test_a_row_repeating_one_cell_is_refused_as_too_many_columns(editor, survey, media):
    # Each cell names the same column, so the column count alone never grows.
    cell = b'<c r="A2" t="inlineStr"><is><t>x</t></is></c>'
    content = workbook(b'<row r="2">', b"</row>", repeat=cell, times=2_000)

    message = refusal(api_upload(editor, survey, content, "results.xlsx"))

    assert message == "The file has more than 1,000 columns."
    assert_nothing_kept(media)


def test_a_record_over_many_lines_with_too_many_fields_is_refused(editor, survey, media):
    record = b",".join([b'"\n"'] * 2_000)
    content = b"Respondent ID,Overall\r\nR1,5\r\n" + record + b"\r\n"

    message = refusal(api_upload(editor, survey, content, "results.csv"))

    assert message == "The file has more than 1,000 columns."
    assert_nothing_kept(media)


def _never_opened(*args, **kwargs):
    raise AssertionError("the archive's directory was read whole")


CSV_FILES = {
    "million-columns": (
        lambda: ",".join(f"c{n}" for n in range(1_000_000)).encode() + b"\r\n",
        "The file has more than 1,000 columns.",
    ),
    "nul-in-header": (
        lambda: b"Respondent ID,Over\x00all\r\nR1,5\r\n",
        "Line 1 of the file holds a NUL character",
    ),
    "overlong-header": (
        lambda: ("Respondent ID," + "x" * 300 + "\r\nR1,5\r\n").encode(),
        "The name of column B is longer than 255 characters.",
    ),
    "field-over-the-csv-module-limit": (
        lambda: csv_bytes([*GOOD_ROWS * 2, ["R9", "x" * 200_000]]),
        "Row 8 has a field longer than 32,767 characters.",
    ),
    "field-over-the-cell-limit": (
        lambda: csv_bytes([*GOOD_ROWS * 2, ["R9", "x" * 40_000]]),
        "Row 8 has a field longer than 32,767 characters.",
    ),
    "utf-16-without-bom": (
        lambda: csv_bytes(GOOD_ROWS, encoding="utf-16-le"),
        "The file is text in UTF-16.",
    ),
    "utf-16-with-bom": (
        lambda: csv_bytes(GOOD_ROWS, encoding="utf-16"),
        "The file is text in UTF-16.",
    ),
    "bytes-of-no-encoding": (
        lambda: csv_bytes(GOOD_ROWS) + b"R4,2026-02-03,online,\x81\x8d,4\r\n",
        "Line 5 of the file has characters that are neither UTF-8 nor Windows-1252.",
    ),
    "endless-line": (
        lambda: csv_bytes(GOOD_ROWS) + b'R4,"' + b"y" * (2 * MB),
        "Line 5 of the file is longer than 1,048,576 characters.",
    ),
}


@pytest.mark.parametrize("case", CSV_FILES, ids=list(CSV_FILES))
def test_a_hostile_csv_file_is_refused_with_a_clear_message(editor, survey, media, case):
    make, expected = CSV_FILES[case]

    message = refusal(api_upload(editor, survey, make(), "results.csv"))

    assert expected in message
    assert_nothing_kept(media)


def test_a_million_columns_never_reach_the_job_list(editor, survey, media):
    content = CSV_FILES["million-columns"][0]()

    answer = api_upload(editor, survey, content, "results.csv")

    assert answer.status_code == 400
    assert len(editor.get("/api/survey-imports/").content) < 2_000


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            [*GOOD_ROWS[0][:10], "No", "extra"],
            "This row has 12 fields but the first row names 11 columns. A value holding "
            "the separator (,) must be in double quotes.",
        ),
        (GOOD_ROWS[0][:9], "This row has 9 fields but the first row names 11 columns."),
    ],
    ids=["extra-field", "missing-fields"],
)
def test_a_row_with_more_or_fewer_fields_is_a_row_error(editor, survey, media, row, reason):
    rows = [GOOD_ROWS[1], GOOD_ROWS[2], ["R004", *row[1:]]]
    created = api_upload(editor, survey, csv_bytes(rows), "results.csv")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["job"]["status"] == "mapping"

    confirmed = editor.post(
        f"/api/survey-imports/{body['job']['id']}/confirm/",
        {"mapping": body["suggested_mapping"]},
        content_type="application/json",
    )

    job = editor.get(f"/api/survey-imports/{confirmed.json()['id']}/").json()
    assert job["status"] == "invalid", job
    assert {"row": 4, "column": "", "value": "", "reason": reason} in job["errors"]
    assert not Response.objects.exists()


def test_a_checked_job_gives_its_suggested_mapping_at_its_own_address(editor, survey):
    # An API client told `checking` at upload follows the job, then confirms from it.
    created = api_upload(editor, survey, csv_bytes(GOOD_ROWS), "results.csv").json()

    job = editor.get(f"/api/survey-imports/{created['job']['id']}/").json()

    assert job["status"] == "mapping"
    assert job["suggested_mapping"] == created["suggested_mapping"]
    assert job["suggested_mapping"]["respondent_id"]


def test_a_list_of_jobs_leaves_out_columns_preview_and_errors(editor, survey):
    api_upload(editor, survey, csv_bytes(GOOD_ROWS), "results.csv")

    listed = editor.get("/api/survey-imports/").json()["results"]

    assert listed and not {"columns", "preview", "errors"} & set(listed[0])


# The pages ------------------------------------------------------------------------------


def page_upload(client, survey, content, name):
    def call():
        data = {"file": io.BytesIO(content)}
        data["file"].name = name
        return client.post(reverse("surveys:upload", args=[survey.pk]), data, follow=True)

    return measured(call)


def test_the_upload_page_says_at_once_why_a_csv_file_is_refused(editor, survey, media):
    page = page_upload(editor, survey, CSV_FILES["million-columns"][0](), "results.csv")

    assert page.status_code == 200
    assert "The file has more than 1,000 columns." in page.content.decode()
    assert not ImportJob.objects.exists()
    assert_nothing_kept(media)


def test_the_upload_page_shows_why_the_check_refused_a_workbook(editor, survey, media):
    content = WORKBOOKS["billion-laughs"][0]()

    page = page_upload(editor, survey, content, "results.xlsx").content.decode()

    assert "The file cannot be imported: nothing was stored" in page
    assert "declares a document type of its own" in page
    assert "Upload another file" in page
    assert_nothing_kept(media)


def test_a_file_being_checked_shows_its_progress_then_its_columns(editor, survey, monkeypatch):
    monkeypatch.setattr("django.db.transaction.on_commit", lambda func, using=None: None)
    page = page_upload(editor, survey, csv_bytes(GOOD_ROWS), "results.csv").content.decode()
    job = ImportJob.objects.get()

    assert job.status == ImportJob.Status.CHECKING
    assert "Checking your file: 0%" in page

    from surveys.imports import import_job_check

    import_job_check(job_id=job.pk)
    page = editor.get(reverse("surveys:import_job", args=[job.pk]), follow=True)
    assert page.redirect_chain[-1][0] == reverse("surveys:import_mapping", args=[job.pk])
