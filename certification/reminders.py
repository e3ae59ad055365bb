"""The daily review sweep: reminders before a certificate's review is due, escalation
when it is overdue, suspension after the standard's grace period, lapse after a further
one, and expiry when the three-year cycle ends without a reassessment.

One generic sweep over due rows (as healthchecks' `sendalerts` does), not a function per
interval. Each stage is a row of `STAGES`, and each reminder day of the standards (their
`reminder_days`) one more row: which certificates are due for it, what it does to their
status and who is told. For every row the sweep selects, in batches ordered by primary
key, the certificates due for it that have no `Notice` for that stage (and days) and
review date yet, and handles each batch in its own transaction:

- it claims the batch by inserting the notices (`ON CONFLICT DO NOTHING RETURNING`), so a
  certificate another worker claimed first is left alone;
- then, for the certificates it claimed, it changes their status, records their history
  and adds the notifications for their recipients.

Running it again sends nothing twice, two workers never send the same thing, and a worker
that dies mid-sweep loses at most its open transaction, which the next run does again.
Emails follow later, from the notifications' outbox (`organisations.notifications`).
"""

import datetime
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote as url_quote

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organisations.models import Membership, Organisation, Role
from organisations.notifications import NewNotification, notifications_add
from standard.models import Standard

from .models import Certificate, CertificateEvent, Notice

BATCH_SIZE = 5000
# Notices added before the table's statistics are refreshed (see `_analyse_notices`).
ANALYSE_AFTER = 1000
Status = Certificate.Status
Stage = Notice.Stage
Kind = CertificateEvent.Kind
# Where a notification links to: the public certificate check, which always answers.
CHECK_PATH = "/register/check/"


@dataclass(frozen=True)
class StageRule:
    stage: str
    event: str
    statuses: tuple[str, ...]
    # The certificates due for this stage, for one standard's grace periods or reminder
    # days (None: none of that standard's certificates).
    due: Callable[[datetime.date, Standard], Q | None]
    becomes: str | None = None
    escalate: bool = False
    # Whether `due` depends on the standard (its grace periods or reminder days).
    per_standard: bool = False
    # A reminder's days before the review, kept in its notices' key; 0 for other stages.
    days_before: int = 0

    @property
    def name(self) -> str:
        """How the sweep's counts (and the notifications' keys) name this row."""
        return f"{self.stage}_{self.days_before}" if self.days_before else str(self.stage)


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _grace_cutoff(today: datetime.date, standard: Standard) -> datetime.date:
    """A review due before this day is past the standard's grace period."""
    return today - _days(standard.review_grace_days)


def _lapse_cutoff(today: datetime.date, standard: Standard) -> datetime.date:
    """A certificate suspended before this day has been suspended too long."""
    return today - relativedelta(months=standard.withdrawal_after_suspension_months)


def _suspended_by_sweep() -> Exists:
    return Exists(
        Notice.objects.filter(
            certificate=OuterRef("pk"),
            stage=Stage.SUSPENDED,
            review_due=OuterRef("next_review_due"),
        )
    )


def _reminder_due(days: int) -> Callable[[datetime.date, Standard], Q | None]:
    """The reviews due for a standard's reminder at `days`: due in `days` days or fewer,
    and more than its next smaller reminder day (from today for the smallest). None for a
    standard that does not remind at `days`."""

    def due(today: datetime.date, standard: Standard) -> Q | None:
        if days not in standard.reminder_days:
            return None
        nearer = [other for other in standard.reminder_days if other < days]
        after = Q(next_review_due__gt=today + _days(max(nearer))) if nearer else Q()
        return after & Q(next_review_due__gte=today, next_review_due__lte=today + _days(days))

    return due


def _reminder(days: int) -> StageRule:
    return StageRule(
        Stage.REMINDER,
        Kind.REMINDED,
        (Status.ACTIVE,),
        _reminder_due(days),
        per_standard=True,
        days_before=days,
    )


def _rules(standards: dict) -> list[StageRule]:
    """`STAGES`, then a reminder for each day any standard reminds on, nearest first."""
    days = {day for standard in standards.values() for day in standard.reminder_days}
    return [*STAGES, *(_reminder(day) for day in sorted(days))]


