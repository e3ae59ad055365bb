"""How fast a regulator reads the outcomes of a large sector: the list of consenting
organisations, one organisation's page, and the CSV of the whole sector.

Run from the project root:

    .venv/bin/python bench/reliance.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/reliance.py

Options: `--organisations N` (default 2,000). It works in a throwaway database like the
other benches. The field: N applicant organisations of one sector, all consenting to
its regulator, each with a certificate, a decided initial assessment of every element
of the shipped standard (one in twenty elements partial, with an open action) and a
survey that meets the method (its stored summary; a tenth have too few responses to
publish). Plus as many organisations that did not consent, which must cost nothing.
On SQLite the times are this process's CPU seconds (the database runs in it, and other
work on the machine does not skew them); on PostgreSQL, wall-clock seconds.
"""

import argparse
import csv
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
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-reliance-"))
ON_SERVER = bool(os.environ.get("DATABASE_URL"))
if not ON_SERVER:
    os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")

import django  # noqa: E402

django.setup()
logging.disable(logging.WARNING)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
)
from django.urls import reverse  # noqa: E402

from certification import reliance  # noqa: E402
from certification.models import (  # noqa: E402
    Application,
    Certificate,
    Decision,
    Engagement,
    Finding,
    FindingAction,
)
from organisations.models import (  # noqa: E402
    Membership,
    Organisation,
    RegulatorConsent,
    Role,
    Sector,
    User,
)
from standard.models import Element  # noqa: E402
from standard.selectors import current_standard  # noqa: E402
from surveys.models import SATISFACTION_COLUMNS, Survey  # noqa: E402

DEFAULT_ORGANISATIONS = 2_000
BATCH = 5_000
TODAY = datetime.date.today()
# Targets, on a developer's machine.
LIST_SECONDS = 1.0
PAGE_SECONDS = 0.5
# A sector's CSV streams, but should finish well inside a web worker's timeout: a
# sector of 500 consenting organisations in 10 s or less the first time.
CSV_COLD_PER_SECOND = 50
CSV_WARM_PER_SECOND = 100
# SQLite runs in this process, so its CPU time is the whole cost and is not skewed by
# whatever else the machine is doing; PostgreSQL works in its own process: wall clock.
CLOCK = time.perf_counter if ON_SERVER else time.process_time
BENCH_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "bench-reliance",
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    }
}


def set_up_database():
    if ON_SERVER:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_rel_{os.getpid()}"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0, stdout=io.StringIO())


def tear_down_database(old_name):
    if ON_SERVER:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    shutil.rmtree(WORKDIR, ignore_errors=True)


def _summary(rng: random.Random, total: int) -> dict:
    summary = {"total": total}
    for column in SATISFACTION_COLUMNS:
        mean = rng.uniform(3.0, 4.5)
        summary[column] = {
            "count": total,
            "mean": mean,
            "sd": 0.9,
            "satisfied": round(total * (mean - 1) / 4),
        }
    return summary


