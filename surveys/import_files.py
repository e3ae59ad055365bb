"""Survey results files as they are read, always within the upload limits
(`common.uploads`): what an upload is (CSV or XLSX, its encoding and delimiter), whether
its first row names every column once, whether a workbook has one sheet of plain values
(no merged header, no formulas), the few rows shown as a preview, and the data rows read
in chunks (blocks of whole CSV records, batches of XLSX rows) as polars frames of text.

`sniff` is all the web request does: a bounded look at the start of a CSV file or at a
workbook's directory. `inspect` reads the whole file, in the worker. Used by `imports`
and `import_checks`; it imports neither, so there is no cycle.
"""

import codecs
import csv
import datetime
import io
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import polars as pl
from django.core.exceptions import ValidationError
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.uploads import UploadLimits, checked_archive, count, megabytes, upload_limits

from . import import_xlsx
from .models import ImportJob

PREVIEW_ROWS = 5
CHUNK_ROWS = 100_000
READ_BLOCK = 1024 * 1024
CSV_BLOCK_BYTES = 8 * 1024 * 1024  # about 100,000 rows of a typical file
DELIMITERS = ",;\t|"
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
ROW = "__row"
SHAPE = "__shape"  # why a CSV record has the wrong number of fields, else null
CONTROL_CHARACTERS = {chr(n) for n in range(32)} - {"\t"}


# Sniffing an upload (in the web request) -----------------------------------------------


def sniff(handle) -> str:
    """ "csv" or "xlsx", from a bounded look: the start of a text file and its column
    names, or a workbook's directory. Raises ValidationError if it cannot be imported."""
    head = handle.read(8)
    handle.seek(0)
    if head.startswith(ZIP_SIGNATURE):
        _open_workbook(handle).close()
        return "xlsx"
    if head.startswith(OLE_SIGNATURE):
        raise _not_accepted(_("an older Excel workbook (.xls); save it as .xlsx or CSV"))
    first = handle.read(READ_BLOCK)
    handle.seek(0)
    _refuse_binary(first, line_offset=0)
    _checked_header(_first_record(_sample_text(first), complete=len(first) < READ_BLOCK))
    return "csv"


def _sample_text(block: bytes) -> str:
    """The start of the file as text: as UTF-8 if it is (a character may be cut at the
    end), else as Windows-1252. The worker settles the encoding on the whole file."""
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(block, final=False)
    except UnicodeDecodeError:
        return block.decode("cp1252", errors="replace")


def _open_workbook(handle) -> zipfile.ZipFile:
    try:
        return checked_archive(handle, part_label=_part_label)
    except zipfile.BadZipFile:
        raise _not_accepted(_("a ZIP archive or another kind of office document")) from None


def _part_label(name: str) -> str | None:
    return _("A sheet of the workbook") if name.startswith("xl/worksheets/") else None


def _refuse_binary(block: bytes, *, line_offset: int) -> None:
    if line_offset == 0 and (block.startswith(UTF16_BOMS) or _looks_utf16(block)):
        raise ValidationError(
            _(
                "The file is text in UTF-16. Save it as “CSV UTF-8 (comma delimited)” and "
                "upload it again."
            ),
            code="utf16",
        )
    if line_offset == 0 and block.startswith(b"%PDF"):
        raise _not_accepted(_("a document or program rather than text"))
    at = block.find(b"\x00")
    if at >= 0:
        line = line_offset + block.count(b"\n", 0, at) + 1
        raise ValidationError(
            _(
                "Line %(line)s of the file holds a NUL character, which text never does: "
                "save the results as CSV or .xlsx again."
            )
            % {"line": count(line)},
            code="nul",
        )


def _looks_utf16(block: bytes) -> bool:
    """ASCII text saved as UTF-16 without a byte order mark: every other byte is NUL."""
    sample = block[:1024]
    return len(sample) >= 4 and (
        sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4
    )


def _first_record(text: str, *, complete: bool) -> list[str]:
    """The first record of a block of CSV text, refused if it has too many fields or if
    the block holds no end to it."""
    limits = upload_limits()
    delimiter = _detect_delimiter(text[: 64 * 1024])
    buffer = io.StringIO(text)
    reader = csv.reader(buffer, delimiter=delimiter)
    try:
        record = next(reader, [])
    except csv.Error:
        raise _header_too_long() from None
    if len(record) > limits.columns:
        raise import_xlsx.too_many_columns(limits)
    if not complete and buffer.tell() >= len(text):
        raise _header_too_long()
    return record


