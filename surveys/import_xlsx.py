"""A results workbook (.xlsx) read as a stream within the upload limits, before anything
else reads it: which sheet has data (only one may), no formulas, no merged header, no
more rows, columns, cells or characters in a cell than allowed, and its first row and
first few data rows as values. openpyxl is not used here: even in read-only mode it
builds each cell's text whole and loads every shared text at once.

A sheet is an XML part: `<row r="2"><c r="B2" t="s" s="1"><v>0</v></c></row>`; `t` says
the kind of value (`s`: index into the shared texts, `inlineStr`, `str`, `b`, `e`, `d`,
else a number) and `s` the cell's style, which says whether a number is a date.
"""

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import from_excel

from common.uploads import UploadLimits, count, read_xml

WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
STYLES = "xl/styles.xml"
SHARED_STRINGS_TYPE = "/sharedStrings"
MERGED_HEADER = re.compile(r"[A-Z]+1(:[A-Z]+\d+)?")
CELL_REF = re.compile(r"([A-Z]{1,3})(\d+)")


@dataclass
class Workbook:
    header: list  # the first row's values, None where a cell is empty
    preview: list[list]  # the first data rows' values


def read_workbook(
    archive, limits: UploadLimits, preview_rows: int, report: Callable[[float], None]
) -> Workbook:
    """The only sheet with data, checked. Raises ValidationError with the first problem."""
    sheets = _sheets(archive, limits)
    strings_part = _shared_strings_part(archive)
    blank = _blank_strings(archive, strings_part, limits)
    dates = _date_styles(archive)
    total = sum(archive.getinfo(path).file_size for _name, path in sheets) or 1
    scans, done = [], 0
    for name, path in sheets:
        scan = _SheetScan(name, limits, blank, preview_rows)
        with archive.open(path) as xml:
            read_xml(
                xml,
                start=scan.start,
                end=scan.end,
                text=scan.text,
                report=lambda n, done=done: report((done + n) / total),
            )
        done += archive.getinfo(path).file_size
        scans.append(scan)
    scan = _only_sheet_with_data(scans)
    scan.refuse_formula_and_merged_header()
    texts = _shared_texts(archive, strings_part, limits, scan.shared_indices())
    return Workbook(
        header=scan.values(scan.header, texts, dates),
        preview=[scan.values(row, texts, dates) for row in scan.preview],
    )


# The workbook's parts ---------------------------------------------------------------------


def _not_a_workbook() -> ValidationError:
    return ValidationError(
        _(
            "The file is not a CSV file or an Excel workbook (.xlsx): it looks like a ZIP "
            "archive or another kind of office document."
        ),
        code="not_accepted",
    )


def _relationships(archive) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part path) of the workbook."""
    found = {}

    def start(name, attrs):
        if name == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(path))

    if WORKBOOK_RELS in archive.namelist():
        with archive.open(WORKBOOK_RELS) as xml:
            read_xml(xml, start=start)
    return found


def _sheets(archive, limits: UploadLimits) -> list[tuple[str, str]]:
    if WORKBOOK not in archive.namelist():
        raise _not_a_workbook()
    relationships, names = _relationships(archive), []

    def start(name, attrs):
        if name == "sheet":
            names.append((attrs.get("name", ""), attrs.get("id", "")))
            if len(names) > limits.sheets:
                raise ValidationError(
                    _("The workbook has more than %(limit)s sheets.")
                    % {"limit": count(limits.sheets)},
                    code="too_many_sheets",
                )

    with archive.open(WORKBOOK) as xml:
        read_xml(xml, start=start)
    sheets = []
    for name, rid in names:
        path = relationships.get(rid, ("", ""))[1]
        if path not in archive.namelist():
            raise _not_a_workbook()
        sheets.append((name, path))
    return sheets


def _shared_strings_part(archive) -> str | None:
    for kind, path in _relationships(archive).values():
        if kind.endswith(SHARED_STRINGS_TYPE) and path in archive.namelist():
            return path
    return None


class _Bits:
    """A set of whole numbers as one bit each: which of up to `cells` shared texts are
    blank, in an eighth of a byte apiece rather than a Python int's 30."""

    def __init__(self):
        self.bits = bytearray()

    def add(self, number: int) -> None:
        at = number >> 3
        if at >= len(self.bits):
            self.bits.extend(bytes(at - len(self.bits) + 1))
        self.bits[at] |= 1 << (number & 7)

    def __contains__(self, number: int) -> bool:
        at = number >> 3
        return at < len(self.bits) and bool(self.bits[at] >> (number & 7) & 1)


