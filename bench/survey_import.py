"""How fast a survey results file is imported, compared with loading the same rows by
a plain COPY and by the ORM's bulk_create, and how much memory the import needs.

Run from the project root (PostgreSQL is what it is meant for):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/survey_import.py

Options: `--rows N` (default 1,000,000) and `--huge`, which also imports 10,000,000 rows
to show that the import's memory does not grow with the file. It works in a throwaway
database like the other benches. The import runs in a child process so that its peak
memory (RSS high-water mark) can be read on its own.
"""

import argparse
import datetime
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"  # DEBUG off, plain HTTP, a throwaway key
CHILD = "--child" in sys.argv
if not CHILD:
    WORKDIR = Path(tempfile.mkdtemp(prefix="bench-survey-import-"))
    ON_SERVER = bool(os.environ.get("DATABASE_URL"))
    if not ON_SERVER:
        os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(WORKDIR / "media")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from django.core.files.uploadedfile import UploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from organisations.models import Sector, User  # noqa: E402
from organisations.services import organisation_register  # noqa: E402
from surveys import imports  # noqa: E402
from surveys.models import Channel, ImportJob, Mode, Response, SamplingApproach  # noqa: E402
from surveys.services import SUGGESTED_GROUPS, SurveyInput, question_add, survey_create  # noqa: E402

DEFAULT_ROWS = 1_000_000
HUGE_ROWS = 10_000_000
BULK_CREATE_ROWS = int(os.environ.get("BENCH_BULK_ROWS", 100_000))
TARGET_VS_COPY = 1.5
TARGET_VS_BULK_CREATE = 10
TARGET_PEAK_MB = 1024
DRIVERS = ["Delivery", "Timeliness", "Information", "Professionalism", "Staff attitude"]
ANSWERS = ["Overall satisfaction", *DRIVERS, *(f"Importance of {d}" for d in DRIVERS)]
GROUPS = ["age_band", "disability", "ethnicity", "first_language"]


def set_up_database():
    if ON_SERVER:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_si_{os.getpid()}"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        call_command("migrate", verbosity=0)
    call_command("load_sectors", verbosity=0, stdout=io.StringIO())
    call_command("load_standard", verbosity=0, stdout=io.StringIO())


def tear_down_database(old_name):
    connection.close()
    if ON_SERVER:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    shutil.rmtree(WORKDIR, ignore_errors=True)


def bench_survey():
    user = User.objects.create_user(email="admin@bench.example", full_name="Bench Admin")
    organisation = organisation_register(
        user=user,
        name="Bench District Council",
        sector=Sector.objects.first(),
        region="london",
        legal_form="public",
        employee_count=800,
    )
    membership = user.memberships.get(organisation=organisation)
    data = SurveyInput(
        title="Bench survey",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        channels=list(Channel.values),
        sampling_approach=SamplingApproach.RANDOM,
        mode=Mode.MIXED,
        includes_importance=True,
        population=5_000_000,
        fieldwork_end=datetime.date(2026, 3, 31),
        invited_count=4_000_000,
        core_wording_confirmed=True,
        groups=GROUPS,
    )
    survey = survey_create(membership=membership, data=data)
    question_add(membership=membership, survey=survey, wording="Ease of contact", kind="scale")
    return membership, survey


def generated_rows(rows: int, seed: int = 1) -> pl.DataFrame:
    """Realistic answers: respondent id, date, channel, 6 + 5 + 1 answers, 4 groups."""
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 90, rows).astype("timedelta64[D]")
    columns = {
        "Respondent ID": pl.int_range(rows, eager=True).cast(pl.String).str.zfill(9),
        "Date": pl.Series(np.datetime64("2026-01-01") + days).dt.strftime("%d/%m/%Y"),
        "Channel": pl.Series([str(c.label) for c in Channel]).gather(rng.integers(0, 4, rows)),
    }
    for name in [*ANSWERS, "Ease of contact"]:
        columns[name] = rng.choice(5, rows, p=[0.05, 0.1, 0.15, 0.4, 0.3]) + 1
    for code in GROUPS:
        label, values = SUGGESTED_GROUPS[code]
        columns[str(label)] = pl.Series(values).gather(rng.integers(0, len(values), rows))
    return pl.DataFrame(columns)