def build_field(count: int, seed: int = 12) -> Membership:
    """The sector and its organisations; returns the regulator's membership."""
    rng = random.Random(seed)
    call_command("load_sectors", verbosity=0, stdout=io.StringIO())
    call_command("load_standard", verbosity=0, stdout=io.StringIO())
    standard = current_standard()
    elements = list(Element.objects.filter(criterion__standard=standard).order_by("pk"))
    sector = Sector.objects.create(slug="bench", name="Bench", workforce=1_000_000)
    regulator = Organisation.objects.create(
        name="Bench Inspectorate", kind=Organisation.Kind.REGULATOR, sector=sector
    )
    body = Organisation.objects.create(
        name="Bench Certification", kind=Organisation.Kind.CERTIFICATION_BODY
    )
    person = User.objects.create(email="inspector@bench.example", password="!")
    membership = Membership.objects.create(user=person, organisation=regulator, role=Role.REGULATOR)
    holders = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Bench Council {n:05d}", kind=Organisation.Kind.APPLICANT, sector=sector
            )
            for n in range(count * 2)
        ],
        batch_size=BATCH,
    )
    consenting = holders[:count]
    RegulatorConsent.objects.bulk_create(
        [
            RegulatorConsent(organisation=h, regulator=regulator, given_by=person)
            for h in consenting
        ],
        batch_size=BATCH,
    )
    applications = Application.objects.bulk_create(
        [
            Application(
                applicant=h, certification_body=body, status="accepted", submitted_by=person
            )
            for h in holders
        ],
        batch_size=BATCH,
    )
    reported = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    engagements = Engagement.objects.bulk_create(
        [
            Engagement(
                application=a,
                kind=Engagement.Kind.INITIAL,
                status=Engagement.Status.DECIDED,
                standard=standard,
                created_by=person,
                reported_at=reported,
            )
            for a in applications
        ],
        batch_size=BATCH,
    )
    findings = []
    for engagement in engagements:
        for element in elements:
            rating = "partial" if rng.random() < 0.05 else "compliant"
            findings.append(Finding(engagement=engagement, element=element, rating=rating))
    Finding.objects.bulk_create(findings, batch_size=BATCH)
    FindingAction.objects.bulk_create(
        [
            FindingAction(
                finding=f,
                description="Close the gap",
                due_date=TODAY + datetime.timedelta(days=rng.randint(-20, 80)),
            )
            for f in Finding.objects.filter(rating="partial").only("pk")
        ],
        batch_size=BATCH,
    )
    certificates = Certificate.objects.bulk_create(
        [
            Certificate(
                number=f"CV-B-{n:06d}",
                holder=a.applicant,
                certification_body=body,
                application=a,
                holder_name=a.applicant.name,
                scope="Whole organisation",
                standard=standard,
                original_issue_date=TODAY,
                issue_date=TODAY,
                next_review_due=TODAY + datetime.timedelta(days=365),
                cycle_expires=TODAY + datetime.timedelta(days=3 * 365),
                status_changed_on=TODAY,
            )
            for n, a in enumerate(applications)
        ],
        batch_size=BATCH,
    )
    Decision.objects.bulk_create(
        [
            Decision(
                engagement=e,
                certificate=c,
                certification_body=body,
                holder=c.holder,
                kind=Decision.Kind.CERTIFY,
                reasons="Meets the standard.",
                decided_by=person,
            )
            for e, c in zip(engagements, certificates, strict=True)
        ],
        batch_size=BATCH,
    )
    surveys = []
    for n, holder in enumerate(holders):
        total = 5 if n % 10 == 0 else rng.randint(300, 3000)
        surveys.append(
            Survey(
                organisation=holder,
                standard=standard,
                title=f"Survey of {holder.name}",
                period_start=TODAY - datetime.timedelta(days=200),
                period_end=TODAY - datetime.timedelta(days=20),
                sampling_approach="random",
                mode="online",
                method_meets=True,
                response_count=total,
                summary=_summary(rng, total),
                created_by=person,
            )
        )
    Survey.objects.bulk_create(surveys, batch_size=BATCH)
    if ON_SERVER:
        # Freshly bulk-loaded tables have no statistics yet; a live database does.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return membership


