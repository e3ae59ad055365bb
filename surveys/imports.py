"""Survey results files: upload, column matching, checking and storing.

An upload becomes an `ImportJob` (MAPPING) once the file is stored and read far enough
to show its columns; confirming the mapping queues it (PENDING); a Celery task runs it
(RUNNING) to DONE, INVALID (row errors, nothing stored) or FAILED (our fault, nothing
stored, can be retried).

The run reads the file in chunks with polars and checks each chunk column by column.
Every chunk is loaded (COPY on PostgreSQL, batched inserts elsewhere) inside one
transaction as soon as it is checked: a respondent id is then checked against the
unique index (rows of earlier uploads and earlier chunks of this file alike), so no
id is held in memory beyond one chunk. If any row has an error the transaction is
rolled back at the end, so nothing is kept.
"""

import codecs
import csv
import datetime
import hashlib
import io
import json
import logging
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import polars as pl
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from assessments.evidence import megabytes
from assessments.reports import spreadsheet_safe
from organisations.models import Membership

from .models import (
    IMPORTANCE_COLUMNS,
    SCALE_MAX,
    SCALE_MIN,
    Channel,
    ImportJob,
    Response,
    Survey,
    SurveyQuestion,
    core_column,
)
from .services import require_editor, survey_responses_changed

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 500 * 1024 * 1024
PREVIEW_ROWS = 5
KEPT_ERRORS = 1000
CHUNK_ROWS = 100_000
READ_BLOCK = 1024 * 1024
CSV_BLOCK_BYTES = 8 * 1024 * 1024  # about 100,000 rows of a typical file
DELIMITERS = ",;\t|"
RESPONDENT_ID_MAX = Response._meta.get_field("respondent_id").max_length
# An import of millions of rows takes minutes; one still running after this lost its worker.
ABANDONED_AFTER = timedelta(minutes=10)
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
YES_NO = {"yes": 1, "y": 1, "true": 1, "1": 1, "no": 0, "n": 0, "false": 0, "0": 0}
ROW = "__row"


# The fields a file's columns are matched to ----------------------------------------------


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    required: bool
    kind: str  # respondent_id, date, channel, site, score, scale, yes_no, group
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = field(default=(), repr=False)


def import_fields(survey: Survey) -> list[ImportField]:
    """What a file's columns can be matched to, in the order the mapping page shows."""
    channels = [str(Channel(code).label) for code in survey.channels]
    fields = [
        ImportField(
            "respondent_id",
            _("Respondent ID"),
            True,
            "respondent_id",
            aliases=("respondent", "id", "respondent number", "reference", "response id"),
        ),
        ImportField(
            "responded_on",
            _("Date of the response"),
            False,
            "date",
            aliases=("date", "response date", "responded on", "date of response"),
        ),
        ImportField("channel", _("Channel"), False, "channel", tuple(channels)),
        ImportField(
            "site",
            _("Site"),
            False,
            "site",
            tuple(survey.organisation.sites.values_list("name", flat=True)),
            aliases=("office", "location"),
        ),
    ]
    for question in survey.standard.core_questions.all():
        column = core_column(question)
        if column in IMPORTANCE_COLUMNS and not survey.includes_importance:
            continue
        importance = column in IMPORTANCE_COLUMNS
        driver = question.driver.replace("_", " ")
        aliases = (
            (f"importance {driver}", f"importance of {driver}", f"{driver} importance")
            if importance
            else (driver, f"{driver} satisfaction", f"satisfaction {driver}")
        )
        fields.append(
            ImportField(
                column,
                question.wording,
                question.required and not importance,
                "score",
                aliases=(question.code, *aliases),
            )
        )
    for question in survey.questions.all():
        fields.append(
            ImportField(
                f"q:{question.code}",
                question.wording,
                False,
                question.kind,
                aliases=(question.code,),
            )
        )
    for group in survey.groups.all():
        fields.append(
            ImportField(
                f"g:{group.code}",
                group.label,
                False,
                "group",
                tuple(group.values),
                aliases=(group.code,),
            )
        )
    return fields


def _normalised(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(name).casefold()).split())


# Uploading --------------------------------------------------------------------------------


