"""How fast the benchmarking pages answer over a field of 10,000 organisations and
10,000,000 survey responses, and proof that their query counts do not grow with the field.

Run from the project root, against PostgreSQL (the responses are made by the server):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/benchmarking.py

Options: `--organisations N` (default 10,000) and `--responses N` (default 10,000,000). It
works in a throwaway database like the other benches. The field: applicant organisations
spread over the shipped sectors, regions and legal forms, each with a survey in each of
the last two years that meets the method (the responses stored, the survey's summary
worked out from them as an import does); 45% of them hold a certificate from one of 20
certification bodies, a third of those first certified between their two surveys, each
with a decided assessment of every element (one body rates more generously than the
rest); one department with 40 units; peer groups in every sector.

The field is built twice: first a tenth of it, then the rest. After each, the benchmark
refresh runs (timed), then every page is requested a number of times: its median time and
its SQL queries are printed for both sizes. Targets: every page's median under 300 ms at
full size, and the same number of queries at both sizes.
"""

import argparse
import datetime
import io
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"  # DEBUG off, plain HTTP, a throwaway key
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-benchmarking-"))
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    raise SystemExit("bench/benchmarking.py measures PostgreSQL: set DATABASE_URL to a server.")
os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()
logging.disable(logging.WARNING)

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from assessments.models import RatingValue  # noqa: E402
from benchmarking.models import PeerGroup, PeerGroupMember, Refresh  # noqa: E402
from benchmarking.services import benchmarks_refresh  # noqa: E402
from certification.models import (  # noqa: E402
    Application,
    Certificate,
    Decision,
    Engagement,
    Finding,
)
from organisations.models import (  # noqa: E402
    Membership,
    Organisation,
    Region,
    Role,
    Sector,
    User,
)
from standard.models import Element  # noqa: E402
from standard.selectors import current_standard  # noqa: E402
from surveys.models import SATISFACTION_COLUMNS, Response, Survey  # noqa: E402
from surveys.services import score_aggregates, summary_of_row  # noqa: E402

DEFAULT_ORGANISATIONS = 10_000
DEFAULT_RESPONSES = 10_000_000
BODIES = 20
HOLDER_SHARE = 0.45
UNITS = 40
BATCH = 5_000
REPEAT = 7
TARGET_MS = 300
TODAY = datetime.date.today()
YEARS = (TODAY.year - 1, TODAY.year)
RATINGS = [RatingValue.COMPLIANCE_PLUS, RatingValue.COMPLIANT, RatingValue.PARTIAL]


def set_up_database():
    # A database of its own, so that nothing real is touched.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_bm_{os.getpid()}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def tear_down_database(old_name):
    connection.creation.destroy_test_db(old_name, verbosity=0)
    shutil.rmtree(WORKDIR, ignore_errors=True)