def stored_format(frame: pl.DataFrame, survey, job) -> bytes:
    """The same rows as a CSV in `surveys_response`'s columns, for the plain COPY."""
    channel = {str(c.label): c.value for c in Channel}
    pieces = []
    for code in GROUPS:
        pieces += [pl.lit(f'"{code}":"'), pl.col(str(SUGGESTED_GROUPS[code][0])), pl.lit('"')]
    group_json = pl.concat_str(
        [
            pl.lit("{"),
            pl.concat_str(
                [pl.concat_str(pieces[n : n + 3]) for n in range(0, 12, 3)], separator=","
            ),
            pl.lit("}"),
        ]
    )
    out = frame.select(
        pl.lit(survey.pk).alias("survey_id"),
        pl.col("Respondent ID").alias("respondent_id"),
        pl.lit("import").alias("source"),
        pl.lit(job.pk).alias("import_job_id"),
        (pl.int_range(pl.len()) + 2).alias("row_number"),
        pl.col("Channel").replace_strict(channel).alias("channel"),
        pl.col("Date").str.to_date("%d/%m/%Y").alias("responded_on"),
        *(pl.col(a).alias(f"c{n}") for n, a in enumerate(ANSWERS)),
        pl.concat_str(
            [pl.lit('{"ease_of_contact":'), pl.col("Ease of contact"), pl.lit("}")]
        ).alias("extra"),
        group_json.alias("groups"),
    )
    return out.write_csv(include_header=False).encode()


COPY_COLUMNS = (
    "survey_id, respondent_id, source, import_job_id, row_number, channel, responded_on, "
    "overall, delivery, "
    "timeliness, information, professionalism, staff_attitude, importance_delivery, "
    "importance_timeliness, importance_information, importance_professionalism, "
    "importance_staff_attitude, extra, groups"
)


def time_plain_copy(payload: bytes) -> float:
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(f"COPY surveys_response ({COPY_COLUMNS}) FROM STDIN (FORMAT csv)") as copy:
            for at in range(0, len(payload), 8 * 1024 * 1024):
                copy.write(payload[at : at + 8 * 1024 * 1024])
    elapsed = time.perf_counter() - start
    empty_responses()
    return elapsed


def time_bulk_create(frame: pl.DataFrame, survey, job) -> float:
    channel = {str(c.label): c.value for c in Channel}
    fields = ["overall", *(d.lower().replace(" ", "_") for d in DRIVERS)]
    fields += [f"importance_{f}" for f in fields[1:]]
    groups = [str(SUGGESTED_GROUPS[code][0]) for code in GROUPS]
    objects = [
        Response(
            survey=survey,
            respondent_id=row["Respondent ID"],
            source="import",
            import_job=job,
            row_number=n + 2,
            channel=channel[row["Channel"]],
            responded_on=datetime.datetime.strptime(row["Date"], "%d/%m/%Y").date(),
            extra={"ease_of_contact": row["Ease of contact"]},
            groups={code: row[label] for code, label in zip(GROUPS, groups, strict=True)},
            **{f: row[a] for f, a in zip(fields, ANSWERS, strict=True)},
        )
        for n, row in enumerate(frame.head(BULK_CREATE_ROWS).iter_rows(named=True))
    ]
    start = time.perf_counter()
    with transaction.atomic():
        Response.objects.bulk_create(objects, batch_size=2_000)
    elapsed = time.perf_counter() - start
    empty_responses()
    return elapsed


def empty_responses():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveys_response")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE surveys_response")


def import_in_child(membership, survey, path: Path) -> tuple[float, float, ImportJob]:
    """(seconds of import_job_run, peak RSS in MB, the job) with the run in a child."""
    with path.open("rb") as handle:
        upload = UploadedFile(handle, name=path.name, size=path.stat().st_size)
        job = imports.import_job_create(membership=membership, survey=survey, upload=upload)
    ImportJob.objects.filter(pk=job.pk).update(
        mapping=imports.suggested_mapping(job), status=ImportJob.Status.PENDING
    )
    env = {**os.environ, "DATABASE_URL": database_url()}
    # Timed inside the child: Django's start-up is not part of an import.
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", str(job.pk)], env=env, stdout=subprocess.PIPE
    )
    output = child.stdout.read()
    _pid, status, _usage = os.wait4(child.pid, 0)
    elapsed, peak_mb = map(float, output.decode().strip().splitlines()[-1].split())
    if status:
        raise SystemExit("The import's child process failed.")
    job.refresh_from_db()
    if job.status != ImportJob.Status.DONE:
        raise SystemExit(f"The import did not finish: {job.status} {job.failure} {job.errors[:3]}")
    return elapsed, peak_mb, job


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path)


