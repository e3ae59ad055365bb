"""How fast the self-assessment pages and the gap report PDF are, and whether their
number of SQL queries stays the same as a standard grows.

Run from the project root:

    .venv/bin/python bench/self_assessment.py

It works in a throwaway database: a SQLite file in a temporary folder, or, when
DATABASE_URL is set, a separate database on that server that is dropped at the end.
Three standards are measured: a synthetic one of 20 elements, the shipped 2026
version (53 elements) and a synthetic one of 60 elements (the shipped one with seven
elements copied in). Every element is rated.
"""

import datetime
import io
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"  # DEBUG off, plain HTTP, a throwaway key
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-self-assessment-"))
ON_SERVER = bool(os.environ.get("DATABASE_URL"))
if not ON_SERVER:
    os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")

import django  # noqa: E402

django.setup()
# WeasyPrint reports every step at INFO; the static folder is not built for a bench.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message="No directory at")

import yaml  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from assessments import reports, services  # noqa: E402
from assessments.models import Action, Evidence, RatingValue, ReportJob  # noqa: E402
from organisations.models import Sector, User  # noqa: E402
from organisations.services import organisation_register  # noqa: E402
from standard.models import Criterion, Standard  # noqa: E402
from standard.services import standard_load  # noqa: E402

SIZES = (20, 53, 60)
PAGE_REQUESTS = 20
PDF_BUILDS = 3
PAGE_TARGET_MS = 150
PDF_TARGET_S = 3.0
SHIPPED = ROOT / "standard" / "data" / "standard-2026.yaml"
# A realistic mix: mostly compliant, some gaps, a few at compliance plus.
RATING_CYCLE = [
    RatingValue.COMPLIANT,
    RatingValue.COMPLIANT,
    RatingValue.PARTIAL,
    RatingValue.COMPLIANCE_PLUS,
    RatingValue.COMPLIANT,
    RatingValue.NON_COMPLIANT,
    RatingValue.COMPLIANT,
]


def set_up_database():
    if ON_SERVER:
        # A database of its own, so that nothing real is touched.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_sa_{os.getpid()}"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0)
    call_command("load_sectors", verbosity=0, stdout=io.StringIO())
    call_command("load_standard", verbosity=0, stdout=io.StringIO())


def tear_down_database(old_name):
    if ON_SERVER:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    shutil.rmtree(WORKDIR, ignore_errors=True)


