"""How fast the daily review sweep handles a field of 100,000 certificates, and proof that
running it a second time sends nothing.

Run from the project root (PostgreSQL is what it is meant for):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cv_bench_sweep \
        .venv/bin/python bench/reminder_sweep.py

Options: `--certificates N` (default 100,000) and `--batch-size N` (the sweep's own
default otherwise). It works in a throwaway database like the other benches. The field:
one certificate per holder, each holder with an administrator, 20 certification bodies
with two managers each, the scheme unit with two administrators, two versions of the
standard with different grace periods and reminder days, and review dates spread so that
every stage occurs: most reviews due within the year, some overdue within the grace period, some
past it, some certificates suspended by an earlier sweep long enough ago to lapse, and
some whose cycle has ended. The first run works through that whole backlog at once (a
daily run handles only a day's worth); the second must create nothing.
"""

import argparse
import datetime
import io
import logging
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"  # DEBUG off, plain HTTP, a throwaway key
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-reminder-sweep-"))
ON_SERVER = bool(os.environ.get("DATABASE_URL"))
if not ON_SERVER:
    os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")

import django  # noqa: E402

django.setup()
logging.disable(logging.WARNING)

from dateutil.relativedelta import relativedelta  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from certification import reminders, tasks  # noqa: E402
from certification.models import (  # noqa: E402
    Application,
    Certificate,
    CertificateEvent,
    Notice,
)
from organisations.models import (  # noqa: E402
    Membership,
    Notification,
    Organisation,
    Role,
    Sector,
    User,
)
from organisations.notifications import notifications_send  # noqa: E402
from standard.models import Standard  # noqa: E402

DEFAULT_CERTIFICATES = 100_000
TARGET_SECONDS = 10.0
BODIES = 20
LOAD_BATCH = 5_000
EMAILS = 1_000
TODAY = datetime.date.today()
Stage = Notice.Stage


def set_up_database():
    if ON_SERVER:
        # A database of its own, so that nothing real is touched.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_rs_{os.getpid()}"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0, stdout=io.StringIO())


def tear_down_database(old_name):
    if ON_SERVER:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    shutil.rmtree(WORKDIR, ignore_errors=True)


def _load(model, rows: list[dict]) -> None:
    """Rows straight into the model's table (COPY on PostgreSQL): the ORM's bulk_create
    would take minutes for half a million rows, and loading is not what is measured."""
    if not rows:
        return
    given = [model._meta.get_field(name) for name in rows[0]]
    # Columns not given take their field's default, so that a new column does not break this.
    others = [
        field
        for field in model._meta.concrete_fields
        if field not in given and not field.primary_key
    ]
    defaults = tuple(field.get_default() for field in others)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in [*given, *others])
    values = (tuple(row.values()) + defaults for row in rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * (len(given) + len(others)))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", list(values)
            )


def _next_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


def _review(rng: random.Random) -> tuple[datetime.date, str]:
    """A review date and what became of the certificate, as in a working scheme: reviews
    are annual and rolling, so their dates spread over the coming year, with a small tail
    of overdue, suspended and ended certificates (so that every stage occurs)."""
    draw = rng.random()
    if draw < 0.93:  # due within the year: a quarter of them inside the reminder windows
        return TODAY + datetime.timedelta(days=rng.randint(0, 364)), "active"
    if draw < 0.96:  # overdue, within the grace period (30 or 45 days)
        return TODAY - datetime.timedelta(days=rng.randint(1, 30)), "active"
    if draw < 0.975:  # overdue past it: to be suspended
        return TODAY - datetime.timedelta(days=rng.randint(46, 150)), "active"
    if draw < 0.99:  # suspended by an earlier sweep: about half of them long enough to lapse
        return TODAY - datetime.timedelta(days=rng.randint(100, 400)), "suspended"
    return TODAY + datetime.timedelta(days=rng.randint(0, 364)), "ended"


