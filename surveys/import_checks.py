"""Checking and storing the chunks of a survey results file: the plan that says how each
matched column is checked and what it becomes in `Response` (with the value builders
for each kind of field), the log of every error found, duplicate respondent ids (within
a chunk, and against what is already stored), and loading the rows (COPY on PostgreSQL,
batched inserts elsewhere). Used by `imports`, which runs it inside the job's
transaction, on the frames `import_files` reads; it does not import `imports`.
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from common.csvsafe import neutralise as spreadsheet_safe

from .import_files import ROW, SHAPE
from .models import (
    IMPORTANCE_COLUMNS,
    SCALE_MAX,
    SCALE_MIN,
    Channel,
    ImportJob,
    Response,
    Survey,
    SurveyQuestion,
)

KEPT_ERRORS = 1000
KEPT_VALUE_CHARS = 200
RESPONDENT_ID_MAX = Response._meta.get_field("respondent_id").max_length
# English and Welsh answers (ie/na; oes/nac oes; do/naddo) both count.
YES_NO = {
    **{word: 1 for word in ("yes", "y", "true", "1", "ie", "oes", "do")},
    **{word: 0 for word in ("no", "n", "false", "0", "na", "nac oes", "naddo")},
}


# Checking ------------------------------------------------------------------------------


@dataclass
class _Check:
    column: str  # the file's column, as the person named it
    order: int  # its position in the file, to list a row's errors left to right
    bad: pl.Expr
    reason: str


@dataclass
class Plan:
    """How each matched column is checked and what it becomes in `Response`."""

    survey: Survey
    job: ImportJob
    id_column: str
    values: dict[str, pl.Expr]
    checks: list[_Check]
    earlier_uploads: dict[int | None, str]

    @classmethod
    def build(cls, job: ImportJob, survey: Survey, fields: list) -> "Plan":
        """`fields`: the survey's `imports.import_fields`."""
        order = {c: n for n, c in enumerate(job.columns)}
        plan = cls(
            survey=survey,
            job=job,
            id_column=job.mapping["respondent_id"],
            values={c: pl.lit(None, dtype=pl.Int16) for c in SCORE_ALL},
            checks=[],
            earlier_uploads=dict(
                survey.import_jobs.filter(status=ImportJob.Status.DONE).values_list(
                    "pk", "original_name"
                )
            ),
        )
        plan.values.update(
            respondent_id=pl.col(plan.id_column),
            responded_on=pl.lit(None, dtype=pl.Date),
            channel=pl.lit(survey.channels[0] if len(survey.channels) == 1 else ""),
            site_id=pl.lit(None, dtype=pl.Int64),
        )
        extra, groups = [], []
        for f in fields:
            column = job.mapping.get(f.key)
            if column is None:
                continue
            add = lambda bad, reason, column=column: plan.checks.append(  # noqa: E731
                _Check(column, order[column], bad, reason)
            )
            value = _VALUE_BUILDERS[f.kind](plan, f, pl.col(column), add)
            if f.key.startswith("q:"):
                extra.append(_json_pair(f.key[2:], value.cast(pl.String)))
            elif f.key.startswith("g:"):
                groups.append(_json_pair(f.key[2:], value))
            elif value is not None:
                plan.values[_TARGET.get(f.kind, f.key)] = value
        plan.values["extra"] = _json_object(extra)
        plan.values["groups"] = _json_object(groups)
        return plan


SCORE_ALL = [
    "overall",
    "delivery",
    "timeliness",
    "information",
    "professionalism",
    "staff_attitude",
    *IMPORTANCE_COLUMNS,
]
_TARGET = {"date": "responded_on", "channel": "channel", "site": "site_id"}


def _respondent(plan, f, col, add):
    add(col.is_null(), _("Missing respondent ID."))
    add(
        col.str.len_chars() > RESPONDENT_ID_MAX,
        _("The respondent ID is longer than %(max)s characters.") % {"max": RESPONDENT_ID_MAX},
    )
    return None  # the respondent id is kept as it is


def _date(plan, f, col, add):
    parsed = pl.coalesce(
        col.str.to_date("%Y-%m-%d", strict=False), col.str.to_date("%d/%m/%Y", strict=False)
    )
    add(
        col.is_not_null() & parsed.is_null(), _("Not a date: write it as 2026-03-31 or 31/03/2026.")
    )
    return parsed


def _whole_number(plan, f, col, add, *, required=False):
    number = col.cast(pl.Int64, strict=False)
    on_scale = number.is_between(SCALE_MIN, SCALE_MAX).fill_null(False)
    add(
        col.is_not_null() & ~on_scale,
        _("Not a whole number from %(min)s to %(max)s.") % {"min": SCALE_MIN, "max": SCALE_MAX},
    )
    if required:
        add(col.is_null(), _("Missing answer to a required core question."))
    return pl.when(on_scale).then(number).cast(pl.Int16)


def _score(plan, f, col, add):
    return _whole_number(plan, f, col, add, required=f.required)