def synthetic_standard(size: int) -> Standard:
    """The shipped standard cut down or padded to `size` elements, published as its own
    version (a day earlier, so that 2026 stays the current one)."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    for key in ("previous_version", "version_mapping", "legacy_mapping"):
        data.pop(key, None)
    data["version"] = f"bench-{size}"
    data["title"] = f"Benchmark standard, {size} elements"
    data["published_on"] = data["published_on"] - datetime.timedelta(days=1)
    criteria = data["criteria"]

    def total():
        return sum(len(c["elements"]) for c in criteria)

    while total() > size:
        max(criteria, key=lambda c: len(c["elements"]))["elements"].pop()
    while total() < size:
        criterion = min(criteria, key=lambda c: len(c["elements"]))
        copy = dict(criterion["elements"][-1])
        copy["code"] = f"{criterion['number']}.{len(criterion['elements']) + 1}"
        copy["title"] = f"{copy['title']} (copy)"
        criterion["elements"].append(copy)
    path = WORKDIR / f"standard-bench-{size}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    standard, _outcome = standard_load(path=path)
    return standard


def rated_self_assessment(standard: Standard, label: str, *, rate: bool = True):
    """An organisation with its administrator and a self-assessment with every element
    rated, narratives, evidence and actions (or, with rate=False, nothing rated: every
    element is then a gap, the longest report)."""
    user = User.objects.create_user(
        email=f"admin-{label}@bench.example", full_name=f"Admin {label}"
    )
    organisation = organisation_register(
        user=user,
        name=f"Bench {label} District Council",
        sector=Sector.objects.first(),
        region="london",
        legal_form="public",
        employee_count=800,
    )
    membership = user.memberships.get(organisation=organisation)
    evidence = [
        Evidence.objects.create(
            organisation=organisation,
            title=f"Evidence {n}",
            kind=Evidence.Kind.NOTE,
            text="Minutes and figures.",
            added_by=user,
        )
        for n in range(1, 6)
    ]
    self_assessment = services.self_assessment_start(membership=membership, standard=standard)
    if not rate:
        return membership, self_assessment
    ratings = self_assessment.ratings.select_related("element").order_by(
        "element__criterion__number", "element__position"
    )
    for n, rating in enumerate(ratings):
        services.rating_save(
            membership=membership,
            rating=rating,
            data=services.RatingInput(
                value=RATING_CYCLE[n % len(RATING_CYCLE)],
                narrative=f"How we meet {rating.element.code}: " + "We do this. " * 30,
                evidence=evidence[n % 3 : n % 3 + 2],
            ),
            expected_version=rating.version,
        )
    # Owners and dates on every action, one in three overdue.
    for n, action in enumerate(Action.objects.filter(self_assessment=self_assessment)):
        action.owner = "Customer services manager"
        action.due_date = datetime.date(2026, 1, 31) if n % 3 == 0 else datetime.date(2099, 1, 1)
        action.save(update_fields=["owner", "due_date"])
    return membership, self_assessment


def page_figures(client: Client, url_name: str, kwargs: dict):
    """(median milliseconds of PAGE_REQUESTS requests, SQL queries of one) or None."""
    try:
        url = reverse(url_name, kwargs=kwargs)
    except NoReverseMatch:
        return None
    response = client.get(url)  # warm up templates and caches
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Count now: the next request clears the connection's query log.
    query_count = len(queries.captured_queries)
    times = []
    for _ in range(PAGE_REQUESTS):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, query_count


def pdf_figures(membership, self_assessment):
    """(median seconds of PDF_BUILDS builds, pages)."""
    from pypdf import PdfReader

    times, pages = [], 0
    for _ in range(PDF_BUILDS):
        job = ReportJob.objects.create(
            self_assessment=self_assessment, requested_by=membership.user
        )
        start = time.perf_counter()
        reports.report_job_run(job_id=job.pk)
        times.append(time.perf_counter() - start)
        job.refresh_from_db()
        if job.status != ReportJob.Status.DONE:
            raise SystemExit(f"The PDF was not built: {job.error}")
        with job.file.open("rb") as handle:
            pages = len(PdfReader(handle).pages)
    return statistics.median(times), pages


def measure(size: int, standard: Standard) -> dict:
    membership, self_assessment = rated_self_assessment(standard, str(size))
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session["active_membership_id"] = membership.pk
    session.save()
    biggest = max(Criterion.objects.filter(standard=standard), key=lambda c: c.elements.count())
    pdf_seconds, pdf_pages = pdf_figures(membership, self_assessment)
    blank_seconds, blank_pages = pdf_figures(
        *rated_self_assessment(standard, f"{size}-blank", rate=False)
    )
    return {
        "elements": self_assessment.ratings.count(),
        "criterion_elements": biggest.elements.count(),
        "overview": page_figures(
            client, "assessments:detail", {"assessment_pk": self_assessment.pk}
        ),
        "criterion": page_figures(
            client,
            "assessments:criterion",
            {"assessment_pk": self_assessment.pk, "slug": biggest.slug},
        ),
        "pdf": pdf_seconds,
        "pdf_pages": pdf_pages,
        "pdf_blank": blank_seconds,
        "pdf_blank_pages": blank_pages,
    }


def verdict(ok):
    return "pass" if ok else "FAIL"


def main():
    old_name = connection.settings_dict["NAME"]
    set_up_database()
    try:
        start = time.perf_counter()
        import weasyprint  # noqa: F401  (workers import it once; keep it out of the figures)

        weasyprint_import = time.perf_counter() - start
        standards = {53: Standard.objects.get(version="2026")}
        standards.update({size: synthetic_standard(size) for size in SIZES if size != 53})
        results = {size: measure(size, standards[size]) for size in SIZES}
        failed = report(results, weasyprint_import)
    finally:
        tear_down_database(old_name)
    return 1 if failed else 0


def report(results: dict, weasyprint_import: float) -> bool:
    engine = connection.vendor
    print(
        f"Self-assessment benchmark on {engine}; "
        f"pages: median of {PAGE_REQUESTS} requests; PDF: median of {PDF_BUILDS} builds."
    )
    print(f"(WeasyPrint import, once per worker: {weasyprint_import:.2f} s, not counted.)\n")
    head = ["", *(f"{results[s]['elements']} elements" for s in SIZES), "target", "result"]
    rows = []
    failed = False

    for key, title in (("overview", "Overview page"), ("criterion", "Criterion page")):
        figures = [results[s][key] for s in SIZES]
        if any(f is None for f in figures):
            rows.append([f"{title}", *["not built yet"] * len(SIZES), "", "skipped"])
            continue
        slowest = max(ms for ms, _ in figures)
        ok = slowest < PAGE_TARGET_MS
        failed |= not ok
        rows.append(
            [
                f"{title}, ms",
                *(f"{ms:.1f}" for ms, _ in figures),
                f"< {PAGE_TARGET_MS} ms",
                verdict(ok),
            ]
        )
        counts = [queries for _, queries in figures]
        flat = len(set(counts)) == 1
        failed |= not flat
        rows.append(
            [f"{title}, SQL queries", *(str(c) for c in counts), "same for all", verdict(flat)]
        )
    rows.append(
        [
            "  (criterion shown: elements)",
            *(str(results[s]["criterion_elements"]) for s in SIZES),
            "",
            "",
        ]
    )

    for key, title in (
        ("pdf", "Gap report PDF, all rated"),
        ("pdf_blank", "Gap report PDF, none rated"),
    ):
        pdf = [results[s][key] for s in SIZES]
        ok = max(pdf) < PDF_TARGET_S
        failed |= not ok
        rows.append(
            [f"{title}, s", *(f"{p:.2f}" for p in pdf), f"< {PDF_TARGET_S:.0f} s", verdict(ok)]
        )
        rows.append(["  (pages)", *(str(results[s][f"{key}_pages"]) for s in SIZES), "", ""])

    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        cells = [
            str(cell).ljust(widths[0]) if i == 0 else str(cell).rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        print("  ".join(cells))

    small, large = results[SIZES[0]], results[SIZES[-1]]
    extra = large["elements"] - small["elements"]
    print(f"\nPer element ({small['elements']} to {large['elements']}):")
    for key, title in (("pdf", "PDF, all rated"), ("pdf_blank", "PDF, none rated")):
        per = (large[key] - small[key]) / extra * 1000
        print(f"  {title}: {per:.1f} ms per element")
    if small["overview"] and large["overview"]:
        per = (large["overview"][0] - small["overview"][0]) / extra
        print(f"  overview page: {per:.2f} ms per element")
    print(f"\nOverall: {'FAIL' if failed else 'pass'}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
