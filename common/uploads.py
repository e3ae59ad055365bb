"""Reading uploaded files within bounds: the limits (settings' `UPLOAD_LIMITS`), an
archive's directory checked before any part is unpacked, and XML read as a stream with
no document type declarations (so no entity expansion, the "billion laughs").

Office documents (.xlsx, .docx, .odt) are ZIP archives: a few kilobytes can unpack to
gigabytes. `zipfile` never unpacks a part beyond the size its directory declares (and
then fails on the checksum), so checking the declared sizes bounds what reading can
ever inflate.
"""

import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MEGABYTE = 1024 * 1024
# Small parts may be very repetitive (styles, empty rows) without harm: their ratio is
# judged only past this size.
RATIO_FROM_BYTES = MEGABYTE
XML_BLOCK = 64 * 1024
_END_OF_DIRECTORY = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_ZIP64_MARK = 0xFFFF
# The ZIP64 end record's locator, which `zipfile` prefers to the plain end record.
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
# One directory entry: 46 bytes and its name (an office document's are short).
_DIRECTORY_ENTRY_BYTES = 46 + 1024


@dataclass(frozen=True)
class UploadLimits:
    member_bytes: int
    archive_bytes: int
    member_ratio: int
    members: int
    sheets: int
    rows: int
    columns: int
    cells: int
    cell_chars: int
    header_chars: int
    row_chars: int
    preview_chars: int


def upload_limits() -> UploadLimits:
    return UploadLimits(**settings.UPLOAD_LIMITS)


def megabytes(size: int) -> str:
    """20971520 -> "20", 1572864 -> "1.5": for messages that say a limit in MB."""
    return f"{float(f'{size / MEGABYTE:.3g}'):g}"


def count(number: int) -> str:
    """1000 -> "1,000": a limit as a message says it."""
    return number_format(number, force_grouping=True)


# Archives -----------------------------------------------------------------------------


def checked_archive(handle, *, part_label: Callable[[str], str | None] = lambda name: None):
    """The open `zipfile.ZipFile` of `handle` once its directory is within the limits.
    Raises ValidationError naming the limit, or zipfile.BadZipFile if it is no archive.
    `part_label(name)` may say what a part is ("A sheet of the workbook")."""
    limits = upload_limits()
    entries = _directory_entries(handle)
    if entries > limits.members:
        raise _too_many_parts(limits)
    archive = zipfile.ZipFile(handle)
    try:
        _check_parts(archive.infolist(), limits, part_label)
    except BaseException:
        archive.close()
        raise
    return archive


def _directory_entries(handle) -> int:
    """How many parts the archive's end record declares, read before `zipfile` loads the
    whole directory. An archive too large for that record (ZIP64) counts as too many."""
    handle.seek(0, 2)
    size = handle.tell()
    tail_size = min(size, _END_RECORD_SIZE + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    handle.seek(0)
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        raise zipfile.BadZipFile("no end of central directory")
    entries, directory_size = struct.unpack_from("<HI", tail, at + 10)
    zip64 = at >= _ZIP64_LOCATOR_SIZE and tail.startswith(_ZIP64_LOCATOR, at - _ZIP64_LOCATOR_SIZE)
    if zip64 or entries == _ZIP64_MARK or directory_size == 0xFFFFFFFF:
        return 1 << 32
    # `zipfile` reads the directory by its size, not by the count the record declares: a
    # directory larger than the most parts allowed could hold is refused as too many.
    if directory_size > upload_limits().members * _DIRECTORY_ENTRY_BYTES:
        return 1 << 32
    return entries


def _check_parts(parts: list, limits: UploadLimits, part_label) -> None:
    if len(parts) > limits.members:
        raise _too_many_parts(limits)
    total = 0
    for part in parts:
        label = part_label(part.filename) or _("“%(name)s” in the file") % {
            "name": part.filename[:100]
        }
        if part.file_size > limits.member_bytes:
            raise ValidationError(
                _("%(part)s unpacks to more than %(limit)s MB.")
                % {"part": label, "limit": megabytes(limits.member_bytes)},
                code="part_too_big",
            )
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM_BYTES and ratio > limits.member_ratio:
            raise ValidationError(
                _(
                    "%(part)s unpacks to more than %(ratio)s times its packed size, far more "
                    "than any ordinary document does."
                )
                % {"part": label, "ratio": count(limits.member_ratio)},
                code="part_ratio",
            )
        total += part.file_size
        if total > limits.archive_bytes:
            raise ValidationError(
                _("The file unpacks to more than %(limit)s MB in all.")
                % {"limit": megabytes(limits.archive_bytes)},
                code="archive_too_big",
            )


def _too_many_parts(limits: UploadLimits) -> ValidationError:
    return ValidationError(
        _("The file is packed from more than %(limit)s parts.") % {"limit": count(limits.members)},
        code="too_many_parts",
    )


# XML ------------------------------------------------------------------------------------


def read_xml(stream, *, start=None, end=None, text=None, report=None) -> None:
    """Parse the XML in `stream` block by block, calling `start(name, attributes)`,
    `end(name)` and `text(data)` with local names (no namespace). Any of them may raise
    to stop. `report(bytes_read)` follows progress. A document type declaration is
    refused: office files never have one, and it is where entity bombs live."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    parser.buffer_text = True
    if start:
        parser.StartElementHandler = lambda name, attrs: start(
            _local(name), {_local(k): v for k, v in attrs.items()}
        )
    if end:
        parser.EndElementHandler = lambda name: end(_local(name))
    if text:
        parser.CharacterDataHandler = text
    done = 0
    try:
        for block in iter(lambda: stream.read(XML_BLOCK), b""):
            parser.Parse(block, False)
            done += len(block)
            if report:
                report(done)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise ValidationError(
            _("The file is damaged: one of its parts is not well-formed XML."), code="damaged"
        ) from None


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def _refuse_declarations(*args) -> None:
    raise ValidationError(
        _(
            "The file declares a document type of its own, which office documents never do, "
            "so it was not read."
        ),
        code="doctype",
    )