def _yes_no(plan, f, col, add):
    answer = col.str.to_lowercase().replace_strict(YES_NO, default=None, return_dtype=pl.Int16)
    add(col.is_not_null() & answer.is_null(), _("Not yes or no."))
    return answer


def _lookup(col, add, allowed: dict, reason: str, dtype):
    value = col.str.to_lowercase().replace_strict(allowed, default=None, return_dtype=dtype)
    add(col.is_not_null() & value.is_null(), reason)
    return value


def _channel(plan, f, col, add):
    allowed = {}
    for code in plan.survey.channels:
        allowed[code.casefold()] = code
        allowed[str(Channel(code).label).casefold()] = code
    names = get_text_list([f"“{c}”" for c in f.choices], _("or"))
    value = _lookup(
        col, add, allowed, _("Unknown channel: use %(names)s.") % {"names": names}, pl.String
    )
    default = plan.survey.channels[0] if len(plan.survey.channels) == 1 else ""
    return value.fill_null(default)


def _site(plan, f, col, add):
    sites = plan.survey.organisation.sites.values_list("name", "pk")
    allowed = {name.casefold(): pk for name, pk in sites}
    names = get_text_list([f"“{c}”" for c in f.choices], _("or")) or _("(no sites recorded)")
    return _lookup(
        col, add, allowed, _("Unknown site: use %(names)s.") % {"names": names}, pl.Int64
    )


def _group(plan, f, col, add):
    # Stored as the attribute's own spelling, already encoded as JSON.
    allowed = {str(v).casefold(): json.dumps(str(v)) for v in f.choices}
    names = get_text_list([f"“{c}”" for c in f.choices], _("or"))
    reason = _("Not one of the answers for %(label)s: use %(names)s.") % {
        "label": f.label,
        "names": names,
    }
    return _lookup(col, add, allowed, reason, pl.String)


_VALUE_BUILDERS = {
    "respondent_id": _respondent,
    "date": _date,
    "channel": _channel,
    "site": _site,
    "score": _score,
    SurveyQuestion.Kind.SCALE: _whole_number,
    SurveyQuestion.Kind.YES_NO: _yes_no,
    "group": _group,
}


def _json_pair(code: str, encoded: pl.Expr) -> pl.Expr:
    # Null when there is no answer, so the key is left out.
    return pl.concat_str([pl.lit(f"{json.dumps(code)}:"), encoded])


def _json_object(pairs: list[pl.Expr]) -> pl.Expr:
    if not pairs:
        return pl.lit("{}")
    inner = pl.concat_str(pairs, separator=",", ignore_nulls=True).fill_null("")
    return pl.concat_str([pl.lit("{"), inner, pl.lit("}")])


class ErrorLog:
    """Every error to a CSV file; the first KEPT_ERRORS also in memory for the job."""

    def __init__(self, path: Path):
        self.path, self.count, self.kept = path, 0, []
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow([_("Row"), _("Column"), _("Value"), _("Reason")])

    def add(self, frame: pl.DataFrame) -> None:
        for row, column, value, reason in frame.select(
            ROW, "column", "value", "reason"
        ).iter_rows():
            self.count += 1
            if len(self.kept) < KEPT_ERRORS:
                # The job keeps the start of a long value; the file keeps all of it.
                kept_value = (value or "")[:KEPT_VALUE_CHARS]
                self.kept.append(
                    {"row": row, "column": column, "value": kept_value, "reason": reason}
                )
            self.writer.writerow([row, spreadsheet_safe(column), spreadsheet_safe(value), reason])

    def close(self) -> None:
        if not self.handle.closed:
            self.handle.close()


def _chunk_errors(plan: Plan, frame: pl.DataFrame) -> list[pl.DataFrame]:
    masks = frame.select(*(c.bad.alias(str(n)) for n, c in enumerate(plan.checks)))
    found = _shape_errors(frame)
    for n, check in enumerate(plan.checks):
        mask = masks.get_column(str(n))
        if mask.any():
            found.append(
                frame.filter(mask).select(
                    pl.col(ROW),
                    pl.lit(check.order).alias("order"),
                    pl.lit(check.column).alias("column"),
                    pl.col(check.column).alias("value"),
                    pl.lit(check.reason).alias("reason"),
                )
            )
    return found


