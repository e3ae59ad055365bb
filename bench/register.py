"""How fast the public register answers with 100,000 certificate holders: the search with
its counts, the certificate check and, for comparison, a minimal page of the same server
(the list of certification bodies: one indexed query and a 20-row table); and how long a
certificate PDF takes to build.

Run from the project root, against PostgreSQL:

    .venv/bin/python bench/register.py

It works in a database of its own, `cv_bench_register`, on the server DATABASE_URL names
(default: postgres as postgres on 127.0.0.1:5432; the role needs CREATEDB). The data is
loaded once with COPY and reused by later runs (`--fresh` loads it again, `--drop` drops
the database at the end). It starts gunicorn on a free port of 127.0.0.1 (gthread workers,
keep-alive, persistent database connections), drives it with 16 concurrent keep-alive
connections (from wrk when it is installed, `apt install wrk`, else from threads of this
process, which take CPU from the server and add their own waits to what they measure),
stops it, and prints p50/p95/p99
latency and throughput for each page, the ratio of the search's throughput to the minimal
page's, and whether each target is met. Every request gets its own client address (in
X-Real-IP, which the server is told to read) so the rate limits are exercised, not hit.
The server's cache is in-process, made large enough to stand in for the shared Redis
cache of production.
"""

import argparse
import datetime
import http.client
import io
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"  # DEBUG off, plain HTTP, a throwaway key

DATABASE = "cv_bench_register"
SERVER = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
parts = urllib.parse.urlsplit(SERVER)
if not parts.scheme.startswith("postgres"):
    raise SystemExit("bench/register.py measures PostgreSQL: set DATABASE_URL to a server.")
DATABASE_URL = urllib.parse.urlunsplit(parts._replace(path=f"/{DATABASE}"))
MAINTENANCE_URL = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.pop("REDIS_URL", None)  # per-process cache, no shared Redis database needed
WORKDIR = Path(tempfile.mkdtemp(prefix="bench-register-"))
os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")

HOLDERS = 100_000
BODIES = 20
CONCURRENCY = 16
REQUESTS = 4000  # per page, after the warm-up
WARM_UP = 200
ROUNDS = 5
WRK_SECONDS = 4  # per page and round, when wrk drives the load
ALONE = 300  # requests per page over a single connection, for the service time alone
PDF_BUILDS = 5
TARGET_SEARCH_P99_MS = 100
TARGET_SEARCH_RATIO = 0.60
TARGET_CHECK_P99_MS = 20
TARGET_PDF_S = 1.0
# Statuses in a mature register.
STATUS_SHARE = [("active", 85), ("suspended", 6), ("withdrawn", 5), ("lapsed", 3), ("expired", 1)]
KINDS = [
    "Borough Council",
    "County Council",
    "District Council",
    "City Council",
    "NHS Trust",
    "Health Centre",
    "Medical Practice",
    "Dental Practice",
    "Housing Association",
    "Homes",
    "Police",
    "Fire and Rescue Service",
    "Citizens Advice",
    "Jobcentre",
    "Library Service",
    "Academy",
    "College",
    "Magistrates' Court",
    "Tribunal Service",
    "Leisure Trust",
    "Community Support",
    "Advice Centre",
    "Ambulance Service",
    "Pension Service",
    "Tax Office",
    "Benefits Service",
    "Registry Office",
    "Youth Service",
    "Care Services",
    "Museum",
]
FIRST = "Ash Bar Bel Black Bram Brook Bur Carl Chel Clif Dal Dun East Elm Fair Glen Green "
FIRST += "Hal Hart High Kings Lang Lin Marl Mid New North Oak Pen Red Ros Sand South Stan "
FIRST += "Stock Thorn Wal West Whit Wood"
SECOND = "bay bridge brook burn bury by caster chester combe dale den field ford gate "
SECOND += "ham hill holme ley mere minster moor mouth ness port stead stoke thorpe ton "
SECOND += "wall well wich wick worth"
SYLLABLES = (FIRST.split(), SECOND.split())

import django  # noqa: E402