# In the order the sweep runs them, before the reminders: the end states first, so that a
# certificate whose cycle ended is not also suspended, and one stage per certificate (the
# most relevant one: a certificate 5 days from its review that never had the earlier
# reminders gets only the nearest one). The date ranges of the stages do not overlap.
STAGES = [
    StageRule(
        Stage.EXPIRED,
        Kind.EXPIRED,
        (Status.ACTIVE, Status.SUSPENDED),
        lambda today, standard: Q(cycle_expires__lt=today),
        becomes=Status.EXPIRED,
    ),
    StageRule(
        Stage.LAPSED,
        Kind.LAPSED,
        (Status.SUSPENDED,),
        lambda today, standard: (
            Q(status_changed_on__lt=_lapse_cutoff(today, standard)) & Q(_suspended_by_sweep())
        ),
        becomes=Status.LAPSED,
        escalate=True,
        per_standard=True,
    ),
    StageRule(
        Stage.SUSPENDED,
        Kind.SUSPENDED,
        (Status.ACTIVE,),
        lambda today, standard: Q(next_review_due__lt=_grace_cutoff(today, standard)),
        becomes=Status.SUSPENDED,
        escalate=True,
        per_standard=True,
    ),
    StageRule(
        Stage.OVERDUE,
        Kind.ESCALATED,
        (Status.ACTIVE,),
        lambda today, standard: Q(
            next_review_due__lt=today, next_review_due__gte=_grace_cutoff(today, standard)
        ),
        escalate=True,
        per_standard=True,
    ),
]

FIELDS = (
    "pk",
    "number",
    "holder_id",
    "holder_name",
    "certification_body_id",
    "certification_body__name",
    "standard_id",
    "next_review_due",
    "cycle_expires",
    "status_changed_on",
)


def review_sweep(*, today: datetime.date | None = None, batch_size: int = BATCH_SIZE) -> dict:
    """Send every notice that is due today and not yet sent; returns how many notices of
    each stage (by `StageRule.name`), and how many notifications, this run made."""
    today = today or timezone.localdate()
    standards = {standard.pk: standard for standard in Standard.objects.all()}
    rules = _rules(standards)
    staff = _staff()
    counts = {rule.name: 0 for rule in rules} | {"notifications": 0}
    unanalysed = 0
    # The recipient's language is unknown: notifications are written in the site's own.
    with translation.override(settings.LANGUAGE_CODE):
        for rule in rules:
            if unanalysed >= ANALYSE_AFTER:
                unanalysed = _analyse_notices()
            when = _when(rule, today, standards)
            last_pk = 0
            while True:
                with transaction.atomic():
                    rows = _next_batch(rule, when, last_pk, batch_size)
                    if not rows:
                        break
                    last_pk = rows[-1]["pk"]
                    made = _handle_batch(rule, rows, today, standards, staff)
                counts[rule.name] += made[0]
                counts["notifications"] += made[1]
                unanalysed += made[0]
                if len(rows) < batch_size:
                    break
    if unanalysed >= ANALYSE_AFTER:
        _analyse_notices()
    return counts