def _shape_errors(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """A row with more or fewer fields than columns: one error for the whole row."""
    if SHAPE not in frame.columns or frame.get_column(SHAPE).is_null().all():
        return []
    return [
        frame.filter(pl.col(SHAPE).is_not_null()).select(
            pl.col(ROW),
            pl.lit(-1, dtype=pl.Int32).alias("order"),
            pl.lit("").alias("column"),
            pl.lit("").alias("value"),
            pl.col(SHAPE).alias("reason"),
        )
    ]


# Duplicates ----------------------------------------------------------------------------


def _repeated_in_chunk(plan: Plan, frame: pl.DataFrame):
    """(rows with a usable respondent id seen first here, errors for ids repeated within
    the chunk)."""
    rid = pl.col(plan.id_column)
    usable = frame.filter(rid.is_not_null() & (rid.str.len_chars() <= RESPONDENT_ID_MAX))
    usable = usable.with_columns(pl.col(ROW).min().over(plan.id_column).alias("__first"))
    repeated = usable.filter(pl.col(ROW) != pl.col("__first"))
    if not repeated.height:
        return usable, []
    reasons = [
        _("Duplicate respondent ID: the same ID is on row %(row)s.") % {"row": first}
        for first in repeated.get_column("__first")
    ]
    first = usable.filter(pl.col(ROW) == pl.col("__first"))
    return first, [_duplicate_errors(plan, repeated, reasons)]


def _already_stored(plan: Plan, rows: pl.DataFrame):
    """(rows whose respondent id is not stored yet, errors for those that are: from an
    earlier upload, or from an earlier chunk of this file)."""
    rid = pl.col(plan.id_column)
    stored = _stored_ids(plan, rows.get_column(plan.id_column).to_list())
    seen = rows.filter(rid.is_in(list(stored)))
    reasons = [_earlier_reason(plan, *stored[r]) for r in seen.get_column(plan.id_column)]
    return rows.filter(~rid.is_in(list(stored))), [_duplicate_errors(plan, seen, reasons)]


def _earlier_reason(plan: Plan, row_number: int | None, job_id: int | None) -> str:
    if job_id == plan.job.pk:
        return _("Duplicate respondent ID: the same ID is on row %(row)s.") % {"row": row_number}
    if job_id is None:
        return _("This respondent ID is already stored in this survey (from the hosted form).")
    return _(
        "This respondent ID is already stored in this survey, from an earlier upload (“%(name)s”)."
    ) % {"name": plan.earlier_uploads.get(job_id, _("an earlier file"))}


def _duplicate_errors(plan: Plan, rows: pl.DataFrame, reasons: list[str]) -> pl.DataFrame:
    return rows.select(
        pl.col(ROW),
        pl.lit(plan.job.columns.index(plan.id_column)).alias("order"),
        pl.lit(plan.id_column).alias("column"),
        pl.col(plan.id_column).alias("value"),
        pl.Series("reason", reasons, dtype=pl.String),
    )


def _stored_ids(plan: Plan, ids: list[str]) -> dict[str, tuple[int | None, int | None]]:
    """The ids among `ids` already in the survey, including rows this run has loaded
    (same transaction), found through the unique index."""
    if not ids:
        return {}
    table = connection.ops.quote_name(Response._meta.db_table)
    select = f"SELECT respondent_id, row_number, import_job_id FROM {table} WHERE survey_id = %s"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{select} AND respondent_id = ANY(%s)", [plan.survey.pk, ids])
        else:
            cursor.execute(
                f"{select} AND respondent_id IN (SELECT value FROM json_each(%s))",
                [plan.survey.pk, json.dumps(ids)],
            )
        return {respondent: (row, job) for respondent, row, job in cursor.fetchall()}


# Storing -------------------------------------------------------------------------------


STORED_COLUMNS = [
    "survey_id",
    "respondent_id",
    "source",
    "import_job_id",
    "row_number",
    "channel",
    "site_id",
    "responded_on",
    *SCORE_ALL,
    "extra",
    "groups",
]


def store_chunks(job: ImportJob, plan: Plan, chunks, errors: ErrorLog) -> int:
    """Check every chunk and load its rows; returns the number of data rows. Rows are
    loaded even after errors are found (with bad cells empty) so that later chunks'
    respondent ids are still checked against them; the caller then rolls back."""
    total = 0
    for frame in chunks:
        total += frame.height
        found = _chunk_errors(plan, frame)
        rows, repeated = _repeated_in_chunk(plan, frame)
        found += repeated
        try:
            # Optimistic: the unique index finds an id stored before. Only a chunk that
            # clashes is undone (savepoint) and loaded again without the stored ids.
            with transaction.atomic():
                _load(_stored_frame(plan, rows))
        except IntegrityError:
            rows, stored = _already_stored(plan, rows)
            found += stored
            _load(_stored_frame(plan, rows))
        if found:
            errors.add(pl.concat(found).sort(ROW, "order", maintain_order=True))
    return total


def _stored_frame(plan: Plan, rows: pl.DataFrame) -> pl.DataFrame:
    fixed = {
        "survey_id": pl.lit(plan.survey.pk),
        "source": pl.lit(Response.Source.IMPORT),
        "import_job_id": pl.lit(plan.job.pk),
        "row_number": pl.col(ROW),
    }
    return rows.select(
        *((fixed.get(c) if c in fixed else plan.values[c]).alias(c) for c in STORED_COLUMNS)
    )


def _load(frame: pl.DataFrame) -> None:
    if not frame.height:
        return
    table = connection.ops.quote_name(Response._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in STORED_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY bypasses Django's cursor wrapper: its errors are wrapped here instead.
            with (
                connection.wrap_database_errors,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT csv)") as copy,
            ):
                copy.write(frame.write_csv(include_header=False))
            return
        frame = frame.with_columns(pl.col("responded_on").dt.to_string("%Y-%m-%d"))
        placeholders = ", ".join(["%s"] * len(STORED_COLUMNS))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})", frame.iter_rows()
        )
