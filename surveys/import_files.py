"""Survey results files as they are read: what an upload is (CSV or XLSX, its encoding
and delimiter), whether its first row names every column once, whether a workbook has
one sheet of plain values (no merged header, no formulas), the few rows shown as a
preview, and the data rows read in chunks (blocks of whole CSV records, batches of XLSX
rows) as polars frames of text. Used by `imports` and `import_checks`; it imports
neither, so there is no cycle.
"""

import codecs
import csv
import datetime
import io
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import polars as pl
from django.core.exceptions import ValidationError
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import ImportJob

PREVIEW_ROWS = 5
CHUNK_ROWS = 100_000
READ_BLOCK = 1024 * 1024
CSV_BLOCK_BYTES = 8 * 1024 * 1024  # about 100,000 rows of a typical file
DELIMITERS = ",;\t|"
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW = "__row"


# Inspecting an upload ---------------------------------------------------------------------


@dataclass
class _Inspected:
    file_format: str
    columns: list[str]
    preview: list[list[str]]
    encoding: str = ""
    delimiter: str = ""


def inspect(handle) -> _Inspected:
    head = handle.read(8)
    handle.seek(0)
    if head.startswith(ZIP_SIGNATURE):
        return _inspect_xlsx(handle)
    if head.startswith(OLE_SIGNATURE):
        raise _not_accepted(_("an older Excel workbook (.xls); save it as .xlsx or CSV"))
    return _inspect_csv(handle)


def _not_accepted(what: str) -> ValidationError:
    return ValidationError(
        _("The file is not a CSV file or an Excel workbook (.xlsx): it looks like %(what)s.")
        % {"what": what},
        code="not_accepted",
    )


# CSV ------------------------------------------------------------------------------------


def _inspect_csv(handle) -> _Inspected:
    encoding = _detect_encoding(handle)
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    sample = text.read(64 * 1024)
    delimiter = _detect_delimiter(sample)
    text.seek(0)
    rows = csv.reader(text, delimiter=delimiter)
    header = next(rows, None)
    columns = _checked_header(header)
    preview = []
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        preview.append(_fit(row, len(columns)))
        if len(preview) == PREVIEW_ROWS:
            break
    text.detach()
    return _Inspected("csv", columns, preview, _encoding_name(encoding), delimiter)