class _SharedStrings:
    """Walks the shared texts (`<si>` items: plain `<t>` or runs of `<r><t>`; phonetic
    guides `<rPh>` are not part of the text)."""

    def __init__(self, limits: UploadLimits, keep: set[int] | None):
        self.limits, self.keep = limits, keep
        self.index, self.length, self.parts, self.in_text, self.in_phonetic = -1, 0, [], False, 0
        self.blank, self.texts = _Bits(), {}

    def start(self, name, attrs):
        if name == "si":
            self.index += 1
            self.length, self.parts = 0, []
            if self.index >= self.limits.cells:
                raise ValidationError(
                    _("The workbook holds more than %(limit)s different texts.")
                    % {"limit": count(self.limits.cells)},
                    code="too_many_cells",
                )
        elif name == "rPh":
            self.in_phonetic += 1
        elif name == "t" and not self.in_phonetic:
            self.in_text = True

    def text(self, data):
        if not self.in_text:
            return
        self.length += len(data)
        if self.length > self.limits.cell_chars:
            raise ValidationError(
                _("A text in the workbook is longer than %(limit)s characters.")
                % {"limit": count(self.limits.cell_chars)},
                code="cell_too_long",
            )
        self.parts.append(data)

    def end(self, name):
        if name == "t":
            self.in_text = False
        elif name == "rPh":
            self.in_phonetic -= 1
        elif name == "si":
            value = "".join(self.parts)
            if not value.strip():
                self.blank.add(self.index)
            if self.keep is not None and self.index in self.keep:
                self.texts[self.index] = value


def _walk_strings(archive, part: str | None, limits: UploadLimits, keep) -> _SharedStrings:
    strings = _SharedStrings(limits, keep)
    if part is not None:
        with archive.open(part) as xml:
            read_xml(xml, start=strings.start, end=strings.end, text=strings.text)
    return strings


def _blank_strings(archive, part, limits) -> "_Bits":
    return _walk_strings(archive, part, limits, keep=None).blank


def _shared_texts(archive, part, limits, wanted: set[int]) -> dict[int, str]:
    if not wanted:
        return {}
    return _walk_strings(archive, part, limits, wanted).texts


