"""Survey results files: upload, column matching, checking and storing.

An upload becomes an `ImportJob` (CHECKING) once the file is stored, hashed and sniffed
within bounds in the web request; a file the sniff refuses leaves neither a job nor a
file behind. A Celery task then reads the whole file within the upload limits
(`common.uploads`): its columns and first rows (MAPPING), or the reason it cannot be
imported (REFUSED, its file deleted). Confirming the mapping queues it (PENDING); a
Celery task runs it (RUNNING) to DONE, INVALID (row errors, nothing stored) or FAILED
(our fault, nothing stored, can be retried). Nothing that inflates (a workbook is a ZIP
archive) or reads every row happens in the web request.

The run reads the file in chunks with polars and checks each chunk column by column.
Every chunk is loaded (COPY on PostgreSQL, batched inserts elsewhere) inside one
transaction as soon as it is checked: a respondent id is then checked against the
unique index (rows of earlier uploads and earlier chunks of this file alike), so no
id is held in memory beyond one chunk. If any row has an error the transaction is
rolled back at the end, so nothing is kept.

Reading the file is in `import_files`; checking and storing its chunks in
`import_checks`.
"""

import datetime
import hashlib
import logging
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from common.heartbeat import Heartbeat, claim, stop_stalled
from common.uploads import megabytes
from organisations.models import Membership

from . import import_checks, import_files
from .models import IMPORTANCE_COLUMNS, Channel, ImportJob, Survey, core_column
from .services import require_editor, survey_responses_changed

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 500 * 1024 * 1024


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
        for chunk in self.file.chunks(import_files.READ_BLOCK):
            self.digest.update(chunk)
            self.total += len(chunk)
            yield chunk


def import_job_create(*, membership: Membership, survey: Survey, upload: UploadedFile) -> ImportJob:
    """Store an uploaded results file and queue its checking. Raises ValidationError (one
    message) and keeps nothing if a bounded look already shows it cannot be imported."""
    require_editor(membership, survey.organisation)
    limit = max_import_bytes()
    if upload is None:
        raise ValidationError(_("Choose the file to upload."), code="required")
    if upload.size is not None and upload.size > limit:
        raise _too_big(limit)
    job = ImportJob(survey=survey, uploaded_by=membership.user, status=ImportJob.Status.CHECKING)
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
            job.file_format = import_files.sniff(handle)
        job.save()
    except BaseException:
        job.file.storage.delete(job.file.name)
        raise
    _queue_check(job)
    return job


def import_job_check(*, job_id: int) -> None:
    """Read a checking job's whole file within the upload limits: its columns and first
    rows (then MAPPING), or the reason it cannot be imported (then REFUSED, and the file
    is deleted). Safe to call again: a job no longer checking is left alone."""
    claimed_at = timezone.now()
    claimed = ImportJob.objects.filter(
        pk=job_id, status=ImportJob.Status.CHECKING, started_at__isnull=True
    ).update(started_at=claimed_at, heartbeat_at=claimed_at)
    if not claimed:
        return
    job = ImportJob.objects.get(pk=job_id)
    progress = _Progress(job.pk)
    try:
        with (
            Heartbeat(ImportJob, job_id, claimed_at, status=ImportJob.Status.CHECKING),
            job.file.open("rb") as handle,
        ):
            found = import_files.inspect(handle, lambda done: progress.report(99 * done))
    except ValidationError as error:
        _refuse(job, " ".join(error.messages))
        return
    except Exception:
        logger.exception("Import job %s could not be checked", job_id)
        _refuse(job, _failure_message_for_check())
        return
    finally:
        progress.close()
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKING).update(
        status=ImportJob.Status.MAPPING,
        progress=0,
        encoding=found.encoding,
        delimiter=found.delimiter,
        columns=found.columns,
        preview=found.preview,
    )


def _refuse(job: ImportJob, reason: str) -> None:
    refused = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKING).update(
        status=ImportJob.Status.REFUSED, failure=reason, file="", finished_at=timezone.now()
    )
    if refused:
        job.file.storage.delete(job.file.name)