def _client(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session["active_membership_id"] = membership.pk
    session.save()
    return client


def _timed_get(client: Client, path: str, repeat: int = 3):
    """The best of `repeat` requests (the first warms caches), its queries and status."""
    best, queries, status = None, 0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = CLOCK()
            response = client.get(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            seconds = CLOCK() - start
        best = seconds if best is None else min(best, seconds)
        queries, status = len(captured), response.status_code
    return best, queries, status, body


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=DEFAULT_ORGANISATIONS)
    options = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    set_up_database()
    setup_test_environment()
    try:
        start = time.perf_counter()
        membership = build_field(options.organisations)
        print(
            f"Reliance benchmark on {connection.vendor}: {options.organisations:,} consenting "
            f"organisations and as many that did not "
            f"(field built in {time.perf_counter() - start:.1f} s). Times are "
            f"{'wall-clock' if ON_SERVER else 'CPU'} seconds.\n"
        )
        # The process's own cache, big enough to hold every survey's scores (the
        # default in-memory cache keeps 300 entries; production's Redis has no limit).
        with override_settings(CACHES=BENCH_CACHES):
            failed = run(membership, options.organisations)
    finally:
        connection.close()
        tear_down_database(old_name)
    print(f"\nOverall: {'FAIL' if failed else 'pass'}")
    return 1 if failed else 0


def run(membership: Membership, count: int) -> bool:
    client = _client(membership)
    list_seconds, list_queries, list_status, _ = _timed_get(client, reverse("reliance:index"))
    organisation = reliance.relied_on(membership).first()
    page = reverse("reliance:organisation", args=[organisation.pk])
    page_seconds, page_queries, page_status, _ = _timed_get(client, page)
    with CaptureQueriesContext(connection) as few:
        reliance.profiles(membership, reliance.relied_on(membership)[:5])
    with CaptureQueriesContext(connection) as many:
        reliance.profiles(membership, reliance.relied_on(membership)[:50])
    # The first export works the survey statistics out; the second finds them cached.
    csv_path = reverse("reliance:csv")
    csv_seconds, csv_queries, csv_status, body = _timed_get(client, csv_path, repeat=1)
    warm_seconds, _queries, _status, _body = _timed_get(client, csv_path, repeat=1)
    rows = len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) - 1

    print("The list of consenting organisations (first page of 50):")
    print(f"  {'time':<50} {list_seconds:>10.3f} s")
    print(f"  {'SQL queries':<50} {list_queries:>10,}")
    print("One organisation's page:")
    print(f"  {'time':<50} {page_seconds:>10.3f} s")
    print(f"  {'SQL queries':<50} {page_queries:>10,}")
    print("Reading profiles:")
    print(f"  {'SQL queries for 5 organisations':<50} {len(few):>10,}")
    print(f"  {'SQL queries for 50 organisations':<50} {len(many):>10,}")
    print("The CSV of the whole sector:")
    print(f"  {'rows':<50} {rows:>10,}")
    print(f"  {'SQL queries':<50} {csv_queries:>10,}")
    print(f"  {'time, first export':<50} {csv_seconds:>10.2f} s")
    print(f"  {'organisations a second, first export':<50} {count / csv_seconds:>10,.0f}")
    print(f"  {'time, again (survey statistics cached)':<50} {warm_seconds:>10.2f} s")
    print(f"  {'organisations a second, again':<50} {count / warm_seconds:>10,.0f}")
    print(f"  {'ratio of the first export to the second':<50} {csv_seconds / warm_seconds:>10.2f}")

    checks = [
        ("every page answered 200", {list_status, page_status, csv_status} == {200}),
        (f"list page under {LIST_SECONDS} s", list_seconds < LIST_SECONDS),
        (f"organisation page under {PAGE_SECONDS} s", page_seconds < PAGE_SECONDS),
        ("profiles read in the same queries for 5 or 50", len(few) == len(many)),
        ("one CSV row per criterion and driver", rows == count * 12),
        (
            f"first CSV at {CSV_COLD_PER_SECOND} organisations a second or more",
            count / csv_seconds >= CSV_COLD_PER_SECOND,
        ),
        (
            f"CSV again at {CSV_WARM_PER_SECOND} organisations a second or more",
            count / warm_seconds >= CSV_WARM_PER_SECOND,
        ),
    ]
    print("\nChecks:")
    failed = False
    for label, ok in checks:
        failed |= not ok
        print(f"  {label:<60} {'pass' if ok else 'FAIL'}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