def _header_too_long() -> ValidationError:
    return ValidationError(
        _("The first row, which should hold the column names, is longer than %(limit)s MB.")
        % {"limit": megabytes(READ_BLOCK)},
        code="header_too_long",
    )


def _not_accepted(what: str) -> ValidationError:
    return ValidationError(
        _("The file is not a CSV file or an Excel workbook (.xlsx): it looks like %(what)s.")
        % {"what": what},
        code="not_accepted",
    )


# Inspecting an upload (in the worker) ----------------------------------------------------


@dataclass
class _Inspected:
    file_format: str
    columns: list[str]
    preview: list[list[str]]
    encoding: str = ""
    delimiter: str = ""


def inspect(handle, report: Callable[[float], None] = lambda done: None) -> _Inspected:
    """The whole file read within the limits; `report` follows progress (0 to 1)."""
    if sniff(handle) == "xlsx":
        return _inspect_xlsx(handle, report)
    return _inspect_csv(handle, report)


def _stored_preview(rows: list[list], width: int) -> list[list[str]]:
    """What the job keeps of the first rows: bounded, and text a database can hold."""
    limit = upload_limits().preview_chars
    return [[cell.replace("\x00", "")[:limit] for cell in _fit(row, width)] for row in rows]


# CSV ------------------------------------------------------------------------------------


def _inspect_csv(handle, report) -> _Inspected:
    limits = upload_limits()
    encoding = _detect_encoding(handle, lambda done: report(done / 2))
    size = handle.seek(0, 2)
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    delimiter = _detect_delimiter(text.read(64 * 1024))
    text.seek(0)
    lines = _BoundedLines(text, limits)
    rows = csv.reader(lines, delimiter=delimiter)
    columns = _checked_header(_next_record(rows, 1, limits))
    preview, number = [], 1
    while (row := _next_record(rows, number + 1, limits)) is not None:
        number += 1
        if number > limits.rows + 1:
            raise ValidationError(
                _("The file has more than %(limit)s rows.") % {"limit": count(limits.rows)},
                code="too_many_rows",
            )
        if len(preview) < PREVIEW_ROWS and any(cell.strip() for cell in row):
            preview.append(row)
        if number % 10_000 == 0:
            report(0.5 + min(lines.chars / max(size, 1), 1) / 2)
    text.detach()
    return _Inspected(
        "csv", columns, _stored_preview(preview, len(columns)), _encoding_name(encoding), delimiter
    )


class _BoundedLines:
    """The lines of a text, each read no further than the longest row allowed."""

    def __init__(self, text, limits: UploadLimits):
        self.text, self.limit, self.chars, self.line = text, limits.row_chars, 0, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit + 1)
        if not line:
            raise StopIteration
        self.line += 1
        if len(line) > self.limit:
            raise ValidationError(
                _("Line %(line)s of the file is longer than %(limit)s characters.")
                % {"line": count(self.line), "limit": count(self.limit)},
                code="row_too_long",
            )
        self.chars += len(line)
        return line


def _next_record(rows, number: int, limits: UploadLimits) -> list[str] | None:
    try:
        row = next(rows, None)
    except csv.Error:  # the only one left: a field over the csv module's own limit
        row = None
        longest = csv.field_size_limit()
    else:
        longest = max(map(len, row), default=0) if row is not None else 0
    # A record may run over many lines (line breaks in quotes): its fields are bounded too.
    if row is not None and len(row) > limits.columns:
        raise import_xlsx.too_many_columns(limits)
    if longest > limits.cell_chars:
        raise ValidationError(
            _("Row %(row)s has a field longer than %(limit)s characters.")
            % {"row": count(number), "limit": count(limits.cell_chars)},
            code="field_too_long",
        )
    return row


def _detect_encoding(handle, report) -> str:
    """UTF-8 (with or without a byte order mark) if the whole file decodes as UTF-8,
    else Windows-1252 (what Excel on Windows saves as "CSV")."""
    first = handle.read(READ_BLOCK)
    if first.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "cp1252"]
    size = max(handle.seek(0, 2), 1)
    for encoding in candidates:
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        lines, done = 0, 0
        try:
            for block in iter(lambda: handle.read(READ_BLOCK), b""):
                _refuse_binary(block, line_offset=lines)
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as error:
                    lines += block.count(b"\n", 0, max(error.start, 0))
                    raise
                lines += block.count(b"\n")
                done += len(block)
                report(done / size)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ValidationError(
        _(
            "Line %(line)s of the file has characters that are neither UTF-8 nor "
            "Windows-1252. Save the results as “CSV UTF-8 (comma delimited)” and upload "
            "them again."
        )
        % {"line": count(lines + 1)},
        code="encoding",
    )