def _failure_message_for_check() -> str:
    return _(
        "The file could not be checked, and nothing was kept. Upload it again; if it fails "
        "again, tell the Customer Voice team the date and time it happened."
    )


def _queue_check(job: ImportJob) -> None:
    from .tasks import check_import  # the task module imports this one

    transaction.on_commit(lambda: check_import.delay(job.pk))


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
    job = ImportJob.objects.select_for_update(of=("self",)).select_related("survey").get(pk=job.pk)
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


def import_jobs_stop_stalled(queryset) -> int:
    """Record the jobs of `queryset` whose worker stopped as failed, so that they say so
    and can be tried again at once (see `common.heartbeat`). Nothing of theirs was kept:
    the worker's transaction ends with it."""
    message = _("The work on this file stopped unexpectedly. Nothing was saved. You can try again.")
    stopped = stop_stalled(queryset, field="failure", message=message)
    # A check that stopped is not tried again by itself (the file may be what stopped
    # it): the file is let go, for the orphan sweep, and the person is asked for it again.
    check_message = _(
        "The check of this file stopped unexpectedly. Nothing was kept. Upload it again."
    )
    return stopped + stop_stalled(
        queryset,
        field="failure",
        message=check_message,
        status=ImportJob.Status.CHECKING,
        to_status=ImportJob.Status.REFUSED,
        file="",
    )


def import_job_settle(job: ImportJob) -> ImportJob:
    """The job as it truly stands: stopped, if its worker died. Pages and the API show
    a job through this."""
    if import_jobs_stop_stalled(ImportJob.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    return job


def can_retry(job: ImportJob) -> bool:
    return job.status == ImportJob.Status.FAILED


@transaction.atomic
def import_job_retry(*, membership: Membership, job: ImportJob) -> ImportJob:
    """Queue a failed job, or one whose worker stopped, again."""
    require_editor(membership, job.survey.organisation)
    import_jobs_stop_stalled(ImportJob.objects.filter(pk=job.pk))
    retried = ImportJob.objects.filter(status=ImportJob.Status.FAILED, pk=job.pk).update(
        status=ImportJob.Status.PENDING, progress=0, failure=""
    )
    if not retried:
        raise ValidationError(_("Only a file that failed to be stored can be tried again."))
    job.refresh_from_db()
    _queue(job)
    return job


def import_job_progress(job: ImportJob) -> int:
    """How far a job has got, 0 to 100. On PostgreSQL the row always says; on SQLite,
    which lets one connection write at a time, a running job reports through the cache."""
    if job.status in (ImportJob.Status.CHECKING, ImportJob.Status.RUNNING):
        return max(job.progress, cache.get(_progress_key(job.pk), 0))
    return job.progress


# Running -------------------------------------------------------------------------------


class _StaleClaim(Exception):
    """Another worker claimed the job again while this one was still storing."""


def import_job_run(*, job_id: int) -> None:
    """Check and store a pending job (or one whose worker stopped). Safe to call again,
    as a task delivered twice is: only one call claims the job, and a job running (its
    worker alive), stored, failed or retried is left alone. Failures are recorded on the
    job, not raised."""
    claimed_at = claim(ImportJob.objects.filter(pk=job_id), failure_field="failure")
    if claimed_at is None:
        return
    job = ImportJob.objects.select_related("survey__organisation", "survey__standard").get(
        pk=job_id
    )
    progress = _Progress(job.pk)
    try:
        with Heartbeat(ImportJob, job_id, claimed_at):
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
        errors = import_checks.ErrorLog(Path(workdir) / "errors.csv")
        with transaction.atomic():
            # One import at a time per survey; it also waits for a lost worker's rollback.
            survey = Survey.objects.select_for_update().get(pk=job.survey_id)
            if not ImportJob.objects.filter(pk=job.pk, started_at=claimed_at).exists():
                raise _StaleClaim
            plan = import_checks.Plan.build(job, survey, import_fields(survey))
            chunks = import_files.chunks(job, workdir, progress.report)
            total = import_checks.store_chunks(job, plan, chunks, errors)
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


def _record_invalid(job, claimed_at, total, errors: import_checks.ErrorLog) -> None:
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