django.setup()
warnings.filterwarnings("ignore", message="No directory at")

from dateutil.relativedelta import relativedelta  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from certification import register  # noqa: E402
from certification.certificates import certificate_pdf_build  # noqa: E402
from certification.models import (  # noqa: E402
    Application,
    BodyProfile,
    Certificate,
    CertificateEvent,
)
from organisations.models import Organisation, Region, Sector, User  # noqa: E402
from standard.selectors import current_standard  # noqa: E402

# The database -------------------------------------------------------------------------


def ensure_database(fresh: bool) -> None:
    import psycopg

    with psycopg.connect(MAINTENANCE_URL, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
        ).fetchone()
        if exists and fresh:
            admin.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    import psycopg

    connection.close()
    with psycopg.connect(MAINTENANCE_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def copy_rows(model, rows: list[dict]) -> None:
    """COPY rows (field name: value) into the model's table, defaults for the rest."""
    fields = [f for f in model._meta.concrete_fields]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row.get(f.attname, defaults.get(f.attname)) for f in fields])
        raw.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{model._meta.db_table}\"', 'id'), "
            f'(SELECT max(id) FROM "{model._meta.db_table}"))'
        )


def load(holders: int) -> float:
    """Bodies, holders, applications, certificates and their first events, by COPY."""
    start = time.perf_counter()
    rng = random.Random(2026)
    now = timezone.now()
    today = timezone.localdate()
    standard = current_standard()
    sectors = list(Sector.objects.values_list("pk", flat=True))
    regions = list(Region.values)
    user = User.objects.create_user(email="bench@register.example", full_name="Bench")
    next_id = (Organisation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    organisations, profiles = [], []
    body_ids = list(range(next_id, next_id + BODIES))
    for n, pk in enumerate(body_ids):
        organisations.append(
            {
                "id": pk,
                "name": f"Bench Certification {n + 1:02d} Ltd",
                "kind": "certification_body",
                "sector_id": None,
                "region": "",
                "legal_form": "private",
                "created_at": now,
            }
        )
        lost_days = {0: 30, 1: 200}.get(n)  # one body in its grace period, one past it
        profiles.append(
            {
                "id": n + 1,
                "organisation_id": pk,
                "accreditation_reference": f"UKAS {9000 + n}",
                "accreditation_status": "withdrawn" if lost_days else "accredited",
                "accreditation_expires": today + relativedelta(years=2),
                "accreditation_lost_on": today - datetime.timedelta(days=lost_days)
                if lost_days
                else None,
                "franchise_start": today - relativedelta(years=1),
                "franchise_end": today + relativedelta(years=3),
                "day_rate": 650,
            }
        )
    holder_ids = list(range(next_id + BODIES, next_id + BODIES + holders))
    names, places = {}, {}
    for pk in holder_ids:
        place = rng.choice(SYLLABLES[0]) + rng.choice(SYLLABLES[1])
        names[pk] = f"{place} {rng.choice(KINDS)}"
        places[pk] = (rng.choice(sectors), rng.choice(regions))
        organisations.append(
            {
                "id": pk,
                "name": names[pk],
                "kind": "applicant",
                "sector_id": places[pk][0],
                "region": places[pk][1],
                "legal_form": "public",
                "employee_count": rng.randint(20, 5000),
                "created_at": now,
            }
        )
    copy_rows(Organisation, organisations)
    copy_rows(BodyProfile, profiles)
    statuses = [s for s, share in STATUS_SHARE for _ in range(share)]
    applications, certificates, events = [], [], []
    for n, pk in enumerate(holder_ids, start=1):
        body = rng.choice(body_ids)
        status = rng.choice(statuses)
        issued = today - datetime.timedelta(days=rng.randint(0, 360))
        applications.append(
            {
                "id": n,
                "applicant_id": pk,
                "certification_body_id": body,
                "status": "accepted",
                "submitted_by_id": user.pk,
                "submitted_at": now,
            }
        )
        certificates.append(
            {
                "id": n,
                "number": f"CV-{issued.year}-{n:06d}",
                "holder_id": pk,
                "certification_body_id": body,
                "application_id": n,
                "holder_name": names[pk],
                "holder_sector_id": places[pk][0],
                "holder_region": places[pk][1],
                "main_site_address": f"{n} High Street\n{names[pk].split()[0]}",
                "scope": f"The whole of {names[pk]}",
                "standard_id": standard.pk,
                "status": status,
                "original_issue_date": issued,
                "issue_date": issued,
                "next_review_due": issued + relativedelta(months=12),
                "cycle_expires": issued + relativedelta(years=3),
                "status_changed_on": issued,
                "pdf": "",
                "pdf_version": 0,
                "version": 1,
            }
        )
        events.append(
            {
                "id": n,
                "certificate_id": n,
                "kind": "issued",
                "happened_on": issued,
                "recorded_at": now,
                "note": "",
                "status_after": status,
                "next_review_due": issued + relativedelta(months=12),
            }
        )
    copy_rows(Application, applications)
    copy_rows(Certificate, certificates)
    copy_rows(CertificateEvent, events)
    return time.perf_counter() - start


def vacuum_analyze() -> None:
    # Visibility maps and statistics, as autovacuum would leave them after a while.
    with connection.cursor() as cursor:
        for model in (Organisation, Certificate, CertificateEvent, BodyProfile):
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')


# The server and the load ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The server's settings: the project's, with the in-process cache made large enough to
# stand in for the Redis cache production shares between workers (the default in-process
# cache keeps 300 entries, and every client address the rate limits count takes one).
SERVER_SETTINGS = """
from config.settings import *  # noqa: F403

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 200_000},
    }
}
"""


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    (WORKDIR / "bench_register_settings.py").write_text(SERVER_SETTINGS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_register_settings",
        "PYTHONPATH": os.pathsep.join([str(WORKDIR), str(ROOT)]),
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "RATELIMIT_IP_META_KEY": "HTTP_X_REAL_IP",
        # 404s of unknown certificate numbers are expected: only errors are logged.
        "LOG_LEVEL": "ERROR",
        # The static folder is not built for a bench.
        "PYTHONWARNINGS": "ignore:No directory at",
        "CONN_MAX_AGE": "600",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--keep-alive",
        "60",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request(
                "GET", "/register/certification-bodies/", headers={"X-Real-IP": "10.0.0.1"}
            )
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before it answered.")
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within a minute.")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


class Addresses:
    """A different client address for every request, so no address reaches a limit."""

    def __init__(self):
        self._n = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._n += 1
            n = self._n
        return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def drive(port: int, paths: list[str], concurrency: int, addresses: Addresses, ok=(200,)):
    """Request every path once, over `concurrency` keep-alive connections; returns the
    latencies in seconds, the elapsed time and the unexpected answers."""
    queue = iter(paths)
    lock = threading.Lock()
    latencies, failures = [], []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while True:
            with lock:
                path = next(queue, None)
            if path is None:
                break
            headers = {"X-Real-IP": addresses.next(), "Accept-Encoding": "identity"}
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                failures.append(f"{path}: {exc}")
                continue
            mine.append(time.perf_counter() - start)
            if response.status not in ok:
                failures.append(f"{path}: {response.status}")
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - start, failures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def search_paths(count: int, rng: random.Random) -> list[str]:
    """Typical searches: by name (start, part), by sector, region, body, status, and
    further pages, alone and together."""
    sectors = list(Sector.objects.values_list("slug", flat=True))
    bodies = list(
        Organisation.objects.filter(kind="certification_body").values_list("pk", flat=True)
    )
    places = [a + b for a in SYLLABLES[0] for b in SYLLABLES[1]]
    kinds = [kind.split()[0].lower() for kind in KINDS]

    def one() -> dict:
        choice = rng.randrange(10)
        if choice == 0:
            return {}
        if choice == 1:
            return {"status": "active", "page": rng.randint(2, 5)}
        if choice == 2:
            return {"sector": rng.choice(sectors)}
        if choice == 3:
            return {"q": rng.choice(places)[:2]}
        if choice == 4:
            return {"q": rng.choice(places).lower()}
        if choice == 5:
            return {"q": rng.choice(kinds), "status": "active"}
        if choice == 6:
            return {"region": rng.choice(Region.values), "status": "active", "page": 2}
        if choice == 7:
            return {"body": rng.choice(bodies)}
        if choice == 8:
            return {"sector": rng.choice(sectors), "region": rng.choice(Region.values)}
        return {"q": rng.choice(places)[:4].lower(), "sector": rng.choice(sectors)}

    return ["/register/?" + urllib.parse.urlencode(one()) for _ in range(count)]


def check_paths(count: int, rng: random.Random) -> list[str]:
    numbers = list(Certificate.objects.values_list("number", flat=True)[:50_000])
    # One check in twenty is of a number that does not exist (it answers 404).
    return [
        f"/register/check/{rng.choice(numbers) if rng.random() > 0.05 else 'CV-2026-999999'}/"
        for _ in range(count)
    ]


# Measuring ----------------------------------------------------------------------------


def in_process_figures() -> list[tuple[str, float]]:
    """What one search costs inside the process, counts computed (cache empty) or not."""
    figures = []
    register.search(register.RegisterQuery())  # loads the translations once, as a worker does
    for label, params in (
        ("search, no filter", {}),
        ("search, status=active, page 2", {"status": "active", "page": "2"}),
        ("search, name contains 'bridge'", {"q": "bridge"}),
        ("search, name starts 'no'", {"q": "no"}),
    ):
        query = register.RegisterQuery.from_params(params)
        cache.clear()
        start = time.perf_counter()
        register.search(query)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(20):
            register.search(query)
        warm = (time.perf_counter() - start) / 20
        figures.append((f"{label}: counts computed", cold * 1000))
        figures.append((f"{label}: counts cached", warm * 1000))
    return figures


def pdf_seconds() -> list[float]:
    certificate = Certificate.objects.filter(status="active").order_by("pk").first()
    certificate_pdf_build(certificate_id=certificate.pk)  # WeasyPrint's first use loads fonts
    times = []
    for _ in range(PDF_BUILDS):
        start = time.perf_counter()
        certificate_pdf_build(certificate_id=certificate.pk)
        times.append(time.perf_counter() - start)
    return times


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holders", type=int, default=HOLDERS)
    parser.add_argument("--requests", type=int, default=REQUESTS, help="per page")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--driver",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="the load generator: wrk when installed (auto), or this process's threads",
    )
    parser.add_argument("--fresh", action="store_true", help="load the data again")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args()

    ensure_database(args.fresh)
    try:
        return run(args)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
        if args.drop:
            drop_database()


def run(args) -> int:
    call_command("migrate", verbosity=0)
    call_command("load_sectors", verbosity=0, stdout=io.StringIO())
    call_command("load_standard", verbosity=0, stdout=io.StringIO())
    have = Certificate.objects.count()
    if have and have != args.holders:
        raise SystemExit(f"{DATABASE} holds {have} certificates: run with --fresh to reload.")
    if not have and Organisation.objects.exists():
        raise SystemExit(f"{DATABASE} holds a partial load: run with --fresh to reload.")
    if not have:
        print(f"Loading {args.holders:,} holders with certificates by COPY …", flush=True)
        print(f"  loaded in {load(args.holders):.1f} s", flush=True)
        vacuum_analyze()
    else:
        print(f"Reusing {have:,} certificates in {DATABASE}.")

    rng = random.Random(7)
    paths = {
        "minimal page (certification bodies)": ["/register/certification-bodies/"]
        * (WARM_UP + args.requests),
        "register search": search_paths(WARM_UP + args.requests, rng),
        "certificate check": check_paths(WARM_UP + args.requests, rng),
    }
    ok = {"certificate check": (200, 404)}
    use_wrk = args.driver == "wrk" or (args.driver == "auto" and shutil.which("wrk"))
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    try:
        addresses = Addresses()
        for name, all_paths in paths.items():
            drive(port, all_paths[:WARM_UP], CONCURRENCY, addresses, ok.get(name, (200,)))
        rounds = loaded_rounds_wrk(port, paths) if use_wrk else loaded_rounds(port, paths, ok, args)
        results = {}
        for name, all_paths in paths.items():
            alone, _elapsed, _failures = drive(
                port, all_paths[WARM_UP : WARM_UP + ALONE], 1, addresses, ok.get(name, (200,))
            )
            results[name] = {**rounds[name], "alone": alone}
    finally:
        stop_server(server)
    process = in_process_figures()
    pdf = pdf_seconds()
    return report(args, results, process, pdf, "wrk" if use_wrk else "Python threads")


def loaded_rounds(port, paths, ok, args) -> dict:
    """The pages under load from this process's own threads: a fixed number of requests
    per page, in rounds taking turns so that whatever else the machine is doing weighs on
    all three alike."""
    per_round = max(1, args.requests // ROUNDS)
    addresses = Addresses()
    results = {}
    for name in paths:
        results[name] = {"latencies": [], "elapsed": 0.0, "failures": [], "rates": []}
    for n in range(ROUNDS):
        chunk = slice(WARM_UP + n * per_round, WARM_UP + (n + 1) * per_round)
        for name, all_paths in paths.items():
            latencies, elapsed, failures = drive(
                port, all_paths[chunk], CONCURRENCY, addresses, ok.get(name, (200,))
            )
            result = results[name]
            result["latencies"].extend(latencies)
            result["elapsed"] += elapsed
            result["failures"].extend(failures)
            result["rates"].append(len(latencies) / elapsed)
    return {
        name: {
            "p50": percentile(r["latencies"], 0.50) * 1000,
            "p95": percentile(r["latencies"], 0.95) * 1000,
            "p99": percentile(r["latencies"], 0.99) * 1000,
            "rate": len(r["latencies"]) / r["elapsed"],
            "rates": r["rates"],
            "failures": r["failures"],
        }
        for name, r in results.items()
    }


# wrk's script: each request takes the next path of the page's list and a client address
# of its own (wrk's LuaJIT has no bit operators, hence the arithmetic); at the end it
# prints one line of JSON.
WRK_SCRIPT = """
local paths, counter, threads = {}, 0, {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  counter = id * 4000000
end
function request()
  counter = counter + 1
  local ip = string.format("10.%d.%d.%d", math.floor(counter / 65536) % 256,
    math.floor(counter / 256) % 256, counter % 256)
  return wrk.format("GET", paths[(counter % #paths) + 1], {["X-Real-IP"] = ip})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, ' ..
    '"not_2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def drive_wrk(port: int, paths: list[str], seconds: int) -> dict:
    """`CONCURRENCY` keep-alive connections from wrk for `seconds`; its figures."""
    script, listing = WORKDIR / "register.lua", WORKDIR / "paths.txt"
    script.write_text(WRK_SCRIPT)
    listing.write_text("\n".join(paths) + "\n")
    command = [
        shutil.which("wrk"),
        "--threads",
        "2",
        "--connections",
        str(CONCURRENCY),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--script",
        str(script),
        f"http://127.0.0.1:{port}",
        "--",
        str(listing),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("JSON "))
    return json.loads(line[5:])


def loaded_rounds_wrk(port, paths) -> dict:
    """The pages under load from wrk, a C load generator that takes far less of the CPUs
    the server needs than Python threads do: `ROUNDS` rounds of `WRK_SECONDS` per page,
    taking turns. Latencies are the median of the rounds' percentiles (wrk keeps no raw
    figures to pool); throughput is over all rounds."""
    figures = {name: [] for name in paths}
    for _round in range(ROUNDS):
        for name, all_paths in paths.items():
            figures[name].append(drive_wrk(port, all_paths[WARM_UP:], WRK_SECONDS))
    results = {}
    for name, rounds in figures.items():
        failures = sum(r["socket_errors"] for r in rounds)
        # Unknown certificate numbers are checked on purpose: their 404s are answers.
        if name != "certificate check":
            failures += sum(r["not_2xx"] for r in rounds)
        results[name] = {
            "p50": statistics.median(r["p50"] for r in rounds),
            "p95": statistics.median(r["p95"] for r in rounds),
            "p99": statistics.median(r["p99"] for r in rounds),
            "worst p99": max(r["p99"] for r in rounds),
            "rate": sum(r["requests"] for r in rounds) / sum(r["seconds"] for r in rounds),
            "rates": [r["requests"] / r["seconds"] for r in rounds],
            "failures": [f"{failures} failed requests"] if failures else [],
        }
    return results


def report(args, results, process, pdf, driver) -> int:
    print(
        f"\nPublic register benchmark on PostgreSQL, {Certificate.objects.count():,} "
        f"certificates; gunicorn gthread {args.workers} workers x {args.threads} threads on "
        f"{os.cpu_count()} CPUs; {CONCURRENCY} keep-alive connections from {driver} on the "
        f"same machine, in {ROUNDS} rounds taking turns; 'alone' is {ALONE} requests over "
        f"one connection. Load average at the end: {os.getloadavg()[0]:.1f}.\n"
    )
    head = (
        f"{'page':38} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}"
        f"  {'alone p50/p99 ms':>17}"
    )
    print(head)
    print("-" * len(head))
    throughput, p99, rates = {}, {}, {}
    failed = False
    for name, result in results.items():
        throughput[name] = result["rate"]
        rates[name] = result["rates"]
        p99[name] = result["p99"]
        alone = result["alone"]
        print(
            f"{name:38} {result['p50']:8.1f} {result['p95']:8.1f} {p99[name]:8.1f} "
            f"{throughput[name]:8.0f}  "
            f"{percentile(alone, 0.5) * 1000:8.1f}/{percentile(alone, 0.99) * 1000:.1f}"
        )
        if "worst p99" in result:
            print(f"{'':38} worst round's p99 {result['worst p99']:.1f} ms")
        if result["failures"]:
            failed = True
            print(f"  {len(result['failures'])} unexpected answers, e.g. {result['failures'][:3]}")
    minimal_name = "minimal page (certification bodies)"
    ratio = throughput["register search"] / throughput[minimal_name]
    by_round = [s / m for s, m in zip(rates["register search"], rates[minimal_name], strict=True)]
    print(
        "\nSearch / minimal page throughput, round by round: "
        + ", ".join(f"{r:.2f}" for r in by_round)
    )
    print(
        f"With {CONCURRENCY} connections always busy, latency is about {CONCURRENCY} / "
        "throughput (Little's law): a p99 under 20 ms needs well over "
        f"{CONCURRENCY * 1000 // 20} requests a second from this machine."
    )
    pdf_median = statistics.median(pdf)
    print("\nIn the process (one request's work, no HTTP):")
    for label, ms in process:
        print(f"  {label:55} {ms:7.1f} ms")
    print(f"\nCertificate PDF: median of {PDF_BUILDS} builds {pdf_median:.2f} s")
    checks = [
        (
            "register search p99 under 16 connections",
            f"{p99['register search']:.1f} ms",
            f"< {TARGET_SEARCH_P99_MS} ms",
            p99["register search"] < TARGET_SEARCH_P99_MS,
        ),
        (
            "register search throughput / minimal page's",
            f"{ratio:.2f}",
            f">= {TARGET_SEARCH_RATIO:.2f}",
            ratio >= TARGET_SEARCH_RATIO,
        ),
        (
            "certificate check p99 under 16 connections",
            f"{p99['certificate check']:.1f} ms",
            f"< {TARGET_CHECK_P99_MS} ms",
            p99["certificate check"] < TARGET_CHECK_P99_MS,
        ),
        (
            "certificate PDF build",
            f"{pdf_median:.2f} s",
            f"< {TARGET_PDF_S:.0f} s",
            pdf_median < TARGET_PDF_S,
        ),
    ]
    print(f"\n{'target':46} {'measured':>10} {'target':>10}  result")
    for label, measured, target, ok in checks:
        failed |= not ok
        print(f"{label:46} {measured:>10} {target:>10}  {verdict(ok)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