def _detect_encoding(handle) -> str:
    """UTF-8 (with or without a byte order mark) if the whole file decodes as UTF-8,
    else Windows-1252 (what Excel on Windows saves as "CSV")."""
    first = handle.read(READ_BLOCK)
    if b"\x00" in first or first.startswith(b"%PDF"):
        raise _not_accepted(_("a document or program rather than text"))
    if first.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for block in iter(lambda: handle.read(READ_BLOCK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _not_accepted(_("text in an encoding other than UTF-8 or Windows-1252"))


def _encoding_name(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252"}[encoding]


def _detect_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=first_line.count) if first_line else ","


def _checked_header(header: list | None) -> list[str]:
    if header is None or not any(str(c or "").strip() for c in header):
        raise ValidationError(
            _("The first row must hold the column names, but it is empty."), code="no_header"
        )
    columns = [str(c).strip() if c is not None else "" for c in header]
    while columns and not columns[-1]:
        columns.pop()
    blank = [_column_letter(n) for n, name in enumerate(columns) if not name]
    if blank:
        raise ValidationError(
            ngettext(
                "Column %(columns)s has no name in the first row. Give every column a name.",
                "Columns %(columns)s have no name in the first row. Give every column a name.",
                len(blank),
            )
            % {"columns": get_text_list(blank, _("and"))},
            code="blank_column",
        )
    seen, repeated = set(), []
    for name in columns:
        if name.casefold() in seen and name not in repeated:
            repeated.append(name)
        seen.add(name.casefold())
    if repeated:
        raise ValidationError(
            _("More than one column is called %(names)s. Give every column its own name.")
            % {"names": get_text_list([f"“{n}”" for n in repeated], _("and"))},
            code="duplicate_column",
        )
    return columns


def _fit(row: list, width: int) -> list[str]:
    cells = ["" if c is None else str(c) for c in row[:width]]
    return cells + [""] * (width - len(cells))


def _column_letter(index: int) -> str:
    return openpyxl.utils.get_column_letter(index + 1)


# XLSX -----------------------------------------------------------------------------------


def _inspect_xlsx(handle) -> _Inspected:
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise _not_accepted(_("a ZIP archive or another kind of office document")) from None
    try:
        sheet = _only_sheet_with_data(workbook)
        _refuse_merged_header_and_formulas(handle, sheet)
        rows = sheet.iter_rows(values_only=True)
        columns = _checked_header(next(rows, None))
        preview = []
        for row in rows:
            if any(cell is not None and str(cell).strip() for cell in row):
                preview.append(_fit([_cell_text(c) for c in row], len(columns)))
            if len(preview) == PREVIEW_ROWS:
                break
    finally:
        workbook.close()
    return _Inspected("xlsx", columns, preview)


def _only_sheet_with_data(workbook):
    with_data = [s for s in workbook.worksheets if _has_data(s)]
    if not with_data:
        raise ValidationError(_("The workbook has no data in any sheet."), code="empty")
    if len(with_data) > 1:
        names = get_text_list([f"“{s.title}”" for s in with_data], _("and"))
        raise ValidationError(
            _(
                "The workbook has data in %(count)s sheets: %(names)s. Keep only the sheet "
                "with the survey results (one row per respondent, column names in the first "
                "row), delete the others, and upload it again."
            )
            % {"count": len(with_data), "names": names},
            code="several_sheets",
        )
    return with_data[0]


def _has_data(sheet) -> bool:
    return any(
        cell is not None and str(cell).strip()
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )


def _refuse_merged_header_and_formulas(handle, sheet) -> None:
    """One streaming pass over the sheet's XML: openpyxl's read-only mode does not
    report merged cells, and reading the XML finds formulas without loading values."""
    handle.seek(0)
    with zipfile.ZipFile(handle) as archive, archive.open(sheet._worksheet_path) as xml:
        for _event, element in ElementTree.iterparse(xml):
            if element.tag == f"{SHEET_NS}c":
                formula = element.find(f"{SHEET_NS}f")
                if formula is not None:
                    raise ValidationError(
                        _(
                            "Cell %(cell)s holds a formula (=%(formula)s); save the sheet as "
                            "values (copy it and paste as values only) and upload it again."
                        )
                        % {"cell": element.get("r"), "formula": (formula.text or "")[:60]},
                        code="formula",
                    )
                element.clear()
            elif element.tag == f"{SHEET_NS}mergeCell":
                cells = element.get("ref", "")
                if re.fullmatch(r"[A-Z]+1(:[A-Z]+\d+)?", cells):
                    raise ValidationError(
                        _(
                            "Cells %(cells)s of the first row are merged. Unmerge them so "
                            "that every column has its own name."
                        )
                        % {"cells": cells},
                        code="merged_header",
                    )


def _cell_text(value) -> str | None:
    """A cell as the text a CSV would hold: whole numbers without ".0", dates in ISO."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# Reading chunks ------------------------------------------------------------------------


def chunks(job: ImportJob, workdir: str, report: Callable[[int], None]) -> Iterator[pl.DataFrame]:
    """The file's data rows as frames of text (stripped, empty as null) with their file
    row number in ROW, progress reported (to `report`) up to 90 as they are read."""
    local = _local_copy(job, workdir)
    expected = max(_estimated_rows(job, local), 1)
    seen = 0
    source = _xlsx_chunks(job, local) if job.file_format == "xlsx" else _csv_chunks(job, local)
    for frame in source:
        seen += frame.height
        yield _cleaned(frame)
        report(min(90, 90 * seen // expected))


def _local_copy(job: ImportJob, workdir: str) -> Path:
    """A path polars can read: the stored file itself, or a copy (UTF-8 for
    Windows-1252 files, since polars reads UTF-8 only)."""
    if job.file_format == "csv" and job.encoding == "Windows-1252":
        target = Path(workdir) / "utf8.csv"
        with job.file.open("rb") as raw, target.open("w", encoding="utf-8", newline="") as out:
            shutil.copyfileobj(io.TextIOWrapper(raw, encoding="cp1252", newline=""), out)
        return target
    try:
        return Path(job.file.path)
    except NotImplementedError:  # storage without local files
        target = Path(workdir) / "upload"
        with job.file.open("rb") as raw, target.open("wb") as out:
            shutil.copyfileobj(raw, out)
        return target


def _estimated_rows(job: ImportJob, path: Path) -> int:
    if job.file_format == "xlsx":
        return max(job.size // 60, 1)  # rough: progress only
    lines = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(READ_BLOCK * 8), b""):
            lines += block.count(b"\n")
    return lines


def _csv_chunks(job: ImportJob, path: Path) -> Iterator[pl.DataFrame]:
    """Blocks of whole records parsed by polars one at a time, so memory stays the same
    whatever the file's size (polars' own streaming reader reads ahead without limit)."""
    wanted = sorted(set(job.mapping.values()), key=job.columns.index)
    row = 2
    for block in _record_blocks(path):
        frame = pl.read_csv(
            block,
            has_header=False,
            schema=dict.fromkeys(job.columns, pl.String),
            separator=job.delimiter or ",",
            truncate_ragged_lines=True,
        ).select(wanted)
        yield frame.with_row_index(ROW, offset=row)
        row += frame.height


def _record_blocks(path: Path) -> Iterator[bytes]:
    """The file after its header, in blocks that end at the end of a record: at a line
    end preceded by an even number of quote characters (a quoted value may hold line
    ends; an escaped quote is two quotes, which keeps the count even)."""
    carry, header_done = b"", False
    with path.open("rb") as handle:
        for data in iter(lambda: handle.read(CSV_BLOCK_BYTES), b""):
            buffer = carry + data
            if not header_done:
                buffer = buffer.removeprefix(codecs.BOM_UTF8)
                end = _record_end(buffer, last=False)
                if end is None:
                    carry = buffer
                    continue
                buffer, header_done = buffer[end:], True
            end = _record_end(buffer, last=True)
            if end is None:
                carry = buffer
                continue
            carry = buffer[end:]
            yield buffer[:end]
    if header_done and carry.strip():
        yield carry


def _record_end(buffer: bytes, *, last: bool) -> int | None:
    quotes = buffer.count(b'"') if last else 0
    position = len(buffer) if last else -1
    while True:
        position = buffer.rfind(b"\n", 0, position) if last else buffer.find(b"\n", position + 1)
        if position < 0:
            return None
        before = quotes - buffer.count(b'"', position) if last else buffer.count(b'"', 0, position)
        if before % 2 == 0:
            return position + 1


def _xlsx_chunks(job: ImportJob, path: Path) -> Iterator[pl.DataFrame]:
    # A file object, not a path: openpyxl judges a path by its extension.
    handle = path.open("rb")
    workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    try:
        sheet = next(s for s in workbook.worksheets if _has_data(s))
        rows = sheet.iter_rows(values_only=True)
        header = _checked_header(next(rows))
        wanted = {name: header.index(name) for name in set(job.mapping.values())}
        schema = {ROW: pl.Int64, **dict.fromkeys(wanted, pl.String)}
        buffer: list[list] = []
        for number, row in enumerate(rows, start=2):
            cells = [_cell_text(row[i]) if i < len(row) else None for i in wanted.values()]
            buffer.append([number, *cells])
            if len(buffer) == CHUNK_ROWS:
                yield pl.DataFrame(buffer, schema=schema, orient="row")
                buffer = []
        if buffer:
            yield pl.DataFrame(buffer, schema=schema, orient="row")
    finally:
        workbook.close()
        handle.close()


def _cleaned(frame: pl.DataFrame) -> pl.DataFrame:
    text = [c for c in frame.columns if c != ROW]
    frame = frame.with_columns(
        pl.col(ROW).cast(pl.Int64),
        *(pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c) for c in text),
    )
    # Rows with nothing in any matched column are blank lines, not respondents.
    if text:
        frame = frame.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in text))
    return frame