def _analyse_notices() -> int:
    """Bring PostgreSQL's statistics of the notices up to date. The NOT EXISTS of `_next_batch`
    is planned from them: a run that adds tens of thousands of notices (the first run over
    a field, or after an outage) outpaces autovacuum, and a plan made for a nearly empty
    table then reads the whole table once per certificate."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Notice._meta.db_table)}")
    return 0


def _when(rule: StageRule, today: datetime.date, standards: dict) -> Q:
    """The certificates due for this stage, notice or not."""
    if not rule.per_standard:
        return Q(status__in=rule.statuses) & rule.due(today, None)
    # Grace periods and reminder days are the standard's: one condition per standard, all
    # in one query.
    when = Q(pk__in=[])
    for standard in standards.values():
        due = rule.due(today, standard)
        if due is not None:
            when |= Q(standard_id=standard.pk) & due
    return Q(status__in=rule.statuses) & when


def _next_batch(rule: StageRule, when: Q, last_pk: int, batch_size: int) -> list[dict]:
    """The next certificates, by primary key, due for this stage and without its notice."""
    sent = Notice.objects.filter(
        certificate=OuterRef("pk"),
        stage=rule.stage,
        days_before=rule.days_before,
        review_due=OuterRef("next_review_due"),
        # Implied by the outer query; said here so that the plan never compares with the
        # notices this run has just added, which the table's statistics do not know yet.
        certificate__gt=last_pk,
    )
    # Rows another worker holds are skipped (it is handling them); the lock also keeps a
    # decision from changing a certificate between this read and the batch's commit.
    return list(
        Certificate.objects.filter(when, ~Q(Exists(sent)), pk__gt=last_pk)
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values(*FIELDS)[:batch_size]
    )


def _handle_batch(rule, rows, today, standards, staff) -> tuple[int, int]:
    claimed = _claim(rule, [row["pk"] for row in rows])
    rows = [row for row in rows if row["pk"] in claimed]
    if not rows:
        return 0, 0
    if rule.becomes:
        _change_status([row["pk"] for row in rows], rule.becomes, today)
    status_after = rule.becomes or _status_before(rule)
    recipients = _recipients(rule, rows, staff)
    wording = _Wording(rule.stage, today, standards)
    events, notifications = [], []
    for row in rows:
        words = wording.words(row)
        due = row["next_review_due"].isoformat()
        events.append(
            (row["pk"], rule.event, today.isoformat(), wording.note % words, status_after, due)
        )
        key = f"certificate:{row['pk']}:{rule.name}:{due}"
        subject, body = wording.subject % words, wording.body % words
        link = f"{CHECK_PATH}?number={url_quote(row['number'])}"
        seen = set()
        for organisation, user in recipients[row["pk"]]:
            if user not in seen:  # someone in two of the organisations is told once
                seen.add(user)
                notifications.append(NewNotification(user, organisation, key, subject, body, link))
    _record_events(events)
    return len(rows), notifications_add(notifications)


def _status_before(rule: StageRule) -> str:
    # Reminders and escalation go only to certificates of one status, which they keep.
    (status,) = rule.statuses
    return status


def _claim(rule: StageRule, ids: list[int]) -> set[int]:
    """Add the notices of this stage for these certificates (at their current review date)
    and return the certificates whose notice this call added: one whose notice another
    worker added first is not this worker's. (The ORM's `bulk_create(ignore_conflicts=True)`
    cannot say which rows it added, hence INSERT ... ON CONFLICT DO NOTHING RETURNING,
    which PostgreSQL and SQLite from 3.35 both have.)"""
    qn = connection.ops.quote_name
    notice = qn(Notice._meta.db_table)
    certificate = qn(Certificate._meta.db_table)
    now = Notice._meta.get_field("created_at").get_db_prep_value(timezone.now(), connection)
    if connection.vendor == "postgresql":
        among, params = "= ANY(%s)", [ids]
    else:
        among, params = f"IN ({', '.join(['%s'] * len(ids))})", ids
    sql = (
        f"INSERT INTO {notice} (certificate_id, stage, days_before, review_due, created_at) "
        f"SELECT id, %s, %s, next_review_due, %s FROM {certificate} WHERE id {among} "
        "ON CONFLICT (certificate_id, stage, days_before, review_due) DO NOTHING "
        "RETURNING certificate_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [rule.stage, rule.days_before, now, *params])
        return {pk for (pk,) in cursor.fetchall()}


EVENT_COLUMNS = ("certificate", "kind", "happened_on", "note", "status_after", "next_review_due")


def _record_events(events: list[tuple]) -> None:
    """The batch's lines of certificate history (values in `EVENT_COLUMNS` order, dates as
    ISO text), in one statement on PostgreSQL: the rows travel as one JSON array."""
    meta = CertificateEvent._meta
    qn = connection.ops.quote_name
    fields = [meta.get_field(name) for name in EVENT_COLUMNS]
    columns = ", ".join(qn(field.column) for field in [*fields, meta.get_field("recorded_at")])
    table = qn(meta.db_table)
    now = meta.get_field("recorded_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(
                f"(row->>{n})::{field.db_type(connection)}" for n, field in enumerate(fields)
            )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "
                f"SELECT {values}, %s FROM json_array_elements(%s::json) AS row",
                [now, json.dumps(events)],
            )
            return
        placeholders = ", ".join(["%s"] * (len(fields) + 1))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
            [(*event, now) for event in events],
        )


def _many(ids) -> list[int] | RawSQL:
    """The right-hand side of an `__in` of a batch's ids. On PostgreSQL one array: a query
    with thousands of placeholders takes longer to prepare than to run."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    return list(ids)


def _change_status(ids: list[int], status: str, today: datetime.date) -> None:
    """The sweep's status changes for a whole batch, as `decisions` makes them one at a time
    (status, date, version, and the PDF built again); the caller records the events."""
    Certificate.objects.filter(pk__in=_many(ids)).update(
        status=status, status_changed_on=today, version=F("version") + 1
    )
    transaction.on_commit(lambda: _queue_pdfs(ids), robust=True)


def _queue_pdfs(ids: list[int]) -> None:
    from .tasks import build_certificate_pdf

    for pk in ids:
        build_certificate_pdf.delay(pk)


def _people(memberships) -> dict[int, list[tuple[int, int]]]:
    """(organisation, user) pairs, by organisation. (A closed account gets its notification
    too, never emailed: the outbox leaves them out.)"""
    people = defaultdict(list)
    for organisation, user in memberships.values_list("organisation_id", "user_id"):
        people[organisation].append((organisation, user))
    return people


def _staff() -> dict:
    """The certification bodies' managers and the scheme's administrators: few people,
    read once per sweep."""
    scheme_unit = Membership.objects.filter(
        role=Role.SCHEME_ADMIN, organisation__kind=Organisation.Kind.SCHEME_UNIT
    )
    return {
        "managers": _people(Membership.objects.filter(role=Role.CB_MANAGER)),
        "scheme": [pair for pairs in _people(scheme_unit).values() for pair in pairs],
    }