def _date_styles(archive) -> set[int]:
    """Indices of the cell styles (`cellXfs`) whose number format shows a date."""
    if STYLES not in archive.namelist():
        return set()
    formats, styles, inside = dict(BUILTIN_FORMATS), [], [False]

    def start(name, attrs):
        if name == "numFmt":
            formats[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            inside[0] = True
        elif name == "xf" and inside[0]:
            styles.append(int(attrs.get("numFmtId", "0")))

    def end(name):
        if name == "cellXfs":
            inside[0] = False

    with archive.open(STYLES) as xml:
        read_xml(xml, start=start, end=end)
    return {n for n, fmt in enumerate(styles) if is_date_format(formats.get(fmt, ""))}


# A sheet --------------------------------------------------------------------------------


@dataclass
class _Cell:
    column: int
    kind: str
    style: int
    value: str


@dataclass
class _SheetScan:
    name: str
    limits: UploadLimits
    blank: "_Bits"
    preview_rows: int
    header: list[_Cell] = field(default_factory=list)
    preview: list[list[_Cell]] = field(default_factory=list)
    has_data: bool = False
    formula: tuple[str, str] | None = None
    merged_header: str = ""
    rows: int = 0
    cells: int = 0
    row_number: int = 0
    column: int = 0
    row: list = field(default_factory=list)
    row_has_data: bool = False
    cell: dict = field(default_factory=dict)
    capture: str = ""  # "v", "t" or "f" while inside one
    length: int = 0
    parts: list = field(default_factory=list)

    def start(self, name, attrs):
        if name == "row":
            self._start_row(attrs)
        elif name == "c":
            self._start_cell(attrs)
        elif name in ("v", "t", "f") and self.cell:
            self.capture = name
        elif name == "mergeCell":
            ref = attrs.get("ref", "")
            if MERGED_HEADER.fullmatch(ref) and not self.merged_header:
                self.merged_header = ref

    def _start_row(self, attrs):
        self.rows += 1
        if self.rows > self.limits.rows:
            raise ValidationError(
                _("The sheet “%(sheet)s” has more than %(limit)s rows.")
                % {"sheet": self.name, "limit": count(self.limits.rows)},
                code="too_many_rows",
            )
        number = attrs.get("r", "")
        self.row_number = int(number) if number.isdigit() else self.row_number + 1
        self.column, self.row, self.row_has_data = 0, [], False

    def _start_cell(self, attrs):
        self.cells += 1
        if self.cells > self.limits.cells:
            raise ValidationError(
                _("The sheet “%(sheet)s” has more than %(limit)s cells.")
                % {"sheet": self.name, "limit": count(self.limits.cells)},
                code="too_many_cells",
            )
        ref = CELL_REF.fullmatch(attrs.get("r", ""))
        self.column = column_index_from_string(ref.group(1)) if ref else self.column + 1
        if self.column > self.limits.columns:
            raise too_many_columns(self.limits)
        style = attrs.get("s", "0")
        self.cell = {"t": attrs.get("t", "n"), "s": int(style) if style.isdigit() else 0}
        self.length, self.parts, self.cell["f"] = 0, [], None

    def text(self, data):
        if not self.capture:
            return
        self.length += len(data)
        if self.length > self.limits.cell_chars:
            raise ValidationError(
                _("Cell %(cell)s holds more than %(limit)s characters.")
                % {"cell": self._ref(), "limit": count(self.limits.cell_chars)},
                code="cell_too_long",
            )
        if self.capture == "f" or self._keeps_text():
            self.parts.append(data)
        elif data.strip():
            self.parts[:] = ["x"]  # enough to know the cell is not blank

    def _keeps_text(self) -> bool:
        wanted = self.row_number == 1 or len(self.preview) < self.preview_rows
        return wanted or self.cell.get("t") == "s"

    def end(self, name):
        if name == self.capture:
            if name == "f":
                self.cell["f"] = "".join(self.parts)[:60]
                self.parts = []
            self.capture = ""
        elif name == "c" and self.cell:
            self._end_cell()
        elif name == "row":
            self._end_row()

    def _end_cell(self):
        value = "".join(self.parts)
        formula = self.cell["f"]
        if formula is not None and self.formula is None:
            self.formula = (self._ref(), formula)
        if self.cell["t"] == "s":
            filled = value.strip().isdigit() and int(value) not in self.blank
        else:
            filled = bool(value.strip()) or formula is not None
        if filled:
            self.has_data = self.row_has_data = True
            if self.row_number == 1 or len(self.preview) < self.preview_rows:
                # Cells may repeat one reference: a row holds no more than the columns.
                if len(self.row) >= self.limits.columns:
                    raise too_many_columns(self.limits)
                self.row.append(_Cell(self.column, self.cell["t"], self.cell["s"], value))
        self.cell = {}

    def _end_row(self):
        if self.row_number == 1:
            self.header = self.row
        elif self.row_has_data and len(self.preview) < self.preview_rows:
            self.preview.append(self.row)
        self.row = []

    def _ref(self) -> str:
        return f"{get_column_letter(max(self.column, 1))}{self.row_number}"

    def refuse_formula_and_merged_header(self):
        if self.formula is not None:
            cell, formula = self.formula
            raise ValidationError(
                _(
                    "Cell %(cell)s holds a formula (=%(formula)s); save the sheet as "
                    "values (copy it and paste as values only) and upload it again."
                )
                % {"cell": cell, "formula": formula},
                code="formula",
            )
        if self.merged_header:
            raise ValidationError(
                _(
                    "Cells %(cells)s of the first row are merged. Unmerge them so "
                    "that every column has its own name."
                )
                % {"cells": self.merged_header},
                code="merged_header",
            )

    def shared_indices(self) -> set[int]:
        return {
            int(c.value)
            for row in [self.header, *self.preview]
            for c in row
            if c.kind == "s" and c.value.strip().isdigit()
        }

    def values(self, row: list[_Cell], texts: dict[int, str], dates: set[int]) -> list:
        width = max((c.column for c in row), default=0)
        values = [None] * width
        for c in row:
            values[c.column - 1] = _value(c, texts, dates)
        return values


def _value(cell: _Cell, texts: dict[int, str], dates: set[int]):
    """The cell's value as openpyxl would give it."""
    text = cell.value
    if cell.kind == "s":
        return texts.get(int(text))
    if cell.kind == "b":
        return text.strip() == "1"
    if cell.kind == "d":
        return text.strip().split("T")[0]
    if cell.kind != "n":
        return text
    try:
        number = float(text) if re.search(r"[.eE]", text) else int(text)
    except ValueError:
        return text
    if cell.style in dates:
        try:
            return from_excel(number)
        except (ValueError, OverflowError):
            return number
    return number


def _only_sheet_with_data(scans: list[_SheetScan]) -> _SheetScan:
    with_data = [s for s in scans if s.has_data]
    if not with_data:
        raise ValidationError(_("The workbook has no data in any sheet."), code="empty")
    if len(with_data) > 1:
        names = get_text_list([f"“{s.name}”" for s in with_data], _("and"))
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


def too_many_columns(limits: UploadLimits) -> ValidationError:
    return ValidationError(
        _("The file has more than %(limit)s columns.") % {"limit": count(limits.columns)},
        code="too_many_columns",
    )