def max_import_bytes() -> int:
    return getattr(settings, "SURVEY_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


class _HashingFile(File):
    """Computes the SHA-256 and size of what storage reads from it."""

    def __init__(self, upload: UploadedFile):
        super().__init__(upload, name=upload.name)
        self.digest, self.total = hashlib.sha256(), 0

    def chunks(self, chunk_size=None):
        self.file.seek(0)
        for chunk in self.file.chunks(READ_BLOCK):
            self.digest.update(chunk)
            self.total += len(chunk)
            yield chunk


@dataclass
class _Inspected:
    file_format: str
    columns: list[str]
    preview: list[list[str]]
    encoding: str = ""
    delimiter: str = ""


def import_job_create(*, membership: Membership, survey: Survey, upload: UploadedFile) -> ImportJob:
    """Store an uploaded results file and read its columns. Raises ValidationError (one
    message) and keeps nothing if the file cannot be imported."""
    require_editor(membership, survey.organisation)
    limit = max_import_bytes()
    if upload is None:
        raise ValidationError(_("Choose the file to upload."), code="required")
    if upload.size is not None and upload.size > limit:
        raise _too_big(limit)
    job = ImportJob(survey=survey, uploaded_by=membership.user, status=ImportJob.Status.MAPPING)
    job.original_name = Path((upload.name or "results").replace("\\", "/")).name[-255:]
    content = _HashingFile(upload)
    job.file.save(f"{uuid.uuid4().hex}.upload", content, save=False)
    try:
        job.sha256, job.size = content.digest.hexdigest(), content.total
        _refuse_known_file(survey, job.sha256)
        if job.size == 0:
            raise ValidationError(_("The file is empty."), code="empty")
        if job.size > limit:
            raise _too_big(limit)
        with job.file.open("rb") as handle:
            inspected = _inspect(handle)
        job.file_format, job.encoding = inspected.file_format, inspected.encoding
        job.delimiter, job.columns = inspected.delimiter, inspected.columns
        job.preview = inspected.preview
        job.save()
    except BaseException:
        job.file.storage.delete(job.file.name)
        raise
    return job


def _too_big(limit: int) -> ValidationError:
    return ValidationError(
        _("The file must be %(limit)s MB or smaller.") % {"limit": megabytes(limit)},
        code="too_big",
    )


def _refuse_known_file(survey: Survey, sha256: str) -> None:
    Status = ImportJob.Status
    earlier = (
        survey.import_jobs.filter(sha256=sha256)
        .filter(status__in=[Status.DONE, Status.PENDING, Status.RUNNING, Status.INVALID])
        .first()
    )
    if earlier is None:
        return
    what = {
        Status.DONE: _("its responses are already stored"),
        Status.INVALID: _(
            "it was found to have errors; correct them and upload the corrected file"
        ),
    }.get(earlier.status, _("it is being checked and stored"))
    raise ValidationError(
        _("This file was already uploaded as “%(name)s” on %(when)s, and %(what)s.")
        % {
            "name": earlier.original_name,
            "when": formats.date_format(timezone.localtime(earlier.created_at), "j F Y, H:i"),
            "what": what,
        },
        code="duplicate_file",
    )


def _inspect(handle) -> _Inspected:
    head = handle.read(8)
    handle.seek(0)
    if head.startswith(ZIP_SIGNATURE):
        return _inspect_xlsx(handle)
    if head.startswith(OLE_SIGNATURE):
        raise _not_accepted(_("an older Excel workbook (.xls); save it as .xlsx or CSV"))
    return _inspect_csv(handle)


def _not_accepted(what: str) -> ValidationError:
    return ValidationError(
        _("The file is not a CSV file or an Excel workbook (.xlsx): it looks like %(what)s.")
        % {"what": what},
        code="not_accepted",
    )


# CSV ------------------------------------------------------------------------------------


def _inspect_csv(handle) -> _Inspected:
    encoding = _detect_encoding(handle)
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    sample = text.read(64 * 1024)
    delimiter = _detect_delimiter(sample)
    text.seek(0)
    rows = csv.reader(text, delimiter=delimiter)
    header = next(rows, None)
    columns = _checked_header(header)
    preview = []
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        preview.append(_fit(row, len(columns)))
        if len(preview) == PREVIEW_ROWS:
            break
    text.detach()
    return _Inspected("csv", columns, preview, _encoding_name(encoding), delimiter)


def _detect_encoding(handle) -> str:
    """UTF-8 (with or without a byte order mark) if the whole file decodes as UTF-8,
    else Windows-1252 (what Excel on Windows saves as "CSV")."""
    first = handle.read(READ_BLOCK)
    if b"\x00" in first or first.startswith(b"%PDF"):
        raise _not_accepted(_("a document or program rather than text"))
    if first.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for block in iter(lambda: handle.read(READ_BLOCK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _not_accepted(_("text in an encoding other than UTF-8 or Windows-1252"))


def _encoding_name(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252"}[encoding]


def _detect_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=first_line.count) if first_line else ","


def _checked_header(header: list | None) -> list[str]:
    if header is None or not any(str(c or "").strip() for c in header):
        raise ValidationError(
            _("The first row must hold the column names, but it is empty."), code="no_header"
        )
    columns = [str(c).strip() if c is not None else "" for c in header]
    while columns and not columns[-1]:
        columns.pop()
    blank = [_column_letter(n) for n, name in enumerate(columns) if not name]
    if blank:
        raise ValidationError(
            _("Column %(columns)s has no name in the first row. Give every column a name.")
            % {"columns": get_text_list(blank, _("and"))},
            code="blank_column",
        )
    seen, repeated = set(), []
    for name in columns:
        if name.casefold() in seen and name not in repeated:
            repeated.append(name)
        seen.add(name.casefold())
    if repeated:
        raise ValidationError(
            _("More than one column is called %(names)s. Give every column its own name.")
            % {"names": get_text_list([f"“{n}”" for n in repeated], _("and"))},
            code="duplicate_column",
        )
    return columns


def _fit(row: list, width: int) -> list[str]:
    cells = ["" if c is None else str(c) for c in row[:width]]
    return cells + [""] * (width - len(cells))


def _column_letter(index: int) -> str:
    return openpyxl.utils.get_column_letter(index + 1)


# XLSX -----------------------------------------------------------------------------------


def _inspect_xlsx(handle) -> _Inspected:
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _not_accepted(_("a ZIP archive or another kind of office document")) from None
    try:
        sheet = _only_sheet_with_data(workbook)
        _refuse_merged_header_and_formulas(handle, sheet)
        rows = sheet.iter_rows(values_only=True)
        columns = _checked_header(next(rows, None))
        preview = []
        for row in rows:
            if any(cell is not None and str(cell).strip() for cell in row):
                preview.append(_fit([_cell_text(c) for c in row], len(columns)))
            if len(preview) == PREVIEW_ROWS:
                break
    finally:
        workbook.close()
    return _Inspected("xlsx", columns, preview)


def _only_sheet_with_data(workbook):
    with_data = [s for s in workbook.worksheets if _has_data(s)]
    if not with_data:
        raise ValidationError(_("The workbook has no data in any sheet."), code="empty")
    if len(with_data) > 1:
        names = get_text_list([f"“{s.title}”" for s in with_data], _("and"))
        raise ValidationError(
            _(
                "The workbook has data in %(count)s sheets: %(names)s. Keep only the sheet "
                "with the survey results (one row per respondent, column names in the first "
                "row), delete the others, and upload it again."
            )
            % {"count": len(with_data), "names": names},
            code="several_sheets",
        )
    return with_data[0]


def _has_data(sheet) -> bool:
    return any(
        cell is not None and str(cell).strip()
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )


def _refuse_merged_header_and_formulas(handle, sheet) -> None:
    """One streaming pass over the sheet's XML: openpyxl's read-only mode does not
    report merged cells, and reading the XML finds formulas without loading values."""
    handle.seek(0)
    with zipfile.ZipFile(handle) as archive, archive.open(sheet._worksheet_path) as xml:
        for _event, element in ElementTree.iterparse(xml):
            if element.tag == f"{SHEET_NS}c":
                formula = element.find(f"{SHEET_NS}f")
                if formula is not None:
                    raise ValidationError(
                        _(
                            "Cell %(cell)s holds a formula (=%(formula)s); save the sheet as "
                            "values (copy it and paste as values only) and upload it again."
                        )
                        % {"cell": element.get("r"), "formula": (formula.text or "")[:60]},
                        code="formula",
                    )
                element.clear()
            elif element.tag == f"{SHEET_NS}mergeCell":
                cells = element.get("ref", "")
                if re.fullmatch(r"[A-Z]+1(:[A-Z]+\d+)?", cells):
                    raise ValidationError(
                        _(
                            "Cells %(cells)s of the first row are merged. Unmerge them so "
                            "that every column has its own name."
                        )
                        % {"cells": cells},
                        code="merged_header",
                    )


def _cell_text(value) -> str | None:
    """A cell as the text a CSV would hold: whole numbers without ".0", dates in ISO."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# Matching columns -----------------------------------------------------------------------


def suggested_mapping(job: ImportJob) -> dict[str, str]:
    """The mapping of the survey's last upload where this file has those columns, else
    columns whose names match a field's."""
    fields = import_fields(job.survey)
    # Read afresh: the survey may have been loaded before the last upload was confirmed.
    last = Survey.objects.filter(pk=job.survey_id).values_list("column_mapping", flat=True)
    remembered = {
        key: column
        for key, column in (last.first() or {}).items()
        if column in job.columns and any(f.key == key for f in fields)
    }
    if remembered:
        return remembered
    by_name = {_normalised(c): c for c in reversed(job.columns)}
    mapping, used = {}, set()
    for f in fields:
        names = [f.key.split(":", 1)[-1], f.label, *f.aliases]
        if f.kind == "score" and f.key == "overall":
            names.append("overall satisfaction")
        for name in names:
            column = by_name.get(_normalised(name))
            if column and column not in used:
                mapping[f.key] = column
                used.add(column)
                break
    return mapping


@transaction.atomic
def import_job_confirm(*, membership: Membership, job: ImportJob, mapping: dict) -> ImportJob:
    """Check and save the mapping, remember it for the survey's next upload, and queue
    the job. Raises ValidationError keyed by field key."""
    require_editor(membership, job.survey.organisation)
    job = ImportJob.objects.select_for_update().select_related("survey").get(pk=job.pk)
    if job.status not in (ImportJob.Status.MAPPING, ImportJob.Status.INVALID):
        raise ValidationError(_("This file is already being checked or has been stored."))
    mapping = _checked_mapping(job, mapping)
    job.mapping, job.status, job.progress = mapping, ImportJob.Status.PENDING, 0
    job.errors, job.error_count, job.failure = [], 0, ""
    job.save(update_fields=["mapping", "status", "progress", "errors", "error_count", "failure"])
    Survey.objects.filter(pk=job.survey_id).update(column_mapping=mapping)
    job.survey.column_mapping = mapping
    _queue(job)
    return job


def _checked_mapping(job: ImportJob, mapping: dict) -> dict[str, str]:
    fields = {f.key: f for f in import_fields(job.survey)}
    errors, used, clean = {}, {}, {}
    for key, column in (mapping or {}).items():
        column = (column or "").strip()
        if not column:
            continue
        if key not in fields:
            errors[key] = _("This survey has no field called “%(key)s”.") % {"key": key}
        elif column not in job.columns:
            errors[key] = _("The file has no column called “%(column)s”.") % {"column": column}
        elif column in used:
            errors[key] = _("The column “%(column)s” is already matched to “%(field)s”.") % {
                "column": column,
                "field": fields[used[column]].label,
            }
        else:
            used[column], clean[key] = key, column
    for key, f in fields.items():
        if f.required and key not in clean and key not in errors:
            errors[key] = _("Choose the column that holds “%(field)s”.") % {"field": f.label}
    if errors:
        raise ValidationError(errors)
    return clean


def _queue(job: ImportJob) -> None:
    # Imported here: the task module imports this one.
    from .tasks import run_import

    transaction.on_commit(lambda: run_import.delay(job.pk))


def _abandoned() -> Q:
    return Q(status=ImportJob.Status.RUNNING, started_at__lt=timezone.now() - ABANDONED_AFTER)


def can_retry(job: ImportJob) -> bool:
    abandoned = job.status == ImportJob.Status.RUNNING and (
        job.started_at is None or job.started_at < timezone.now() - ABANDONED_AFTER
    )
    return job.status == ImportJob.Status.FAILED or abandoned


@transaction.atomic
def import_job_retry(*, membership: Membership, job: ImportJob) -> ImportJob:
    """Queue a failed job, or one whose worker was lost, again."""
    require_editor(membership, job.survey.organisation)
    retried = ImportJob.objects.filter(
        Q(status=ImportJob.Status.FAILED) | _abandoned(), pk=job.pk
    ).update(status=ImportJob.Status.PENDING, progress=0, failure="")
    if not retried:
        raise ValidationError(_("Only a file that failed to be stored can be tried again."))
    job.refresh_from_db()
    _queue(job)
    return job


def import_job_progress(job: ImportJob) -> int:
    """How far a job has got, 0 to 100. On PostgreSQL the row always says; on SQLite,
    which lets one connection write at a time, a running job reports through the cache."""
    if job.status == ImportJob.Status.RUNNING:
        return max(job.progress, cache.get(_progress_key(job.pk), 0))
    return job.progress


# Running -------------------------------------------------------------------------------


class _StaleClaim(Exception):
    """Another worker claimed the job again while this one was still storing."""


def import_job_run(*, job_id: int) -> None:
    """Check and store a pending job (or one whose worker was lost). Safe to call again:
    only one call claims the job. Failures are recorded on the job, not raised."""
    claimed_at = timezone.now()
    claimed = ImportJob.objects.filter(
        Q(status=ImportJob.Status.PENDING) | _abandoned(), pk=job_id
    ).update(status=ImportJob.Status.RUNNING, progress=0, failure="", started_at=claimed_at)
    if not claimed:
        return
    job = ImportJob.objects.select_related("survey__organisation", "survey__standard").get(
        pk=job_id
    )
    progress = _Progress(job.pk)
    try:
        _run(job, claimed_at, progress)
    except _StaleClaim:
        logger.warning("Import job %s was claimed again by another worker", job_id)
    except Exception as exc:
        logger.exception("Import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id, started_at=claimed_at).update(
            status=ImportJob.Status.FAILED,
            failure=_failure_message(exc),
            finished_at=timezone.now(),
        )
    finally:
        progress.close()


def _failure_message(exc: Exception) -> str:
    reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")[:300]
    return _(
        "The file could not be stored (%(reason)s). Nothing was stored. Try again; if it "
        "fails again, tell the Customer Voice team the date and time it happened."
    ) % {"reason": reason}


def _run(job: ImportJob, claimed_at: datetime.datetime, progress: "_Progress") -> None:
    with tempfile.TemporaryDirectory(prefix="survey-import-") as workdir:
        errors = _ErrorLog(Path(workdir) / "errors.csv")
        with transaction.atomic():
            # One import at a time per survey; it also waits for a lost worker's rollback.
            survey = Survey.objects.select_for_update().get(pk=job.survey_id)
            if not ImportJob.objects.filter(pk=job.pk, started_at=claimed_at).exists():
                raise _StaleClaim
            plan = _Plan.build(job, survey)
            total = _store_chunks(job, plan, _chunks(job, workdir, progress), errors)
            if errors.count:
                transaction.set_rollback(True)
            else:
                progress.report(95)
                survey_responses_changed(survey=survey)
                finished = ImportJob.objects.filter(pk=job.pk, started_at=claimed_at).update(
                    status=ImportJob.Status.DONE,
                    progress=100,
                    total_rows=total,
                    stored_rows=total,
                    error_count=0,
                    errors=[],
                    finished_at=timezone.now(),
                )
                if not finished:
                    raise _StaleClaim
        if errors.count:
            _record_invalid(job, claimed_at, total, errors)


def _record_invalid(job, claimed_at, total, errors: "_ErrorLog") -> None:
    errors.close()
    with errors.path.open("rb") as handle:
        job.errors_file.save(f"errors-{job.pk}.csv", File(handle), save=False)
    ImportJob.objects.filter(pk=job.pk, started_at=claimed_at).update(
        status=ImportJob.Status.INVALID,
        progress=100,
        total_rows=total,
        stored_rows=0,
        error_count=errors.count,
        errors=errors.kept,
        errors_file=job.errors_file.name,
        finished_at=timezone.now(),
    )


# Progress ------------------------------------------------------------------------------


def _progress_key(job_id: int) -> str:
    return f"survey-import-progress:{job_id}"


class _Progress:
    """Progress written where a page polling the job sees it although the storing
    transaction is still open: on PostgreSQL through a connection of its own in
    autocommit; on SQLite (one writer at a time) through the cache."""

    def __init__(self, job_id: int):
        self.job_id, self.last, self.side = job_id, -1, None

    def report(self, value: int) -> None:
        value = max(0, min(100, int(value)))
        if value == self.last:
            return
        self.last = value
        if connection.vendor == "postgresql":
            self._side_connection_update(value)
        else:
            cache.set(_progress_key(self.job_id), value, timeout=6 * 3600)

    def _side_connection_update(self, value: int) -> None:
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        table = connection.ops.quote_name(ImportJob._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET progress = %s WHERE id = %s", [value, self.job_id])

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
        cache.delete(_progress_key(self.job_id))


# Reading chunks ------------------------------------------------------------------------


def _chunks(job: ImportJob, workdir: str, progress: _Progress) -> Iterator[pl.DataFrame]:
    """The file's data rows as frames of text (stripped, empty as null) with their file
    row number in ROW, progress reported up to 90 as they are read."""
    local = _local_copy(job, workdir)
    expected = max(_estimated_rows(job, local), 1)
    seen = 0
    source = _xlsx_chunks(job, local) if job.file_format == "xlsx" else _csv_chunks(job, local)
    for frame in source:
        seen += frame.height
        yield _cleaned(frame)
        progress.report(min(90, 90 * seen // expected))


def _local_copy(job: ImportJob, workdir: str) -> Path:
    """A path polars can read: the stored file itself, or a copy (UTF-8 for
    Windows-1252 files, since polars reads UTF-8 only)."""
    if job.file_format == "csv" and job.encoding == "Windows-1252":
        target = Path(workdir) / "utf8.csv"
        with job.file.open("rb") as raw, target.open("w", encoding="utf-8", newline="") as out:
            shutil.copyfileobj(io.TextIOWrapper(raw, encoding="cp1252", newline=""), out)
        return target
    try:
        return Path(job.file.path)
    except NotImplementedError:  # storage without local files
        target = Path(workdir) / "upload"
        with job.file.open("rb") as raw, target.open("wb") as out:
            shutil.copyfileobj(raw, out)
        return target


def _estimated_rows(job: ImportJob, path: Path) -> int:
    if job.file_format == "xlsx":
        return max(job.size // 60, 1)  # rough: progress only
    lines = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(READ_BLOCK * 8), b""):
            lines += block.count(b"\n")
    return lines


def _csv_chunks(job: ImportJob, path: Path) -> Iterator[pl.DataFrame]:
    """Blocks of whole records parsed by polars one at a time, so memory stays the same
    whatever the file's size (polars' own streaming reader reads ahead without limit)."""
    wanted = sorted(set(job.mapping.values()), key=job.columns.index)
    row = 2
    for block in _record_blocks(path):
        frame = pl.read_csv(
            block,
            has_header=False,
            schema=dict.fromkeys(job.columns, pl.String),
            separator=job.delimiter or ",",
            truncate_ragged_lines=True,
        ).select(wanted)
        yield frame.with_row_index(ROW, offset=row)
        row += frame.height


def _record_blocks(path: Path) -> Iterator[bytes]:
    """The file after its header, in blocks that end at the end of a record: at a line
    end preceded by an even number of quote characters (a quoted value may hold line
    ends; an escaped quote is two quotes, which keeps the count even)."""
    carry, header_done = b"", False
    with path.open("rb") as handle:
        for data in iter(lambda: handle.read(CSV_BLOCK_BYTES), b""):
            buffer = carry + data
            if not header_done:
                buffer = buffer.removeprefix(codecs.BOM_UTF8)
                end = _record_end(buffer, last=False)
                if end is None:
                    carry = buffer
                    continue
                buffer, header_done = buffer[end:], True
            end = _record_end(buffer, last=True)
            if end is None:
                carry = buffer
                continue
            carry = buffer[end:]
            yield buffer[:end]
    if header_done and carry.strip():
        yield carry


def _record_end(buffer: bytes, *, last: bool) -> int | None:
    quotes = buffer.count(b'"') if last else 0
    position = len(buffer) if last else -1
    while True:
        position = buffer.rfind(b"\n", 0, position) if last else buffer.find(b"\n", position + 1)
        if position < 0:
            return None
        before = quotes - buffer.count(b'"', position) if last else buffer.count(b'"', 0, position)
        if before % 2 == 0:
            return position + 1


def _xlsx_chunks(job: ImportJob, path: Path) -> Iterator[pl.DataFrame]:
    # A file object, not a path: openpyxl judges a path by its extension.
    handle = path.open("rb")
    workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    try:
        sheet = next(s for s in workbook.worksheets if _has_data(s))
        rows = sheet.iter_rows(values_only=True)
        header = _checked_header(next(rows))
        wanted = {name: header.index(name) for name in set(job.mapping.values())}
        schema = {ROW: pl.Int64, **dict.fromkeys(wanted, pl.String)}
        buffer: list[list] = []
        for number, row in enumerate(rows, start=2):
            cells = [_cell_text(row[i]) if i < len(row) else None for i in wanted.values()]
            buffer.append([number, *cells])
            if len(buffer) == CHUNK_ROWS:
                yield pl.DataFrame(buffer, schema=schema, orient="row")
                buffer = []
        if buffer:
            yield pl.DataFrame(buffer, schema=schema, orient="row")
    finally:
        workbook.close()
        handle.close()


def _cleaned(frame: pl.DataFrame) -> pl.DataFrame:
    text = [c for c in frame.columns if c != ROW]
    frame = frame.with_columns(
        pl.col(ROW).cast(pl.Int64),
        *(pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c) for c in text),
    )
    # Rows with nothing in any matched column are blank lines, not respondents.
    if text:
        frame = frame.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in text))
    return frame


# Checking ------------------------------------------------------------------------------


@dataclass
class _Check:
    column: str  # the file's column, as the person named it
    order: int  # its position in the file, to list a row's errors left to right
    bad: pl.Expr
    reason: str


@dataclass
class _Plan:
    """How each matched column is checked and what it becomes in `Response`."""

    survey: Survey
    job: ImportJob
    id_column: str
    values: dict[str, pl.Expr]
    checks: list[_Check]
    earlier_uploads: dict[int | None, str]

    @classmethod
    def build(cls, job: ImportJob, survey: Survey) -> "_Plan":
        order = {c: n for n, c in enumerate(job.columns)}
        plan = cls(
            survey=survey,
            job=job,
            id_column=job.mapping["respondent_id"],
            values={c: pl.lit(None, dtype=pl.Int16) for c in SCORE_ALL},
            checks=[],
            earlier_uploads=dict(
                survey.import_jobs.filter(status=ImportJob.Status.DONE).values_list(
                    "pk", "original_name"
                )
            ),
        )
        plan.values.update(
            respondent_id=pl.col(plan.id_column),
            responded_on=pl.lit(None, dtype=pl.Date),
            channel=pl.lit(survey.channels[0] if len(survey.channels) == 1 else ""),
            site_id=pl.lit(None, dtype=pl.Int64),
        )
        extra, groups = [], []
        for f in import_fields(survey):
            column = job.mapping.get(f.key)
            if column is None:
                continue
            add = lambda bad, reason, column=column: plan.checks.append(  # noqa: E731
                _Check(column, order[column], bad, reason)
            )
            value = _VALUE_BUILDERS[f.kind](plan, f, pl.col(column), add)
            if f.key.startswith("q:"):
                extra.append(_json_pair(f.key[2:], value.cast(pl.String)))
            elif f.key.startswith("g:"):
                groups.append(_json_pair(f.key[2:], value))
            elif value is not None:
                plan.values[_TARGET.get(f.kind, f.key)] = value
        plan.values["extra"] = _json_object(extra)
        plan.values["groups"] = _json_object(groups)
        return plan


SCORE_ALL = [
    "overall",
    "delivery",
    "timeliness",
    "information",
    "professionalism",
    "staff_attitude",
    *IMPORTANCE_COLUMNS,
]
_TARGET = {"date": "responded_on", "channel": "channel", "site": "site_id"}


def _respondent(plan, f, col, add):
    add(col.is_null(), _("Missing respondent ID."))
    add(
        col.str.len_chars() > RESPONDENT_ID_MAX,
        _("The respondent ID is longer than %(max)s characters.") % {"max": RESPONDENT_ID_MAX},
    )
    return None  # the respondent id is kept as it is


def _date(plan, f, col, add):
    parsed = pl.coalesce(
        col.str.to_date("%Y-%m-%d", strict=False), col.str.to_date("%d/%m/%Y", strict=False)
    )
    add(
        col.is_not_null() & parsed.is_null(), _("Not a date: write it as 2026-03-31 or 31/03/2026.")
    )
    return parsed


def _whole_number(plan, f, col, add, *, required=False):
    number = col.cast(pl.Int64, strict=False)
    on_scale = number.is_between(SCALE_MIN, SCALE_MAX).fill_null(False)
    add(
        col.is_not_null() & ~on_scale,
        _("Not a whole number from %(min)s to %(max)s.") % {"min": SCALE_MIN, "max": SCALE_MAX},
    )
    if required:
        add(col.is_null(), _("Missing answer to a required core question."))
    return pl.when(on_scale).then(number).cast(pl.Int16)


def _score(plan, f, col, add):
    return _whole_number(plan, f, col, add, required=f.required)


def _yes_no(plan, f, col, add):
    answer = col.str.to_lowercase().replace_strict(YES_NO, default=None, return_dtype=pl.Int16)
    add(col.is_not_null() & answer.is_null(), _("Not yes or no."))
    return answer


def _lookup(col, add, allowed: dict, reason: str, dtype):
    value = col.str.to_lowercase().replace_strict(allowed, default=None, return_dtype=dtype)
    add(col.is_not_null() & value.is_null(), reason)
    return value


def _channel(plan, f, col, add):
    allowed = {}
    for code in plan.survey.channels:
        allowed[code.casefold()] = code
        allowed[str(Channel(code).label).casefold()] = code
    names = get_text_list([f"“{c}”" for c in f.choices], _("or"))
    value = _lookup(
        col, add, allowed, _("Unknown channel: use %(names)s.") % {"names": names}, pl.String
    )
    default = plan.survey.channels[0] if len(plan.survey.channels) == 1 else ""
    return value.fill_null(default)


def _site(plan, f, col, add):
    sites = plan.survey.organisation.sites.values_list("name", "pk")
    allowed = {name.casefold(): pk for name, pk in sites}
    names = get_text_list([f"“{c}”" for c in f.choices], _("or")) or _("(no sites recorded)")
    return _lookup(
        col, add, allowed, _("Unknown site: use %(names)s.") % {"names": names}, pl.Int64
    )


def _group(plan, f, col, add):
    # Stored as the attribute's own spelling, already encoded as JSON.
    allowed = {str(v).casefold(): json.dumps(str(v)) for v in f.choices}
    names = get_text_list([f"“{c}”" for c in f.choices], _("or"))
    reason = _("Not one of the answers for %(label)s: use %(names)s.") % {
        "label": f.label,
        "names": names,
    }
    return _lookup(col, add, allowed, reason, pl.String)


_VALUE_BUILDERS = {
    "respondent_id": _respondent,
    "date": _date,
    "channel": _channel,
    "site": _site,
    "score": _score,
    SurveyQuestion.Kind.SCALE: _whole_number,
    SurveyQuestion.Kind.YES_NO: _yes_no,
    "group": _group,
}


def _json_pair(code: str, encoded: pl.Expr) -> pl.Expr:
    # Null when there is no answer, so the key is left out.
    return pl.concat_str([pl.lit(f"{json.dumps(code)}:"), encoded])


def _json_object(pairs: list[pl.Expr]) -> pl.Expr:
    if not pairs:
        return pl.lit("{}")
    inner = pl.concat_str(pairs, separator=",", ignore_nulls=True).fill_null("")
    return pl.concat_str([pl.lit("{"), inner, pl.lit("}")])


class _ErrorLog:
    """Every error to a CSV file; the first KEPT_ERRORS also in memory for the job."""

    def __init__(self, path: Path):
        self.path, self.count, self.kept = path, 0, []
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow([_("Row"), _("Column"), _("Value"), _("Reason")])

    def add(self, frame: pl.DataFrame) -> None:
        for row, column, value, reason in frame.select(
            ROW, "column", "value", "reason"
        ).iter_rows():
            self.count += 1
            if len(self.kept) < KEPT_ERRORS:
                self.kept.append(
                    {"row": row, "column": column, "value": value or "", "reason": reason}
                )
            self.writer.writerow([row, spreadsheet_safe(column), spreadsheet_safe(value), reason])

    def close(self) -> None:
        if not self.handle.closed:
            self.handle.close()


def _chunk_errors(plan: _Plan, frame: pl.DataFrame) -> list[pl.DataFrame]:
    masks = frame.select(*(c.bad.alias(str(n)) for n, c in enumerate(plan.checks)))
    found = []
    for n, check in enumerate(plan.checks):
        mask = masks.get_column(str(n))
        if mask.any():
            found.append(
                frame.filter(mask).select(
                    pl.col(ROW),
                    pl.lit(check.order).alias("order"),
                    pl.lit(check.column).alias("column"),
                    pl.col(check.column).alias("value"),
                    pl.lit(check.reason).alias("reason"),
                )
            )
    return found


# Duplicates ----------------------------------------------------------------------------


def _repeated_in_chunk(plan: _Plan, frame: pl.DataFrame):
    """(rows with a usable respondent id seen first here, errors for ids repeated within
    the chunk)."""
    rid = pl.col(plan.id_column)
    usable = frame.filter(rid.is_not_null() & (rid.str.len_chars() <= RESPONDENT_ID_MAX))
    usable = usable.with_columns(pl.col(ROW).min().over(plan.id_column).alias("__first"))
    repeated = usable.filter(pl.col(ROW) != pl.col("__first"))
    if not repeated.height:
        return usable, []
    reasons = [
        _("Duplicate respondent ID: the same ID is on row %(row)s.") % {"row": first}
        for first in repeated.get_column("__first")
    ]
    first = usable.filter(pl.col(ROW) == pl.col("__first"))
    return first, [_duplicate_errors(plan, repeated, reasons)]


def _already_stored(plan: _Plan, rows: pl.DataFrame):
    """(rows whose respondent id is not stored yet, errors for those that are: from an
    earlier upload, or from an earlier chunk of this file)."""
    rid = pl.col(plan.id_column)
    stored = _stored_ids(plan, rows.get_column(plan.id_column).to_list())
    seen = rows.filter(rid.is_in(list(stored)))
    reasons = [_earlier_reason(plan, *stored[r]) for r in seen.get_column(plan.id_column)]
    return rows.filter(~rid.is_in(list(stored))), [_duplicate_errors(plan, seen, reasons)]


def _earlier_reason(plan: _Plan, row_number: int | None, job_id: int | None) -> str:
    if job_id == plan.job.pk:
        return _("Duplicate respondent ID: the same ID is on row %(row)s.") % {"row": row_number}
    if job_id is None:
        return _("This respondent ID is already stored in this survey (from the hosted form).")
    return _(
        "This respondent ID is already stored in this survey, from an earlier upload (“%(name)s”)."
    ) % {"name": plan.earlier_uploads.get(job_id, _("an earlier file"))}


def _duplicate_errors(plan: _Plan, rows: pl.DataFrame, reasons: list[str]) -> pl.DataFrame:
    return rows.select(
        pl.col(ROW),
        pl.lit(plan.job.columns.index(plan.id_column)).alias("order"),
        pl.lit(plan.id_column).alias("column"),
        pl.col(plan.id_column).alias("value"),
        pl.Series("reason", reasons, dtype=pl.String),
    )


def _stored_ids(plan: _Plan, ids: list[str]) -> dict[str, tuple[int | None, int | None]]:
    """The ids among `ids` already in the survey, including rows this run has loaded
    (same transaction), found through the unique index."""
    if not ids:
        return {}
    table = connection.ops.quote_name(Response._meta.db_table)
    select = f"SELECT respondent_id, row_number, import_job_id FROM {table} WHERE survey_id = %s"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{select} AND respondent_id = ANY(%s)", [plan.survey.pk, ids])
        else:
            cursor.execute(
                f"{select} AND respondent_id IN (SELECT value FROM json_each(%s))",
                [plan.survey.pk, json.dumps(ids)],
            )
        return {respondent: (row, job) for respondent, row, job in cursor.fetchall()}


# Storing -------------------------------------------------------------------------------


STORED_COLUMNS = [
    "survey_id",
    "respondent_id",
    "source",
    "import_job_id",
    "row_number",
    "channel",
    "site_id",
    "responded_on",
    *SCORE_ALL,
    "extra",
    "groups",
]


def _store_chunks(job: ImportJob, plan: _Plan, chunks, errors: _ErrorLog) -> int:
    """Check every chunk and load its rows; returns the number of data rows. Rows are
    loaded even after errors are found (with bad cells empty) so that later chunks'
    respondent ids are still checked against them; the caller then rolls back."""
    total = 0
    for frame in chunks:
        total += frame.height
        found = _chunk_errors(plan, frame)
        rows, repeated = _repeated_in_chunk(plan, frame)
        found += repeated
        try:
            # Optimistic: the unique index finds an id stored before. Only a chunk that
            # clashes is undone (savepoint) and loaded again without the stored ids.
            with transaction.atomic():
                _load(_stored_frame(plan, rows))
        except IntegrityError:
            rows, stored = _already_stored(plan, rows)
            found += stored
            _load(_stored_frame(plan, rows))
        if found:
            errors.add(pl.concat(found).sort(ROW, "order", maintain_order=True))
    return total


def _stored_frame(plan: _Plan, rows: pl.DataFrame) -> pl.DataFrame:
    fixed = {
        "survey_id": pl.lit(plan.survey.pk),
        "source": pl.lit(Response.Source.IMPORT),
        "import_job_id": pl.lit(plan.job.pk),
        "row_number": pl.col(ROW),
    }
    return rows.select(
        *((fixed.get(c) if c in fixed else plan.values[c]).alias(c) for c in STORED_COLUMNS)
    )


def _load(frame: pl.DataFrame) -> None:
    if not frame.height:
        return
    table = connection.ops.quote_name(Response._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in STORED_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY bypasses Django's cursor wrapper: its errors are wrapped here instead.
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy,
            ):
                copy.write(frame.write_csv(include_header=False))
            return
        frame = frame.with_columns(pl.col("responded_on").dt.to_string("%Y-%m-%d"))
        placeholders = ", ".join(["%s"] * len(STORED_COLUMNS))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})", frame.iter_rows()
        )