def _recipients(rule: StageRule, rows: list[dict], staff: dict) -> dict[int, list]:
    """(organisation, user) pairs to tell about each certificate of the batch: the holder's
    administrators (one query for the batch), the certification body's managers, and the
    scheme administrators when the stage escalates."""
    holders = {row["holder_id"] for row in rows}
    admins = _people(
        Membership.objects.filter(organisation_id__in=_many(holders), role=Role.APPLICANT_ADMIN)
    )
    extra = staff["scheme"] if rule.escalate else []
    return {
        row["pk"]: [
            *admins[row["holder_id"]],
            *staff["managers"][row["certification_body_id"]],
            *extra,
        ]
        for row in rows
    }


def _texts(stage: str) -> tuple[str, str, str]:
    """A stage's subject, body and history note, each with %(name)s places for `_Wording`."""
    if stage == Stage.REMINDER:
        return (
            _("Annual review of certificate %(number)s due %(when)s"),
            _(
                "The annual review of %(holder)s's certificate %(number)s is due on %(due)s. "
                "%(body)s must carry out the review by then. If it is not done within "
                "%(grace)s days of that date, the certificate will be suspended."
            ),
            _("Reminder sent: review due on %(due)s."),
        )
    if stage == Stage.OVERDUE:
        return (
            _("Annual review of certificate %(number)s is overdue"),
            _(
                "The annual review of %(holder)s's certificate %(number)s was due on %(due)s "
                "and has not been done. Unless it is done by then, the certificate will be "
                "suspended on %(suspend_on)s. The scheme unit has been told."
            ),
            _("Review due on %(due)s not done: the scheme unit was told."),
        )
    if stage == Stage.SUSPENDED:
        return (
            _("Certificate %(number)s is suspended"),
            _(
                "%(holder)s's certificate %(number)s is suspended because its annual review, "
                "due on %(due)s, was not done within %(grace)s days. While it is suspended, "
                "%(holder)s may not display the mark. If the review is not done, the "
                "certificate will lapse on %(lapse_on)s."
            ),
            _("Suspended by the review sweep: review due on %(due)s not done in time."),
        )
    if stage == Stage.LAPSED:
        return (
            _("Certificate %(number)s has lapsed"),
            _(
                "%(holder)s's certificate %(number)s has lapsed: it was suspended on %(since)s "
                "and its overdue review was not done within %(months)s months. %(holder)s may "
                "not display the mark. To be certified again it needs a new initial "
                "assessment."
            ),
            _("Lapsed: suspended since %(since)s without the overdue review."),
        )
    return (
        _("Certificate %(number)s has expired"),
        _(
            "%(holder)s's certificate %(number)s has expired: its three-year cycle ended "
            "on %(cycle_end)s without a reassessment. %(holder)s may not display the "
            "mark. To be certified again it needs a new initial assessment."
        ),
        _("Expired: the cycle ended on %(cycle_end)s without a reassessment."),
    )


class _Wording:
    """The words of one batch's notices: the stage's texts translated once, and each date
    formatted once (formatting is slow, and a batch has few distinct dates)."""

    def __init__(self, stage: str, today: datetime.date, standards: dict):
        self.today = today
        self.subject, self.body, self.note = _texts(stage)
        self.reminder = stage == Stage.REMINDER
        self._dates: dict[datetime.date, str] = {}
        self._when: dict[int, str] = {}
        self.rules = {
            pk: (
                standard.review_grace_days,
                standard.withdrawal_after_suspension_months,
                # Lapses the day after the further period, if suspended today.
                self.date(
                    today
                    + relativedelta(months=standard.withdrawal_after_suspension_months)
                    + _days(1)
                ),
            )
            for pk, standard in standards.items()
        }

    def date(self, day: datetime.date) -> str:
        if day not in self._dates:
            self._dates[day] = dateformat.format(day, "j F Y")
        return self._dates[day]

    def when(self, days: int) -> str:
        if days not in self._when:
            self._when[days] = (
                _("today")
                if days == 0
                else ngettext("in %(days)d day", "in %(days)d days", days) % {"days": days}
            )
        return self._when[days]

    def words(self, row: dict) -> dict:
        grace, months, lapse_on = self.rules[row["standard_id"]]
        due = row["next_review_due"]
        words = {
            "number": row["number"],
            "holder": row["holder_name"],
            "body": row["certification_body__name"],
            "due": self.date(due),
            "cycle_end": self.date(row["cycle_expires"]),
            "grace": grace,
            "months": months,
            # Suspended the day after the grace period.
            "suspend_on": self.date(due + _days(grace + 1)),
            "lapse_on": lapse_on,
            "since": self.date(row["status_changed_on"]),
        }
        if self.reminder:
            words["when"] = self.when((due - self.today).days)
        return words