def verdict(ok):
    return "pass" if ok else "FAIL"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--huge", action="store_true")
    options = parser.parse_args()
    old_name = connection.settings_dict["NAME"]
    set_up_database()
    try:
        failed = measure(options.rows, options.huge)
    finally:
        tear_down_database(old_name)
    return 1 if failed else 0


def measure(rows: int, huge: bool) -> bool:
    membership, survey = bench_survey()
    frame = generated_rows(rows)
    path = WORKDIR / "results.csv"
    write_csv(frame, path)
    size_mb = path.stat().st_size / 1024 / 1024
    print(
        f"Survey import benchmark on {connection.vendor}: {rows:,} responses, "
        f"{size_mb:.0f} MB CSV, 12 answers and 4 customer groups each.\n"
    )
    # The baselines store the same rows, each linked to an import job as ours are.
    baseline = ImportJob.objects.create(
        survey=survey, uploaded_by=membership.user, original_name="baseline", sha256="-",
        file_format="csv", status=ImportJob.Status.FAILED,
    )  # fmt: skip
    copy_s = time_plain_copy(stored_format(frame, survey, baseline)) if ON_SERVER else None
    bulk_rows = min(rows, BULK_CREATE_ROWS)
    bulk_s = time_bulk_create(frame, survey, baseline) * rows / bulk_rows
    del frame
    import_s, peak_mb, job = import_in_child(membership, survey, path)
    stored = Response.objects.filter(survey=survey).count()
    failed = stored != rows
    print(
        "(a) plain COPY into surveys_response:    "
        + (f"{copy_s:7.2f} s" if copy_s else "   n/a (PostgreSQL only)")
    )
    print(
        f"(b) ORM bulk_create:                     {bulk_s:7.2f} s"
        + (f"  (timed on {bulk_rows:,} rows, scaled linearly)" if bulk_rows < rows else "")
    )
    print(
        f"(c) import_job_run (read, check, store, summarise): {import_s:7.2f} s, "
        f"{stored:,} rows stored, {rows / import_s:,.0f} rows/s\n"
    )
    if copy_s:
        ratio = import_s / copy_s
        ok = ratio <= TARGET_VS_COPY
        failed |= not ok
        print(
            f"import / plain COPY:    {ratio:5.2f}x   target <= {TARGET_VS_COPY}x   {verdict(ok)}"
        )
    speedup = bulk_s / import_s
    ok = speedup >= TARGET_VS_BULK_CREATE
    failed |= not ok
    print(
        f"bulk_create / import:  {speedup:5.1f}x   "
        f"target >= {TARGET_VS_BULK_CREATE}x    {verdict(ok)}"
    )
    ok = peak_mb < TARGET_PEAK_MB
    failed |= not ok
    print(f"import peak memory:   {peak_mb:6.0f} MB  target < {TARGET_PEAK_MB} MB  {verdict(ok)}")
    if huge:
        failed |= measure_huge(membership, survey, peak_mb)
    print(f"\nOverall: {'FAIL' if failed else 'pass'}")
    return failed


def measure_huge(membership, survey, peak_1m: float) -> bool:
    empty_responses()
    ImportJob.objects.all().update(status=ImportJob.Status.FAILED)
    path = WORKDIR / "huge.csv"
    # About 800 MB: over the default upload limit, which is not what this measures.
    settings.SURVEY_IMPORT_MAX_BYTES = 4 * 1024**3
    write_csv(generated_rows(HUGE_ROWS, seed=2), path)
    import_s, peak_mb, job = import_in_child(membership, survey, path)
    print(
        f"\n--huge: {HUGE_ROWS:,} rows ({path.stat().st_size / 1024 / 1024:.0f} MB) "
        f"imported in {import_s:.1f} s, peak memory {peak_mb:.0f} MB "
        f"({peak_mb / peak_1m:.2f}x the smaller file's)"
    )
    ok = peak_mb < TARGET_PEAK_MB and job.stored_rows == HUGE_ROWS
    print(f"huge import peak memory < {TARGET_PEAK_MB} MB, every row stored: {verdict(ok)}")
    return not ok


def child(job_id: int) -> int:
    start = time.perf_counter()
    imports.import_job_run(job_id=job_id)
    print(f"{time.perf_counter() - start:.3f} {own_peak_mb():.1f}")
    return 0


def own_peak_mb() -> float:
    """This process's RSS high-water mark. Linux's VmHWM belongs to the program after
    exec; ru_maxrss also counts the parent's memory the child was forked (or vforked)
    with, which here is the generated rows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    if CHILD:
        sys.exit(child(int(sys.argv[sys.argv.index("--child") + 1])))
    sys.exit(main())