def build_field(count: int) -> None:
    with transaction.atomic():
        _build_field(count)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _build_field(count: int, seed: int = 26) -> None:
    rng = random.Random(seed)
    now = timezone.now()
    sector = Sector.objects.create(slug="bench", name="Bench", workforce=1_000_000)
    standards = [
        Standard.objects.create(
            version=version,
            title=f"Standard {version}",
            summary="Bench",
            content_hash="0" * 64,
            status=Standard.Status.PUBLISHED,
            review_grace_days=grace,
            reminder_days=days,
        )
        for version, grace, days in (("bench-2021", 45, [60, 14]), ("bench-2026", 30, [90, 30, 7]))
    ]
    scheme = Organisation.objects.create(name="Scheme Unit", kind=Organisation.Kind.SCHEME_UNIT)
    bodies = [
        Organisation.objects.create(name=f"Body {n}", kind=Organisation.Kind.CERTIFICATION_BODY)
        for n in range(BODIES)
    ]
    # No password: nobody signs in during a bench.
    staff = [
        User.objects.create(email=f"staff-{n}@bench.example", password="!")
        for n in range(2 * BODIES + 2)
    ]
    for n, user in enumerate(staff[: 2 * BODIES]):
        Membership.objects.create(user=user, organisation=bodies[n % BODIES], role=Role.CB_MANAGER)
    for user in staff[-2:]:
        Membership.objects.create(user=user, organisation=scheme, role=Role.SCHEME_ADMIN)

    first_org, first_user = _next_id(Organisation), _next_id(User)
    holders = range(first_org, first_org + count)
    admins = range(first_user, first_user + count)
    _load(
        Organisation,
        [
            {
                "id": pk,
                "name": f"Holder {n}",
                "kind": Organisation.Kind.APPLICANT,
                "sector": sector.pk,
                "region": "",
                "legal_form": Organisation.LegalForm.PUBLIC,
                "employee_count": 100,
                "created_at": now,
            }
            for n, pk in enumerate(holders)
        ],
    )
    _load(
        User,
        [
            {
                "id": pk,
                "email": f"admin-{n}@bench.example",
                "password": "!",
                "full_name": "",
                "first_name": "",
                "last_name": "",
                "is_superuser": False,
                "is_staff": False,
                "is_active": True,
                "date_joined": now,
            }
            for n, pk in enumerate(admins)
        ],
    )
    _load(
        Membership,
        [
            {"user": user, "organisation": holder, "role": Role.APPLICANT_ADMIN, "created_at": now}
            for user, holder in zip(admins, holders, strict=True)
        ],
    )
    first_application = _next_id(Application)
    _load(
        Application,
        [
            {
                "id": first_application + n,
                "applicant": holder,
                "certification_body": bodies[n % BODIES].pk,
                "scope_note": "",
                "status": Application.Status.ACCEPTED,
                "submitted_by": admins[n],
                "submitted_at": now,
                "answer_note": "",
            }
            for n, holder in enumerate(holders)
        ],
    )
    certificates, suspended = [], []
    first_certificate = _next_id(Certificate)
    for n, holder in enumerate(holders):
        due, fate = _review(rng)
        issued = due - relativedelta(years=1)
        ended = TODAY - datetime.timedelta(days=rng.randint(1, 60))
        status = Certificate.Status.SUSPENDED if fate == "suspended" else Certificate.Status.ACTIVE
        pk = first_certificate + n
        certificates.append(
            {
                "id": pk,
                "number": f"CV-BENCH-{n:07d}",
                "holder": holder,
                "certification_body": bodies[n % BODIES].pk,
                "application": first_application + n,
                "holder_name": f"Holder {n}",
                "main_site_address": "",
                "scope": f"The whole of Holder {n}",
                "standard": standards[n % 2].pk,
                "status": status,
                "original_issue_date": issued,
                "issue_date": issued,
                "next_review_due": due,
                "cycle_expires": ended if fate == "ended" else issued + relativedelta(years=3),
                "status_changed_on": due + datetime.timedelta(days=46)
                if status != "active"
                else issued,
                "pdf": "",
                "pdf_version": 0,
                "version": 1,
            }
        )
        if fate == "suspended":
            # What the earlier sweep left: the notice of the suspension it made.
            suspended.append(
                {"certificate": pk, "stage": Stage.SUSPENDED, "review_due": due, "created_at": now}
            )
    _load(Certificate, certificates)
    _load(Notice, suspended)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Organisation, User, Application, Certificate]
        ):
            cursor.execute(sql)


def table_counts() -> dict:
    return {
        "notices": Notice.objects.count(),
        "notifications": Notification.objects.count(),
        "events": CertificateEvent.objects.count(),
    }


def expected_notifications(last_notice: int) -> int:
    """One for the holder's administrator and each of the body's two managers, and one for
    each of the two scheme administrators when the stage escalates."""
    made = Notice.objects.filter(pk__gt=last_notice)
    escalating = made.filter(stage__in=[Stage.OVERDUE, Stage.SUSPENDED, Stage.LAPSED]).count()
    return made.count() * 3 + escalating * 2


