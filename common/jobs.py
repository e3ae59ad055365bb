"""PDF reports built in the background: the job row, and starting, claiming and running it.

One machinery for every kind of report (the gap report, the survey report). Each app
keeps a concrete model, with its own owner, file folder, ordering and `tenant_path`, and
thin public functions that call these with its model, owner, task and build step.
A running build marks its job alive (see `heartbeat`); one whose worker died says so.
"""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .heartbeat import Heartbeat, claim, stop_stalled

logger = logging.getLogger(__name__)


class PdfJob(models.Model):
    """A PDF built in the background; the person waiting sees its progress.

    A concrete job adds the foreign key to what it reports on, `file` (with its own
    folder), `objects`, `tenant_path` and its Meta.
    """

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting to start")
        RUNNING = "running", gettext_lazy("Being built")
        DONE = "done", gettext_lazy("Ready")
        FAILED = "failed", gettext_lazy("Failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(max_length=10, default="en")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    if TYPE_CHECKING:  # what each concrete job declares, as the type checker sees it
        objects: models.Manager[Self]
        file: FieldFile

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)


# A build step: takes the claimed job, its language active; gives the file name and the PDF.
Build = Callable[[Any], tuple[str, bytes]]
_Job = TypeVar("_Job", bound=PdfJob)


def pdf_job_start(
    *,
    model: type[_Job],
    membership,
    owner_field: str,
    owner,
    task,
    allowed: bool,
    fields: dict | None = None,
) -> _Job:
    """Ask, for the membership's person, for a PDF of `owner` and queue `task` with the
    job's id once the transaction commits. Call inside one. `allowed` is the answer of
    the report's own rule on who may build it (most: the owner's organisation itself).
    A report with choices of its own (the benchmark report's year) passes them as
    `fields`: they are stored on the job.

    If this person already has the same one waiting to start, that one is queued again
    rather than a second made: it has read nothing yet, so it will be just as current,
    and queueing again also recovers a job whose task was lost (the claim in
    `pdf_job_run` makes a duplicate harmless).
    """
    if not allowed:
        raise PermissionDenied(_("Only the organisation itself builds its reports."))
    mine = {owner_field: owner, "requested_by": membership.user, **(fields or {})}
    job = model.objects.filter(**mine, status=model.Status.PENDING).first()
    if job is None:
        job = model.objects.create(**mine, language=translation.get_language() or "en")
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def pdf_job_run(
    *, model: type[PdfJob], job_id: int, related: tuple[str, ...], build: Build, name: str
) -> None:
    """Build the PDF of a pending job with `build`. Safe to call again: only one call
    claims the job, and a job that is running (its worker alive), done or failed is left
    alone. A failure is recorded on the job, not raised, so the task is not retried in a
    loop. `related` is read with the job; `name` ("gap report") says which kind in the log."""
    # A job whose worker stopped marking it alive may be claimed again (the task was
    # delivered again because it is acknowledged late).
    claimed_at = claim(model.objects.filter(pk=job_id), failure_field="error")
    if claimed_at is None:
        return
    job = model.objects.select_related(*related).get(pk=job_id)
    with Heartbeat(model, job_id, claimed_at):
        _build_claimed(model, job, claimed_at, build, name)


def _build_claimed(model: type[PdfJob], job: PdfJob, claimed_at, build: Build, name: str) -> None:
    mine = model.objects.filter(pk=job.pk, status=model.Status.RUNNING, started_at=claimed_at)
    try:
        with translation.override(job.language):
            filename, pdf = build(job)
            pdf_job_set_progress(job, 90)
            job.file.save(filename, ContentFile(pdf), save=False)
            # The plugin looks for `file` on the abstract model; each concrete job has it.
            finished = mine.update(  # type: ignore[misc]
                file=job.file.name,
                status=model.Status.DONE,
                progress=100,
                finished_at=timezone.now(),
            )
        if not finished:
            logger.warning("%s job %s was stopped before it finished", name.capitalize(), job.pk)
            _discard_file(job, name)
    except Exception as exc:
        logger.exception("%s job %s failed", name.capitalize(), job.pk)
        _discard_file(job, name)
        mine.update(
            status=model.Status.FAILED,
            error=_failure_message(exc),
            finished_at=timezone.now(),
        )


def pdf_jobs_stop_stalled(queryset) -> int:
    """Record the jobs of `queryset` whose worker stopped as failed; see `heartbeat`."""
    message = _("The work on this report stopped unexpectedly. You can try again.")
    return stop_stalled(queryset, field="error", message=message)


def pdf_job_set_progress(job: PdfJob, progress: int) -> None:
    # An update, not save(): the page polling this job sees it at once.
    type(job).objects.filter(pk=job.pk).update(progress=progress)
    job.progress = progress


def _discard_file(job: PdfJob, name: str) -> None:
    if not job.file.name:
        return
    try:
        job.file.delete(save=False)
    except Exception:
        logger.exception("Could not remove the partial file of %s job %s", name, job.pk)


def _failure_message(exc: Exception) -> str:
    reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")[:300]
    return _(
        "The report could not be built (%(reason)s). Try again; if it fails again, "
        "tell the Customer Voice team the date and time it happened."
    ) % {"reason": reason}
