"""How a job whose worker died is noticed: the heartbeat of long work rows (survey
imports, PDF reports).

While a worker runs a job, a thread of its own marks the job alive every
`JOB_HEARTBEAT_SECONDS`, so the mark goes out even while the work itself holds a long
transaction or a long computation. A running job silent for longer than
`JOB_STALLED_AFTER_SECONDS` lost its worker: `stop_stalled` records it as failed with a
message that says so, and the person can try it again at once. The job's pages, the API
and a beat task all call it.

A job model using this has `status` ("running", "failed"), `started_at` (when it was
claimed, which tells one claim from the next), `heartbeat_at` and `finished_at`.

On SQLite (one writer at a time; the embedded default, where tasks run in the web
process) the mark goes to the cache instead, as an import's progress does: a second
connection could not write while the work's transaction is open.
"""

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, connections, models, transaction
from django.db.models import Q
from django.utils import timezone

PENDING, RUNNING, FAILED = "pending", "running", "failed"
# At most this many jobs are stopped in one call; the next call takes the rest.
STOP_BATCH = 500

logger = logging.getLogger(__name__)


def heartbeat_interval() -> float:
    return settings.JOB_HEARTBEAT_SECONDS


def stalled_after() -> timedelta:
    return timedelta(seconds=settings.JOB_STALLED_AFTER_SECONDS)


def stalled(status: str = RUNNING) -> Q:
    """Jobs in `status` (running, unless a job kind has another working state) whose
    worker has given no sign of life for too long."""
    cutoff = timezone.now() - stalled_after()
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    return Q(status=status) & silent


def claim(queryset: models.QuerySet, *, failure_field: str) -> datetime | None:
    """Claim the pending (or stalled) job of `queryset` for this worker: running, from
    now, alive now. Answers when it was claimed, which tells this claim from a later one,
    or None if another worker holds it or it is finished."""
    claimed_at = timezone.now()
    claimed = queryset.filter(Q(status=PENDING) | stalled()).update(
        status=RUNNING,
        progress=0,
        started_at=claimed_at,
        heartbeat_at=claimed_at,
        **{failure_field: ""},
    )
    return claimed_at if claimed else None


def stop_stalled(
    queryset: models.QuerySet,
    *,
    field: str,
    message: str,
    status: str = RUNNING,
    to_status: str = FAILED,
    **changes,
) -> int:
    """Record the stalled jobs of `queryset` as failed (or `to_status`), with `message` in
    `field` and any other `changes`, and answer how many. Safe to call from any number of
    processes at once: a job is stopped only while it is still the same stalled claim."""
    model = queryset.model
    stopped = 0
    candidates = queryset.filter(stalled(status)).values_list("pk", "started_at")[:STOP_BATCH]
    for pk, started_at in candidates:
        if _beating_in_cache(model, pk, started_at):
            continue
        stopped += model.objects.filter(stalled(status), pk=pk, started_at=started_at).update(
            status=to_status, finished_at=timezone.now(), **{field: message}, **changes
        )
    if stopped:
        logger.warning("Stopped %s %s job(s) whose worker stopped", stopped, model._meta.label)
    return stopped


class Heartbeat:
    """Marks one claimed job alive every `heartbeat_interval()` seconds while the block
    runs. Enter it after the claim (which sets `heartbeat_at`) and outside the work's
    transaction."""

    def __init__(
        self, model: type[models.Model], job_id: int, claimed_at: datetime, status=RUNNING
    ):
        self.model, self.job_id, self.claimed_at = model, job_id, claimed_at
        self.status = status
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{model._meta.label_lower}-{job_id}", daemon=True
        )

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        if _beats_to_cache():
            cache.delete(_cache_key(self.model, self.job_id))

    def _beat(self) -> None:
        try:
            while not self._stop.wait(heartbeat_interval()):
                self.touch()
        finally:
            # Connections are per thread: this closes only the ones this thread opened.
            connections.close_all()

    def touch(self) -> None:
        now = timezone.now()
        if _beats_to_cache():
            value = (self.claimed_at, now)
            cache.set(_cache_key(self.model, self.job_id), value, timeout=_cache_timeout())
            return
        try:
            self._touch_row(now)
        except DatabaseError:
            logger.warning("Could not mark %s job %s alive", self.model._meta.label, self.job_id)
            # A broken connection stays broken: the next beat opens a new one.
            connection.close()

    def _touch_row(self, now: datetime) -> None:
        # A row the work itself has locked (its last update, not yet committed) is
        # skipped rather than waited for: waiting could outlast the block.
        claim = self.model._default_manager.filter(
            pk=self.job_id, status=self.status, started_at=self.claimed_at
        )
        with transaction.atomic():
            mine = claim.select_for_update(skip_locked=True).values("pk")
            self.model._default_manager.filter(pk__in=mine).update(heartbeat_at=now)


def _beats_to_cache() -> bool:
    return connection.vendor == "sqlite"


def _cache_key(model: type[models.Model], job_id: int) -> str:
    return f"job-heartbeat:{model._meta.label_lower}:{job_id}"


def _cache_timeout() -> int:
    return int(stalled_after().total_seconds()) * 2 + 60


def _beating_in_cache(model: type[models.Model], pk: int, started_at: datetime | None) -> bool:
    if not _beats_to_cache():
        return False
    beat = cache.get(_cache_key(model, pk))
    if beat is None:
        return False
    claimed_at, last = beat
    return claimed_at == started_at and last >= timezone.now() - stalled_after()
