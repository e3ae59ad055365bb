import csv
import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from organisations.models import Role
from surveys import import_checks, import_files, imports, services
from surveys.models import ImportJob, Response

ROOT = Path(__file__).resolve().parents[2]
HEADER = [
    "Respondent ID", "Date", "Channel", "Overall satisfaction", "Delivery", "Timeliness",
    "Information", "Professionalism", "Staff attitude", "Age band", "Disability",
]  # fmt: skip
GOOD_ROWS = [
    ["R001", "2026-02-03", "Telephone", "5", "4", "4", "5", "5", "5", "25-34", "No"],
    ["R002", "04/02/2026", "online", "4", "4", "3", "4", "4", "5", "65-74", "Yes"],
    ["R003", "2026-02-05", "ONLINE", "2", "1", "2", "3", "2", "2", "", "prefer not to say"],
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def csv_bytes(rows, header=HEADER, delimiter=",", encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def upload(content: bytes, name="results.csv"):
    return SimpleUploadedFile(name, content)


def xlsx_bytes(build) -> bytes:
    workbook = openpyxl.Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def results_sheet(workbook, rows=GOOD_ROWS):
    sheet = workbook.active
    sheet.title = "Results"
    sheet.append(HEADER)
    for row in rows:
        sheet.append([int(c) if c.isdigit() else c for c in row])
    return sheet


def admin(alpha):
    return alpha[Role.APPLICANT_ADMIN]


def uploaded(alpha, survey, content, name="results.csv"):
    """Upload and check the file (Celery runs eagerly in tests)."""
    with pytest.MonkeyPatch.context() as patch:
        # on_commit never fires inside the test's transaction: run the task at once.
        patch.setattr("django.db.transaction.on_commit", lambda func, using=None: func())
        job = imports.import_job_create(
            membership=admin(alpha), survey=survey, upload=upload(content, name)
        )
    job.refresh_from_db()
    return job


def imported(alpha, survey, content, name="results.csv", mapping=None):
    """Upload, confirm the suggested mapping and run (Celery runs eagerly in tests)."""
    job = uploaded(alpha, survey, content, name)
    with_mapping = mapping if mapping is not None else imports.suggested_mapping(job)
    with pytest.MonkeyPatch.context() as patch:
        # on_commit never fires inside the test's transaction: run the task at once.
        patch.setattr("django.db.transaction.on_commit", lambda func, using=None: func())
        imports.import_job_confirm(membership=admin(alpha), job=job, mapping=with_mapping)
    job.refresh_from_db()
    return job


def refused(alpha, survey, content, name="results.csv") -> str:
    """Why the file is refused: at upload (nothing kept) or by its check (the job says
    why, and its file is deleted)."""
    try:
        job = uploaded(alpha, survey, content, name)
    except ValidationError as error:
        return " ".join(error.messages)
    assert job.status == ImportJob.Status.REFUSED, job.status
    assert not job.file
    return job.failure


# Checking every row ----------------------------------------------------------------------


def test_it_lists_every_mistake_with_row_column_value_and_reason_and_stores_nothing(alpha, survey):
    rows = [
        GOOD_ROWS[0],
        ["R002", "31/02/2026", "Telephone", "6", "4", "4", "4", "4", "4", "25-34", "No"],
        ["", "2026-02-05", "Letter", "4", "", "4", "4", "4", "x", "Teenager", "No"],
        ["R001", "2026-02-06", "Online", "3", "3", "3", "3", "3", "3", "", ""],
    ]
    job = imported(alpha, survey, csv_bytes(rows))

    assert job.status == ImportJob.Status.INVALID
    assert Response.objects.count() == 0
    found = {(e["row"], e["column"], e["value"]): e["reason"] for e in job.errors}
    assert found == {
        (3, "Date", "31/02/2026"): "Not a date: write it as 2026-03-31 or 31/03/2026.",
        (3, "Overall satisfaction", "6"): "Not a whole number from 1 to 5.",
        (4, "Respondent ID", ""): "Missing respondent ID.",
        (4, "Channel", "Letter"): "Unknown channel: use “Telephone” or “Online”.",
        (4, "Delivery", ""): "Missing answer to a required core question.",
        (4, "Staff attitude", "x"): "Not a whole number from 1 to 5.",
        (4, "Age band", "Teenager"): (
            "Not one of the answers for Age band: use “16-24”, “25-34”, “35-44”, “45-54”, "
            "“55-64”, “65-74” or “75 or over”."
        ),
        (5, "Respondent ID", "R001"): "Duplicate respondent ID: the same ID is on row 2.",
    }
    assert job.error_count == 8
    assert [e["row"] for e in job.errors] == sorted(e["row"] for e in job.errors)
    with job.errors_file.open("rb") as handle:
        lines = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    assert lines[0] == ["Row", "Column", "Value", "Reason"]
    assert len(lines) == 9


def test_the_list_of_mistakes_downloads_from_the_upload_page(alpha, survey, login):
    rows = [GOOD_ROWS[0], ["R002", "2026-02-05", "Online", "9", "4", "4", "4", "4", "4", "", ""]]
    job = imported(alpha, survey, csv_bytes(rows))
    client = login(alpha[Role.INTERNAL_ASSESSOR])
    page = client.get(reverse("surveys:import_job", args=[job.pk])).content.decode()
    assert "The file has 1 mistake: nothing was stored" in page
    assert "Not a whole number from 1 to 5." in page
    download = client.get(reverse("surveys:import_errors_csv", args=[job.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="errors-results.csv"'
    assert "Not a whole number from 1 to 5." in b"".join(download.streaming_content).decode()


def test_once_corrected_every_row_is_stored_with_its_answers(alpha, survey):
    job = imported(alpha, survey, csv_bytes(GOOD_ROWS))

    assert job.status == ImportJob.Status.DONE, job.failure or job.errors
    assert job.progress == 100
    assert (job.total_rows, job.stored_rows) == (3, 3)
    stored = {r.respondent_id: r for r in Response.objects.filter(survey=survey)}
    assert set(stored) == {"R001", "R002", "R003"}
    second = stored["R002"]
    assert (second.source, second.import_job_id, second.row_number) == ("import", job.pk, 3)
    assert second.responded_on.isoformat() == "2026-02-04"
    assert second.channel == "online"
    assert (second.overall, second.timeliness, second.staff_attitude) == (4, 3, 5)
    assert second.groups == {"age_band": "65-74", "disability": "Yes"}
    assert stored["R003"].groups == {"disability": "Prefer not to say"}


def test_summary_and_method_check_follow_an_import(alpha, survey):
    imported(alpha, survey, csv_bytes(GOOD_ROWS))

    survey.refresh_from_db()
    assert survey.response_count == 3
    assert survey.summary["overall"] == {
        "count": 3, "mean": pytest.approx(11 / 3), "sd": pytest.approx(1.5275, abs=1e-4),
        "satisfied": 2,
    }  # fmt: skip
    margin = next(r for r in services.method_check(survey).reasons if r["rule"] == "margin")
    assert "from 3 responses" in margin["message"]
    assert survey.method_checked_at is not None


def test_a_respondent_stored_by_an_earlier_upload_is_an_error(alpha, survey):
    imported(alpha, survey, csv_bytes(GOOD_ROWS), name="january.csv")
    later = [["R004", "2026-03-01", "Online", *["4"] * 6, "", ""], GOOD_ROWS[1]]

    job = imported(alpha, survey, csv_bytes(later), name="february.csv")

    assert job.status == ImportJob.Status.INVALID
    assert job.errors == [
        {
            "row": 3,
            "column": "Respondent ID",
            "value": "R002",
            "reason": "This respondent ID is already stored in this survey, from an earlier "
            "upload (“january.csv”).",
        }
    ]
    assert Response.objects.filter(survey=survey).count() == 3


def test_duplicates_are_found_across_chunks(alpha, survey, monkeypatch):
    monkeypatch.setattr(import_files, "CSV_BLOCK_BYTES", 64)  # a few rows a chunk
    rows = [[f"R{n}", "", "Online", *["4"] * 6, "", ""] for n in range(7)]
    rows[4][0] = 'R4 "the\nfourth"'  # a quoted value with a line end and quotes
    rows.append(["R1", "", "Online", *["4"] * 6, "", ""])

    job = imported(alpha, survey, csv_bytes(rows))

    assert job.status == ImportJob.Status.INVALID
    assert [(e["row"], e["reason"]) for e in job.errors] == [
        (9, "Duplicate respondent ID: the same ID is on row 3.")
    ]
    assert Response.objects.count() == 0


def test_only_the_first_thousand_errors_are_kept_on_the_job_but_all_in_the_file(alpha, survey):
    rows = [[f"R{n}", "", "Online", "9", *["4"] * 5, "", ""] for n in range(1_200)]

    job = imported(alpha, survey, csv_bytes(rows))

    assert job.error_count == 1_200
    assert len(job.errors) == 1_000
    with job.errors_file.open("rb") as handle:
        assert handle.read().decode("utf-8-sig").count("\n") == 1_201


def test_the_same_file_again_is_refused_saying_when_it_came(alpha, survey):
    content = csv_bytes(GOOD_ROWS)
    imported(alpha, survey, content, name="march.csv")

    message = refused(alpha, survey, content, name="march-copy.csv")

    assert "already uploaded as “march.csv” on" in message
    assert "its responses are already stored" in message
    assert ImportJob.objects.count() == 1


def test_a_file_found_to_have_errors_is_refused_again(alpha, survey):
    content = csv_bytes([["", "", "Online", *["4"] * 6, "", ""]])
    imported(alpha, survey, content)

    assert "it was found to have errors" in refused(alpha, survey, content)


# Reading files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "encoding", "delimiter"),
    [
        (b"\xef\xbb\xbf" + csv_bytes(GOOD_ROWS), "UTF-8", ","),
        (csv_bytes(GOOD_ROWS, delimiter=";"), "UTF-8", ";"),
        (csv_bytes(GOOD_ROWS, delimiter="\t"), "UTF-8", "\t"),
        (csv_bytes(GOOD_ROWS, delimiter="|"), "UTF-8", "|"),
    ],
    ids=["bom", "semicolon", "tab", "pipe"],
)
def test_it_reads_csv_variants(alpha, survey, content, encoding, delimiter):
    job = uploaded(alpha, survey, content)

    assert (job.file_format, job.encoding, job.delimiter) == ("csv", encoding, delimiter)
    assert job.columns == HEADER
    assert job.preview[0] == GOOD_ROWS[0]


def test_it_reads_windows_1252_and_stores_the_text_right(alpha, make_survey):
    survey = make_survey()
    header = ["Réf. répondant", *HEADER[1:]]
    rows = [["Zoë-1", *GOOD_ROWS[0][1:]], ["Renée-2", *GOOD_ROWS[1][1:]]]
    content = csv_bytes(rows, header=header, delimiter=";", encoding="cp1252")
    job = uploaded(alpha, survey, content)
    mapping = {**imports.suggested_mapping(job), "respondent_id": "Réf. répondant"}
    job.delete()

    job = imported(alpha, survey, content, mapping=mapping)

    assert job.encoding == "Windows-1252"
    assert job.status == ImportJob.Status.DONE, job.errors or job.failure
    assert set(Response.objects.values_list("respondent_id", flat=True)) == {"Zoë-1", "Renée-2"}


def test_an_xlsx_workbook_is_imported(alpha, survey):
    content = xlsx_bytes(results_sheet)
    job = imported(alpha, survey, content, name="results.xlsx")

    assert job.file_format == "xlsx"
    assert job.status == ImportJob.Status.DONE, job.errors or job.failure
    assert Response.objects.get(respondent_id="R002").responded_on.isoformat() == "2026-02-04"


def test_a_formula_is_refused_naming_its_cell(alpha, survey):
    def build(workbook):
        sheet = results_sheet(workbook, GOOD_ROWS * 2)
        sheet["D7"] = "=SUM(E2:E6)/5"

    message = refused(alpha, survey, xlsx_bytes(build), "results.xlsx")

    assert message.startswith("Cell D7 holds a formula (=SUM(E2:E6)/5); save the sheet as values")
    assert not ImportJob.objects.exclude(status=ImportJob.Status.REFUSED).exists()


def test_a_merged_header_is_refused(alpha, survey):
    def build(workbook):
        results_sheet(workbook).merge_cells("J1:K1")

    assert "Cells J1:K1 of the first row are merged" in refused(
        alpha, survey, xlsx_bytes(build), "results.xlsx"
    )


def test_two_sheets_with_data_are_refused_naming_them(alpha, survey):
    def build(workbook):
        results_sheet(workbook)
        workbook.create_sheet("Notes")["B2"] = "Fieldwork by Acme Research"
        workbook.create_sheet("Empty")

    message = refused(alpha, survey, xlsx_bytes(build), "results.xlsx")

    assert "The workbook has data in 2 sheets: “Results” and “Notes”." in message
    assert "Keep only the sheet with the survey results" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "The file is empty."),
        (b"\n\n,,\n", "The first row must hold the column names"),
        (b"Respondent ID,,Overall\nR1,2,3\n", "Column B has no name"),
        (b"ID,Overall,overall\nR1,2,3\n", "More than one column is called “overall”"),
        (b"%PDF-1.7\n\x00\x01binary", "it looks like a document or program"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 100, "an older Excel workbook (.xls)"),
    ],
    ids=["empty", "no-header", "blank-name", "duplicate-name", "pdf", "xls"],
)
def test_unreadable_files_are_refused_and_nothing_is_kept(alpha, survey, media, content, expected):
    assert expected in refused(alpha, survey, content)
    assert ImportJob.objects.count() == 0
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_a_file_over_the_limit_is_refused(alpha, survey, settings):
    settings.SURVEY_IMPORT_MAX_BYTES = 100

    message = refused(alpha, survey, csv_bytes(GOOD_ROWS))

    assert message.startswith("The file must be") and message.endswith("MB or smaller.")


# Matching columns ------------------------------------------------------------------------


def test_columns_are_matched_by_their_names(alpha, survey):
    job = uploaded(alpha, survey, csv_bytes(GOOD_ROWS))

    assert imports.suggested_mapping(job) == {
        "respondent_id": "Respondent ID", "responded_on": "Date", "channel": "Channel",
        "overall": "Overall satisfaction", "delivery": "Delivery", "timeliness": "Timeliness",
        "information": "Information", "professionalism": "Professionalism",
        "staff_attitude": "Staff attitude", "g:age_band": "Age band", "g:disability": "Disability",
    }  # fmt: skip


def test_the_mapping_is_remembered_for_the_next_upload(alpha, survey):
    header = ["Ref", *HEADER[1:]]
    job = uploaded(alpha, survey, csv_bytes(GOOD_ROWS, header=header))
    assert "respondent_id" not in imports.suggested_mapping(job)
    mapping = {**imports.suggested_mapping(job), "respondent_id": "Ref"}
    job.delete()
    first = imported(alpha, survey, csv_bytes(GOOD_ROWS, header=header), mapping=mapping)
    assert first.status == ImportJob.Status.DONE, first.errors

    later = uploaded(alpha, survey, csv_bytes([["R9", *GOOD_ROWS[0][1:]]], header=header))

    assert imports.suggested_mapping(later) == mapping


def test_an_unmapped_required_field_and_a_column_used_twice_are_errors(alpha, survey):
    job = uploaded(alpha, survey, csv_bytes(GOOD_ROWS))
    mapping = imports.suggested_mapping(job)
    del mapping["overall"]
    mapping["timeliness"] = "Delivery"

    with pytest.raises(ValidationError) as caught:
        imports.import_job_confirm(membership=admin(alpha), job=job, mapping=mapping)

    assert caught.value.message_dict == {
        "overall": [
            "Choose the column that holds “Overall, how satisfied or dissatisfied are you "
            "with the service you received?”."
        ],
        "timeliness": [caught.value.message_dict["timeliness"][0]],
    }
    assert caught.value.message_dict["timeliness"][0].startswith(
        "The column “Delivery” is already matched to “"
    )
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING


def test_a_single_channel_survey_needs_no_channel_column(alpha, make_survey):
    survey = make_survey(channels=["telephone"])
    rows = [[r[0], r[1], *r[3:]] for r in GOOD_ROWS]
    content = csv_bytes(rows, header=[h for h in HEADER if h != "Channel"])

    job = imported(alpha, survey, content)

    assert job.status == ImportJob.Status.DONE, job.errors
    assert set(Response.objects.values_list("channel", flat=True)) == {"telephone"}


def test_sites_and_extra_questions_are_stored(alpha, make_survey):
    from surveys.services import question_add

    survey = make_survey(includes_importance=True)
    question_add(membership=admin(alpha), survey=survey, wording="Was it easy?", kind="yes_no")
    header = ["ID", "Site", *HEADER[3:9], "Importance of delivery", "Was it easy?"]
    rows = [["A1", "alpha civic centre", *["4"] * 7, "Yes"], ["A2", "", *["5"] * 6, "", "no"]]

    job = imported(alpha, survey, csv_bytes(rows, header=header))

    assert job.status == ImportJob.Status.DONE, job.errors
    first, second = Response.objects.order_by("row_number")
    assert first.site == alpha.site and second.site is None
    assert (first.importance_delivery, second.importance_delivery) == (4, None)
    assert (first.extra, second.extra) == ({"was_it_easy": 1}, {"was_it_easy": 0})


def test_an_unknown_site_names_the_sites(alpha, survey):
    header = ["ID", "Site", *HEADER[3:9]]
    job = imported(alpha, survey, csv_bytes([["A1", "Town Hall", *["4"] * 6]], header=header))

    assert job.errors[0]["reason"] == "Unknown site: use “Alpha Civic Centre”."


# Who may import ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.INTERNAL_ASSESSOR, Role.CB_MANAGER, Role.REGULATOR])
def test_only_editors_of_the_organisation_may_upload(alpha, survey, role):
    with pytest.raises(PermissionDenied):
        imports.import_job_create(
            membership=alpha[role], survey=survey, upload=upload(csv_bytes(GOOD_ROWS))
        )


def test_another_tenant_may_neither_upload_nor_confirm_nor_retry(alpha, beta, survey):
    job = uploaded(alpha, survey, csv_bytes(GOOD_ROWS))
    outsider = beta[Role.APPLICANT_ADMIN]

    with pytest.raises(PermissionDenied):
        imports.import_job_create(
            membership=outsider, survey=survey, upload=upload(csv_bytes(GOOD_ROWS[:1]))
        )
    with pytest.raises(PermissionDenied):
        imports.import_job_confirm(
            membership=outsider, job=job, mapping=imports.suggested_mapping(job)
        )
    with pytest.raises(PermissionDenied):
        imports.import_job_retry(membership=outsider, job=job)


# Failures and retries ------------------------------------------------------------------


def test_an_unexpected_failure_is_recorded_and_the_job_can_be_retried(alpha, survey, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(import_checks, "_load", broken)
    job = imported(alpha, survey, csv_bytes(GOOD_ROWS))
    assert job.status == ImportJob.Status.FAILED
    assert "disk full" in job.failure and "Nothing was stored" in job.failure
    assert imports.can_retry(job)
    monkeypatch.undo()

    imports.import_job_retry(membership=admin(alpha), job=job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING
    imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Response.objects.count() == 3


def test_a_job_is_claimed_once(alpha, survey):
    job = imported(alpha, survey, csv_bytes(GOOD_ROWS))

    imports.import_job_run(job_id=job.pk)

    assert Response.objects.count() == 3
    with pytest.raises(ValidationError):
        imports.import_job_retry(membership=admin(alpha), job=job)


# A worker killed while storing ------------------------------------------------------------

KILL_ROWS = 150_000


def database_url() -> str:
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"


def start_worker_process(job, media):
    code = (
        "import django; django.setup()\n"
        "from surveys import import_files, imports\n"
        "import_files.CSV_BLOCK_BYTES = 256 * 1024\n"  # progress every few thousand rows
        f"imports.import_job_run(job_id={job.pk})\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media),
    }
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)


def wait_for_progress(job, process, at_least: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        progress = ImportJob.objects.values_list("progress", flat=True).get(pk=job.pk)
        if progress >= at_least:
            return progress
        assert process.poll() is None, "the import finished before it could be killed"
        time.sleep(0.05)
    raise AssertionError(f"the import did not reach {at_least}% in {timeout} s")


def test_a_worker_killed_while_storing_stores_nothing_and_the_job_runs_again(
    transactional_db, alpha, survey, media, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database another process can see (PostgreSQL, as in CI)")
    rows = [[f"K{n:06d}", "2026-02-01", "Online", *["4"] * 6, "", ""] for n in range(KILL_ROWS)]
    job = uploaded(alpha, survey, csv_bytes(rows), name="big.csv")
    monkeypatch.setattr("surveys.tasks.run_import.delay", lambda job_id: None)
    imports.import_job_confirm(
        membership=admin(alpha), job=job, mapping=imports.suggested_mapping(job)
    )

    process = start_worker_process(job, media)
    try:
        progress = wait_for_progress(job, process, at_least=30)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)

    assert process.returncode == -signal.SIGKILL
    assert 30 <= progress < 95
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    assert Response.objects.count() == 0
    assert not imports.can_retry(job)

    # Once its worker has been silent long enough, a redelivered task claims it.
    silent = timezone.now() - timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(started_at=silent, heartbeat_at=silent)
    imports.import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.failure or job.errors[:3]
    assert Response.objects.filter(survey=survey).count() == KILL_ROWS
    assert Response.objects.values("respondent_id").distinct().count() == KILL_ROWS
    survey.refresh_from_db()
    assert survey.response_count == KILL_ROWS