def _encoding_name(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "cp1252": "Windows-1252"}[encoding]


# The sniffer's quote pattern takes time quadratic in what it reads (20 s for 64K of `,"`
# repeated): it reads the file's first few lines only.
SNIFF_CHARS = 4 * 1024


def _detect_delimiter(sample: str) -> str:
    sample = sample[:SNIFF_CHARS]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=first_line.count) if first_line else ","


def _checked_header(header: list | None) -> list[str]:
    limits = upload_limits()
    if header is None or not any(str(c or "").strip() for c in header):
        raise ValidationError(
            _("The first row must hold the column names, but it is empty."), code="no_header"
        )
    if len(header) > limits.columns:
        raise import_xlsx.too_many_columns(limits)
    columns = [str(c).strip() if c is not None else "" for c in header]
    while columns and not columns[-1]:
        columns.pop()
    _refuse_odd_names(columns, limits)
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


def _refuse_odd_names(columns: list[str], limits: UploadLimits) -> None:
    for n, name in enumerate(columns):
        if len(name) > limits.header_chars:
            raise ValidationError(
                _("The name of column %(column)s is longer than %(limit)s characters.")
                % {"column": _column_letter(n), "limit": count(limits.header_chars)},
                code="header_too_long",
            )
        if CONTROL_CHARACTERS.intersection(name):
            raise ValidationError(
                _(
                    "The name of column %(column)s holds a control character (such as NUL "
                    "or a line break). Give it a plain name."
                )
                % {"column": _column_letter(n)},
                code="header_control",
            )


def _fit(row: list, width: int) -> list[str]:
    cells = ["" if c is None else str(c) for c in row[:width]]
    return cells + [""] * (width - len(cells))


def _column_letter(index: int) -> str:
    return openpyxl.utils.get_column_letter(index + 1)


# XLSX -----------------------------------------------------------------------------------


def _inspect_xlsx(handle, report) -> _Inspected:
    with _open_workbook(handle) as archive:
        workbook = import_xlsx.read_workbook(archive, upload_limits(), PREVIEW_ROWS, report)
    columns = _checked_header(workbook.header)
    preview = [[_cell_text(c) for c in row] for row in workbook.preview]
    return _Inspected("xlsx", columns, _stored_preview(preview, len(columns)))


def _has_data(sheet) -> bool:
    return any(
        cell is not None and str(cell).strip()
        for row in sheet.iter_rows(values_only=True)
        for cell in row
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
    separator = job.delimiter or ","
    row = 2
    for block in _record_blocks(path):
        frame = pl.read_csv(
            block,
            has_header=False,
            schema=dict.fromkeys(job.columns, pl.String),
            separator=separator,
            truncate_ragged_lines=True,
            extra_columns="ignore",
        ).select(wanted)
        shapes = _shapes(block, separator, len(job.columns))
        shapes += [None] * (frame.height - len(shapes))
        yield frame.with_row_index(ROW, offset=row).with_columns(
            pl.Series(SHAPE, shapes[: frame.height], dtype=pl.String)
        )
        row += frame.height


def _shapes(block: bytes, separator: str, width: int) -> list[str | None]:
    """For each record of the block, why it has the wrong number of fields, or None.
    Empty fields after the last column are no mistake (spreadsheets often write them)."""
    text = io.StringIO(block.decode("utf-8", errors="replace"), newline="")
    shapes = []
    for record in csv.reader(text, delimiter=separator):
        found = len(record)
        while found > width and not record[found - 1].strip():
            found -= 1
        if found == width or not any(field.strip() for field in record):
            shapes.append(None)
            continue
        shapes.append(
            _(
                "This row has %(found)s fields but the first row names %(width)s columns. "
                "A value holding the separator (%(separator)s) must be in double quotes."
            )
            % {"found": count(found), "width": count(width), "separator": separator}
            if found > width
            else _("This row has %(found)s fields but the first row names %(width)s columns.")
            % {"found": count(found), "width": count(width)}
        )
    return shapes


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