class Field:
    """The organisations, people and bodies the field grows around."""

    def __init__(self, seed: int = 6):
        self.rng = random.Random(seed)
        call_command("load_sectors", verbosity=0, stdout=io.StringIO())
        call_command("load_standard", verbosity=0, stdout=io.StringIO())
        self.standard = current_standard()
        self.elements = list(Element.objects.filter(criterion__standard=self.standard))
        self.sectors = list(Sector.objects.all())
        self.person = User.objects.create(email="bench@benchmarking.example", password="!")
        scheme = Organisation.objects.create(
            name="Bench Scheme Unit", kind=Organisation.Kind.SCHEME_UNIT
        )
        self.scheme = Membership.objects.create(
            user=self.person, organisation=scheme, role=Role.SCHEME_ANALYST
        )
        TOTP.activate(self.person, generate_totp_secret())  # the scheme unit's second factor
        self.bodies, self.assessors = [], {}
        for n in range(BODIES):
            body = Organisation.objects.create(
                name=f"Bench Certification {n:02d}", kind=Organisation.Kind.CERTIFICATION_BODY
            )
            self.bodies.append(body)
            self.assessors[body.pk] = [
                Membership.objects.create(
                    user=User.objects.create(email=f"a{k}@body{n}.example", password="!"),
                    organisation=body,
                    role=Role.ASSESSOR,
                ).user
                for k in range(3)
            ]
        self.department = Organisation.objects.create(
            name="Bench Department",
            kind=Organisation.Kind.APPLICANT,
            sector=self.sectors[0],
            employee_count=900,
        )
        self.department_admin = Membership.objects.create(
            user=User.objects.create(email="admin@department.example", password="!"),
            organisation=self.department,
            role=Role.APPLICANT_ADMIN,
        )
        for sector in self.sectors:
            PeerGroup.objects.create(sector=sector, name=f"Front-line {sector.slug} services")
        self.peer_groups = {group.sector_id: group for group in PeerGroup.objects.all()}
        self.count = 0

    def grow(self, organisations: int, responses: int) -> None:
        """Add organisations (the first `UNITS` of them units of the department), with their
        surveys and responses, certificates, assessments and peer-group memberships."""
        rng = self.rng
        new = Organisation.objects.bulk_create(
            [
                Organisation(
                    name=f"Bench Service {self.count + n:05d}",
                    kind=Organisation.Kind.APPLICANT,
                    sector=rng.choice(self.sectors),
                    region=rng.choice(Region.values),
                    legal_form=rng.choice(Organisation.LegalForm.values),
                    employee_count=rng.randint(20, 3000),
                    parent=self.department if self.count + n < UNITS else None,
                )
                for n in range(organisations)
            ],
            batch_size=BATCH,
        )
        self.count += organisations
        PeerGroupMember.objects.bulk_create(
            [
                PeerGroupMember(
                    peer_group=self.peer_groups[o.sector_id], organisation=o, joined_by=self.person
                )
                for o in new
                if rng.random() < 0.3
            ],
            batch_size=BATCH,
        )
        holders = [o for o in new if rng.random() < HOLDER_SHARE]
        self._certify(holders)
        per_survey = max(1, responses // (organisations * len(YEARS)))
        self._survey(new, {o.pk for o in holders}, per_survey)

    def _certify(self, holders) -> None:
        rng = self.rng
        applications = Application.objects.bulk_create(
            [
                Application(
                    applicant=o,
                    certification_body=rng.choice(self.bodies),
                    status="accepted",
                    submitted_by=self.person,
                )
                for o in holders
            ],
            batch_size=BATCH,
        )
        issued = {}
        for application in applications:
            if rng.random() < 1 / 3:  # first certified between its two surveys
                day = datetime.date(YEARS[0], rng.randint(7, 12), rng.randint(1, 28))
            else:
                day = datetime.date(YEARS[0] - rng.randint(1, 2), rng.randint(1, 12), 1)
            issued[application.pk] = day
        engagements = Engagement.objects.bulk_create(
            [
                Engagement(
                    application=a,
                    kind=Engagement.Kind.INITIAL,
                    status=Engagement.Status.DECIDED,
                    standard=self.standard,
                    created_by=self.person,
                    reported_at=datetime.datetime.combine(
                        issued[a.pk], datetime.time(12), tzinfo=datetime.UTC
                    ),
                )
                for a in applications
            ],
            batch_size=BATCH,
        )
        generous = self.bodies[0].pk
        findings = []
        for engagement, application in zip(engagements, applications, strict=True):
            body = application.certification_body_id
            weights = (0.30, 0.60, 0.10) if body == generous else (0.12, 0.75, 0.13)
            assessor = rng.choice(self.assessors[body])
            for element in self.elements:
                rating = rng.choices(RATINGS, weights)[0]
                findings.append(
                    Finding(
                        engagement=engagement, element=element, rating=rating, updated_by=assessor
                    )
                )
            if len(findings) >= 50_000:
                Finding.objects.bulk_create(findings, batch_size=BATCH)
                findings = []
        Finding.objects.bulk_create(findings, batch_size=BATCH)
        certificates = Certificate.objects.bulk_create(
            [
                Certificate(
                    number=f"CV-B-{a.pk:06d}",
                    holder=a.applicant,
                    certification_body=a.certification_body,
                    application=a,
                    holder_name=a.applicant.name,
                    holder_sector=a.applicant.sector,
                    holder_region=a.applicant.region,
                    scope="Whole organisation",
                    standard=self.standard,
                    original_issue_date=issued[a.pk],
                    issue_date=issued[a.pk],
                    next_review_due=TODAY + datetime.timedelta(days=rng.randint(-40, 330)),
                    cycle_expires=issued[a.pk] + datetime.timedelta(days=3 * 365 + 90),
                    status_changed_on=issued[a.pk],
                )
                for a in applications
            ],
            batch_size=BATCH,
        )
        Decision.objects.bulk_create(
            [
                Decision(
                    engagement=e,
                    certificate=c,
                    certification_body=c.certification_body,
                    holder=c.holder,
                    kind=Decision.Kind.CERTIFY,
                    reasons="Meets the standard.",
                    decided_by=self.person,
                )
                for e, c in zip(engagements, certificates, strict=True)
            ],
            batch_size=BATCH,
        )

    def _survey(self, organisations, holders: set, per_survey: int) -> None:
        rng = self.rng
        surveys, levels = [], {}
        for organisation in organisations:
            # Each organisation has its own level; holders do a little better.
            level = rng.uniform(2.9, 4.1) + (0.12 if organisation.pk in holders else 0.0)
            for year in YEARS:
                end = datetime.date(year, 6, 28)
                survey = Survey(
                    organisation=organisation,
                    standard=self.standard,
                    title=f"Customer survey {year}",
                    period_start=end - datetime.timedelta(days=120),
                    period_end=end,
                    channels=["online"],
                    population=200_000,
                    sampling_approach="random",
                    mode="online",
                    fieldwork_start=end - datetime.timedelta(days=60),
                    fieldwork_end=end,
                    invited_count=per_survey * 3,
                    core_wording_confirmed=True,
                    created_by=self.person,
                )
                surveys.append(survey)
                levels[id(survey)] = level + rng.uniform(-0.15, 0.25) * (year - YEARS[0])
        Survey.objects.bulk_create(surveys, batch_size=BATCH)
        self._responses([(s.pk, levels[id(s)]) for s in surveys], per_survey)
        self._summaries([s.pk for s in surveys])

    def _responses(self, levels: list[tuple[int, float]], per_survey: int) -> None:
        """`per_survey` responses to each survey, made by the server: each answer is the
        survey's level plus noise, rounded onto the 1 to 5 scale."""
        answer = "LEAST(5, GREATEST(1, round(l.level + (random() + random() - 1) * 1.6)))"
        columns = ", ".join(SATISFACTION_COLUMNS)
        answers = ", ".join([answer] * len(SATISFACTION_COLUMNS))
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_level (survey_id bigint, level float)")
            with cursor.copy("COPY bench_level FROM STDIN") as copy:
                for row in levels:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {Response._meta.db_table} "
                f"(survey_id, respondent_id, source, channel, {columns}, extra, groups) "
                f"SELECT l.survey_id, g::text, 'import', 'online', {answers}, "
                "'{}'::jsonb, '{}'::jsonb "
                "FROM bench_level l CROSS JOIN generate_series(1, %s) g",
                [per_survey],
            )
            cursor.execute("DROP TABLE bench_level")
            cursor.execute(f"ANALYZE {Response._meta.db_table}")

    def _summaries(self, survey_ids: list[int]) -> None:
        """Each survey's summary from its responses in one grouped query, and the method
        check, as an import leaves them."""
        rows = (
            Response.objects.filter(survey_id__in=survey_ids)
            .values("survey")
            .annotate(**score_aggregates(SATISFACTION_COLUMNS))
            .order_by()
        )
        surveys = []
        for row in rows:
            summary = summary_of_row(row, SATISFACTION_COLUMNS)
            surveys.append(
                Survey(
                    pk=row["survey"],
                    summary=summary,
                    response_count=summary["total"],
                    method_meets=True,
                )
            )
        Survey.objects.bulk_update(
            surveys, ["summary", "response_count", "method_meets"], batch_size=BATCH
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _client(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session["active_membership_id"] = membership.pk
    session.save()
    return client


def _timed(client: Client, path: str) -> tuple[float, int, int]:
    """The median of `REPEAT` requests after one to warm up, in ms; queries and status."""
    times, queries, status = [], 0, 0
    for n in range(REPEAT + 1):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(path)
            if response.streaming:
                b"".join(response.streaming_content)
            elapsed = (time.perf_counter() - start) * 1000
        if n:
            times.append(elapsed)
        queries, status = len(captured), response.status_code
    return statistics.median(times), queries, status


def pages(field: Field) -> list[tuple[str, Membership, str]]:
    """(label, who asks, path) of every benchmarking page, with filters where it has them."""
    sector = field.sectors[0].slug
    unit = field.department.units.order_by("pk").first()
    scheme, department = field.scheme, field.department_admin
    # (label, URL name, the CSV's query: which table where a page has several)
    dashboards = [
        ("take-up", "benchmarking:dashboard_take_up", "format=csv"),
        ("certifications", "benchmarking:dashboard_certifications", "format=csv&table=sectors"),
        ("pipeline", "benchmarking:dashboard_pipeline", "format=csv"),
        ("satisfaction", "benchmarking:dashboard_satisfaction", "format=csv"),
        ("consistency", "benchmarking:dashboard_consistency", "format=csv&table=elements"),
        ("effectiveness", "benchmarking:dashboard_effectiveness", "format=csv&table=strata"),
    ]
    department_path = reverse("benchmarking:department", args=[field.department.pk])
    organisation_path = reverse("benchmarking:organisation", args=[unit.pk])
    listed = []
    for label, name, csv in dashboards:
        path = reverse(name)
        listed.append((f"{label}", scheme, path))
        listed.append(
            (f"{label}, one sector and year", scheme, f"{path}?sector={sector}&period={YEARS[1]}")
        )
        listed.append((f"{label}, CSV", scheme, f"{path}?{csv}"))
    listed += [
        ("the scheme unit's list of departments", scheme, reverse("benchmarking:departments")),
        ("a department's dashboard", department, department_path),
        ("a department's dashboard, CSV", department, f"{department_path}?format=csv"),
        ("an organisation's benchmark report", scheme, organisation_path),
        ("the department's own benchmark report", department, reverse("benchmarking:index")),
    ]
    return listed


def measure(field: Field) -> dict:
    clients = {}
    figures = {}
    for label, membership, path in pages(field):
        client = clients.setdefault(membership.pk, _client(membership))
        figures[label] = _timed(client, path)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=DEFAULT_ORGANISATIONS)
    parser.add_argument("--responses", type=int, default=DEFAULT_RESPONSES)
    options = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    set_up_database()
    setup_test_environment()
    try:
        return run(options)
    finally:
        connection.close()
        tear_down_database(old_name)


def run(options) -> int:
    field = Field()
    sizes, results, refreshes = [], [], []
    first = options.organisations // 10
    for organisations, responses in (
        (first, options.responses // 10),
        (options.organisations - first, options.responses - options.responses // 10),
    ):
        start = time.perf_counter()
        field.grow(organisations, responses)
        built = time.perf_counter() - start
        start = time.perf_counter()
        benchmarks_refresh(trigger=Refresh.Trigger.MANUAL)
        whole = time.perf_counter() - start
        # What follows an import: the one sector, and the all-sector dashboard figures.
        start = time.perf_counter()
        benchmarks_refresh(trigger=Refresh.Trigger.IMPORT, sector=field.sectors[0])
        refreshes.append((whole, time.perf_counter() - start))
        sizes.append((field.count, Response.objects.count(), built))
        results.append(measure(field))
    return report(sizes, results, refreshes)


def report(sizes, results, refreshes) -> int:
    (small, small_responses, _), (large, large_responses, built) = sizes
    print(
        f"Benchmarking pages on PostgreSQL: {small:,} then {large:,} organisations, "
        f"{small_responses:,} then {large_responses:,} responses (the rest of the field built "
        f"in {built:.0f} s). Each page: the median of {REPEAT} requests after one to warm up, "
        f"in this process. Load average at the end: {os.getloadavg()[0]:.1f}.\n"
    )
    (whole_small, one_small), (whole_large, one_large) = refreshes
    print(
        f"Benchmark refresh of every sector (nightly): {whole_small:.1f} s, then "
        f"{whole_large:.1f} s; of one sector (after an import or a decision): "
        f"{one_small:.1f} s, then {one_large:.1f} s\n"
    )
    head = f"{'page':48} {'ms':>8} {'ms':>8} {'queries':>8} {'queries':>8}  status"
    print(head)
    print(f"{'':48} {f'{small:,}':>8} {f'{large:,}':>8} {f'{small:,}':>8} {f'{large:,}':>8}")
    print("-" * len(head))
    failed = False
    slowest, growing = 0.0, []
    for label, (ms_large, queries_large, status) in results[1].items():
        ms_small, queries_small, _ = results[0][label]
        print(
            f"{label:48} {ms_small:8.1f} {ms_large:8.1f} {queries_small:8} {queries_large:8}"
            f"  {status}"
        )
        failed |= status != 200
        slowest = max(slowest, ms_large)
        if queries_large != queries_small:
            growing.append(label)
    checks = [
        ("every page's median under 300 ms", f"{slowest:.0f} ms", slowest < TARGET_MS),
        ("queries the same at both sizes", ", ".join(growing) or "all", not growing),
    ]
    print(f"\n{'target':40} {'measured':>20}  result")
    for label, measured, ok in checks:
        failed |= not ok
        print(f"{label:40} {measured:>20}  {'pass' if ok else 'FAIL'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