def timed_sweep(batch_size, today=None):
    pdfs = []
    tasks.build_certificate_pdf.delay = pdfs.append  # PDFs are the workers' job, not timed
    kwargs = {"batch_size": batch_size} if batch_size else {}
    before = table_counts()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        counts = reminders.review_sweep(today=today, **kwargs)
        seconds = time.perf_counter() - start
    after = table_counts()
    return {
        "seconds": seconds,
        "counts": counts,
        "queries": len(queries),
        "pdfs": len(pdfs),
        "made": {key: after[key] - before[key] for key in before},
    }


def timed_emails() -> tuple[float, int]:
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        start = time.perf_counter()
        sent = notifications_send(limit=EMAILS)
        return time.perf_counter() - start, sent


def _load_average() -> str:
    return ", ".join(f"{n:.1f}" for n in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=DEFAULT_CERTIFICATES)
    parser.add_argument("--batch-size", type=int, default=None)
    options = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    set_up_database()
    try:
        start = time.perf_counter()
        build_field(options.certificates)
        print(
            f"Review sweep benchmark on {connection.vendor}: {options.certificates:,} "
            f"certificates (field built in {time.perf_counter() - start:.1f} s; "
            f"load average {_load_average()} on {os.cpu_count()} CPUs).\n"
        )
        last_notice = Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        first = timed_sweep(options.batch_size)
        second = timed_sweep(options.batch_size)
        expected = expected_notifications(last_notice)
        next_day = timed_sweep(options.batch_size, TODAY + datetime.timedelta(days=1))
        failed = report(options, first, second, next_day, expected)
        seconds, sent = timed_emails()
        print(
            f"\nEmails (the outbox, with Django's in-memory backend): {sent:,} claimed, sent "
            f"and marked one by one in {seconds:.2f} s ({sent / seconds:,.0f} a second)."
        )
        print(f"(Load average at the end: {_load_average()}.)")
    finally:
        connection.close()
        tear_down_database(old_name)
    print(f"\nOverall: {'FAIL' if failed else 'pass'}")
    return 1 if failed else 0


def _line(label, value, unit=""):
    shown = f"{value:>8.2f}" if isinstance(value, float) else f"{value:>8,}"
    print(f"  {label:<50} {shown}{unit}")


def _run(title, run):
    print(title)
    _line("notices made", run["made"]["notices"])
    _line("notifications made", run["made"]["notifications"])
    _line("history events recorded", run["made"]["events"])
    _line("certificate PDFs queued to be built again", run["pdfs"])
    _line("SQL queries", run["queries"])
    _line("time", run["seconds"], " s")


def report(options, first, second, next_day, expected) -> bool:
    counts, made = first["counts"], first["made"]
    print("First run: every notice due, as on the day the sweep first runs over a field")
    stages = {name: n for name, n in counts.items() if name != "notifications"}
    for name, n in stages.items():
        _line(name, n)
    _run("", first)
    scaled = first["seconds"] * DEFAULT_CERTIFICATES / options.certificates
    _line("certificates a second", round(options.certificates / first["seconds"]))
    _line("time per 100,000 certificates", scaled, " s")
    _run("\nSecond run, the same day: nothing is due that was not sent", second)
    _line("ratio of its time to the first run's", second["seconds"] / first["seconds"])
    _run("\nThe next day's run: what a daily run does", next_day)

    checks = [
        (
            f"first run under {TARGET_SECONDS:.0f} s per 100,000 certificates",
            scaled < TARGET_SECONDS,
        ),
        ("every stage occurred", all(stages.values())),
        ("notices made = notices reported", made["notices"] == sum(stages.values())),
        (
            f"notifications = recipients x notices ({expected:,})",
            made["notifications"] == expected == counts["notifications"],
        ),
        ("one history event per notice", made["events"] == made["notices"]),
        (
            "second run made nothing",
            not any(second["made"].values()) and not any(second["counts"].values()),
        ),
        ("second run queued no PDF", second["pdfs"] == 0),
        ("the next day's run made some", next_day["made"]["notices"] > 0),
    ]
    print("\nChecks:")
    failed = False
    for label, ok in checks:
        failed |= not ok
        print(f"  {label:<60} {'pass' if ok else 'FAIL'}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
