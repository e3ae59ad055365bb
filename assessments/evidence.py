"""The evidence library: every change to an organisation's files, links and notes.

Uploaded files are judged by what they contain, never by their name or the type the
browser claims: a program renamed `report.pdf` is refused, a Word document named
`.pdf` is accepted as the Word document it is. Nothing is stored unless the whole
upload is accepted.
"""

import codecs
import datetime
import hashlib
import struct
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from functools import partial
from xml.etree import ElementTree

import puremagic
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from common.uploads import MEGABYTE, checked_archive, megabytes
from organisations.models import Membership, Organisation
from organisations.policy import may_act

from .models import Evidence, Rating, SelfAssessment
from .services import EDIT_ROLES

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
CHUNK = 64 * 1024

# A text file that puremagic recognises this confidently as something else (a web page,
# a script, RTF) is refused; weaker matches on a few leading letters ("BM", "MZ") are
# coincidences in ordinary CSV and text.
TEXT_OVERRIDE_CONFIDENCE = 0.5
TEXT_LIKE_MIMES = {"", "text/plain", "text/csv", "message/rfc822"}


# -- Permissions -----------------------------------------------------------------------


def can_edit_evidence(membership: Membership | None, organisation: Organisation) -> bool:
    """Applicant administrators and editors manage their organisation's library; a
    headquarters' also manage their units'."""
    if organisation.kind != Organisation.Kind.APPLICANT:
        return False
    return may_act(membership, organisation, EDIT_ROLES)


def _require_editor(membership: Membership | None, organisation: Organisation | None) -> None:
    if organisation is None or not can_edit_evidence(membership, organisation):
        raise PermissionDenied(_("Your role does not allow you to change the evidence library."))


def _own_organisation(membership: Membership | None) -> Organisation:
    """New items go into the library of the organisation the person acts for."""
    organisation = membership.organisation if membership is not None else None
    _require_editor(membership, organisation)
    return organisation


# -- Reads ------------------------------------------------------------------------------


def evidence_library(
    *, membership: Membership, kind: str = "", stale_only: bool = False
) -> QuerySet[Evidence]:
    """The evidence the membership may read, each with the ratings it supports (only
    ratings the membership may read too)."""
    ratings = (
        Rating.objects.visible_to(membership)
        .select_related("element", "self_assessment__standard")
        .order_by("element__criterion__number", "element__position", "self_assessment__number")
    )
    queryset = (
        Evidence.objects.visible_to(membership)
        .select_related("organisation", "added_by")
        .prefetch_related(Prefetch("ratings", queryset=ratings))
        .order_by("title", "pk")
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if stale_only:
        queryset = queryset.filter(review_date__lt=timezone.localdate())
    return queryset


def attached_elements(evidence: Evidence) -> list:
    """The elements an item supports, once each, in the order of the standard.

    Reads the ratings `evidence_library` prefetched (in that order), so it costs no query."""
    seen = {}
    for rating in evidence.ratings.all():
        seen.setdefault(rating.element_id, rating.element)
    return list(seen.values())


def is_locked(evidence: Evidence) -> bool:
    """True while a submitted self-assessment relies on the item: it must stay as it was."""
    return evidence.ratings.filter(self_assessment__status=SelfAssessment.Status.SUBMITTED).exists()


# -- Changes ----------------------------------------------------------------------------


def evidence_add_file(
    *,
    membership: Membership,
    title: str,
    upload: UploadedFile,
    review_date: datetime.date | None = None,
) -> Evidence:
    """Add an uploaded file to the membership's organisation's library."""
    organisation = _own_organisation(membership)
    errors = {}
    title = _clean_title(title, errors)
    detected = None
    if upload is None:
        errors["upload"] = _("Choose the file to upload.")
    else:
        try:
            detected = inspect_upload(upload)
        except ValidationError as error:
            errors["upload"] = error.messages
    if errors:
        raise ValidationError(errors)

    evidence = Evidence(
        organisation=organisation,
        title=title,
        kind=Evidence.Kind.FILE,
        original_name=_clean_original_name(upload.name, detected.extension),
        content_type=detected.content_type,
        size=detected.size,
        sha256=detected.sha256,
        review_date=review_date,
        added_by=membership.user,
    )
    evidence.full_clean(exclude=["file"])
    # Our own name: the person's file name never becomes a path in storage.
    name = f"{uuid.uuid4().hex}{detected.extension}"
    upload.seek(0)
    try:
        # The file is written first; if the row then fails, the file goes too.
        with transaction.atomic():
            evidence.file.save(name, upload, save=False)
            evidence.save()
    except BaseException:
        if evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


@transaction.atomic
def evidence_add_link(
    *,
    membership: Membership,
    title: str,
    url: str,
    review_date: datetime.date | None = None,
) -> Evidence:
    """Add a web address to the membership's organisation's library."""
    organisation = _own_organisation(membership)
    errors = {}
    title = _clean_title(title, errors)
    url = (url or "").strip()
    if not url:
        errors["url"] = _("Enter the web address.")
    else:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors["url"] = _(
                "Enter a web address in the correct format, like https://www.example.gov.uk/report"
            )
    return _save_new(
        errors,
        organisation=organisation,
        title=title,
        kind=Evidence.Kind.LINK,
        url=url,
        review_date=review_date,
        added_by=membership.user,
    )


@transaction.atomic
def evidence_add_note(
    *,
    membership: Membership,
    title: str,
    text: str,
    review_date: datetime.date | None = None,
) -> Evidence:
    """Add a written note to the membership's organisation's library."""
    organisation = _own_organisation(membership)
    errors = {}
    title = _clean_title(title, errors)
    text = (text or "").strip()
    if not text:
        errors["text"] = _("Write the note.")
    return _save_new(
        errors,
        organisation=organisation,
        title=title,
        kind=Evidence.Kind.NOTE,
        text=text,
        review_date=review_date,
        added_by=membership.user,
    )


def _save_new(errors: dict, **fields) -> Evidence:
    """Every problem found is reported at once; nothing is saved if there is any."""
    if errors:
        raise ValidationError(errors)
    evidence = Evidence(**fields)
    evidence.full_clean()
    evidence.save()
    return evidence


def evidence_add(
    *,
    membership: Membership,
    kind: str,
    title: str,
    review_date: datetime.date | None = None,
    upload: UploadedFile | None = None,
    url: str = "",
    text: str = "",
) -> Evidence:
    """Add evidence of any kind; the one way in for the pages and the API."""
    common = {"membership": membership, "title": title, "review_date": review_date}
    if kind == Evidence.Kind.FILE:
        return evidence_add_file(upload=upload, **common)
    if kind == Evidence.Kind.LINK:
        return evidence_add_link(url=url, **common)
    if kind == Evidence.Kind.NOTE:
        return evidence_add_note(text=text, **common)
    raise ValidationError({"kind": _("Choose a file, a link or a note.")})


@transaction.atomic
def evidence_update(
    *,
    membership: Membership,
    evidence: Evidence,
    title: str,
    review_date: datetime.date | None,
) -> Evidence:
    """Change an item's title and review date. Its content never changes: add a new item
    instead, so what a submitted self-assessment relied on stays as it was."""
    _require_editor(membership, evidence.organisation)
    errors = {}
    title = _clean_title(title, errors)
    if errors:
        raise ValidationError(errors)
    evidence.title = title
    evidence.review_date = review_date
    evidence.full_clean()
    evidence.save(update_fields=["title", "review_date"])
    return evidence


@transaction.atomic
def evidence_delete(*, membership: Membership, evidence: Evidence) -> None:
    """Delete an item and its file, unless a submitted self-assessment relies on it."""
    _require_editor(membership, evidence.organisation)
    # Lock the self-assessments using the item, so none is submitted while it goes.
    using = Rating.objects.filter(evidence=evidence).values("self_assessment")
    self_assessments = SelfAssessment.objects.select_for_update().filter(pk__in=using)
    if any(not s.is_draft for s in self_assessments):
        raise ValidationError(
            _(
                "This evidence supports a submitted self-assessment, which must be kept as it "
                "was. You can change its title or review date instead."
            ),
            code="in_use",
        )
    name = evidence.file.name
    storage = evidence.file.storage
    evidence.delete()
    if name:
        # Only once the row is gone for good: a rollback keeps both.
        transaction.on_commit(partial(storage.delete, name))


def _clean_title(title: str, errors: dict) -> str:
    title = (title or "").strip()
    limit = Evidence._meta.get_field("title").max_length
    if not title:
        errors["title"] = _("Enter a title.")
    elif len(title) > limit:
        errors["title"] = _("The title must be %(limit)s characters or fewer.") % {"limit": limit}
    return title


def _clean_original_name(name: str | None, extension: str) -> str:
    """The person's file name, fit to show and to send back in a header."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    limit = Evidence._meta.get_field("original_name").max_length
    return name[-limit:] if name else f"evidence{extension}"


# -- What a file is ---------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str  # what we name it in storage
    extensions: frozenset  # names that agree with the content


def _kind(content_type, *extensions):
    return Kind(content_type, extensions[0], frozenset(extensions))


PDF = _kind("application/pdf", ".pdf")
IMAGES = {
    "PNG": _kind("image/png", ".png"),
    "JPEG": _kind("image/jpeg", ".jpg", ".jpeg", ".jpe", ".jfif"),
    "GIF": _kind("image/gif", ".gif"),
    "WEBP": _kind("image/webp", ".webp"),
}
OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": _kind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": _kind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": _kind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"
    ),
}
OOXML_MACRO_ENABLED = {
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
}
OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": _kind(
        "application/vnd.oasis.opendocument.text", ".odt"
    ),
    "application/vnd.oasis.opendocument.spreadsheet": _kind(
        "application/vnd.oasis.opendocument.spreadsheet", ".ods"
    ),
    "application/vnd.oasis.opendocument.presentation": _kind(
        "application/vnd.oasis.opendocument.presentation", ".odp"
    ),
}
# Legacy Office files are OLE compound files; the streams inside say which program.
OLE_STREAMS = {
    "WordDocument": _kind("application/msword", ".doc"),
    "Workbook": _kind("application/vnd.ms-excel", ".xls"),
    "Book": _kind("application/vnd.ms-excel", ".xls"),
    "PowerPoint Document": _kind("application/vnd.ms-powerpoint", ".ppt"),
}
OLE_MACROS = {"Macros", "_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT"}
TEXT = _kind("text/plain", ".txt", ".text", ".log", ".tsv")
CSV = _kind("text/csv", ".csv")
ALL_KINDS = [PDF, *IMAGES.values(), *OOXML.values(), *OPENDOCUMENT.values(), TEXT, CSV]
ALL_KINDS += list({k.content_type: k for k in OLE_STREAMS.values()}.values())
OLE_ENCRYPTED = "EncryptedPackage"  # a password-protected .docx/.xlsx/.pptx
OLE_END = 0xFFFFFFFA  # sector numbers from here up are markers, not sectors

PDF_MIMES = {"application/pdf"}
IMAGE_MIMES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
ZIP_MIMES = {
    "application/zip",
    "application/x-zip-compressed",
    *(k.content_type for k in OOXML.values()),
    *OPENDOCUMENT,
}
OLE_MIMES = {
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/x-ole-storage",
}
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass(frozen=True)
class Detected:
    content_type: str
    extension: str
    size: int
    sha256: str


def max_upload_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES)


def inspect_upload(upload: UploadedFile) -> Detected:
    """What the upload is, by its content. Raises ValidationError (one message) if it is
    empty, too big, not one of the kinds we accept, or damaged."""
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise _too_big(limit)
    size, sha256 = _measure(upload)
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > limit:
        raise _too_big(limit)

    upload.seek(0)
    try:
        matches = puremagic.magic_stream(upload)
    except (puremagic.PureError, ValueError):
        matches = []
    upload.seek(0)
    top = [m for m in matches if m.confidence == matches[0].confidence] if matches else []
    mimes = {m.mime_type for m in top}

    if mimes & PDF_MIMES:
        kind = _check_pdf(upload)
    elif mimes & IMAGE_MIMES:
        kind = _check_image(upload)
    elif mimes & ZIP_MIMES:
        kind = _check_zip(upload)
    elif mimes & OLE_MIMES or _head(upload, len(OLE_SIGNATURE)) == OLE_SIGNATURE:
        kind = _check_ole(upload, size)
    else:
        kind = _check_text(upload, matches)
    upload.seek(0)
    return Detected(kind.content_type, kind.extension, size, sha256)


def download_name(evidence: Evidence) -> str:
    """The name to send a file back under. It keeps the person's name, with the extension
    of what the file really is added where the name says otherwise, so that opening the
    download never hands it to the wrong program."""
    kind = next((k for k in ALL_KINDS if k.content_type == evidence.content_type), None)
    name = evidence.original_name or "evidence"
    if kind is None:
        return name
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in kind.extensions:
        return name
    return f"{name}{kind.extension}"


def _too_big(limit: int) -> ValidationError:
    return ValidationError(
        _("The file must be %(limit)s MB or smaller.") % {"limit": megabytes(limit)},
        code="too_big",
    )


def _not_accepted(what: str) -> ValidationError:
    return ValidationError(
        _("The file is not a PDF, image, office document or CSV/text file; it looks like %(what)s.")
        % {"what": what},
        code="not_accepted",
    )


def _measure(upload: UploadedFile) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _head(upload: UploadedFile, length: int) -> bytes:
    upload.seek(0)
    head = upload.read(length)
    upload.seek(0)
    return head


def _check_pdf(upload: UploadedFile) -> Kind:
    upload.seek(0)
    try:
        reader = PdfReader(upload)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("password")
        if len(reader.pages) < 1:
            raise ValueError("no pages")
    except FileNotDecryptedError:
        raise ValidationError(
            _("The PDF is protected by a password. Upload a copy without the password."),
            code="encrypted",
        ) from None
    except Exception:  # a damaged PDF can fail in the parser in many ways
        raise ValidationError(
            _(
                "The PDF is damaged or incomplete and cannot be opened. Save it again and upload "
                "the new copy."
            ),
            code="damaged",
        ) from None
    return PDF


def _check_image(upload: UploadedFile) -> Kind:
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except Exception:  # as for PDFs: damage shows up in many ways
        raise ValidationError(
            _("The image is damaged or incomplete and cannot be opened."), code="damaged"
        ) from None
    if image_format not in IMAGES:
        raise _not_accepted(_("an image in %(format)s format") % {"format": image_format})
    return IMAGES[image_format]


def _with_macros() -> ValidationError:
    return ValidationError(
        _(
            "The document contains macros, which could run programs on an assessor's computer. "
            "Save a copy without macros (for example as .docx or .xlsx) and upload that."
        ),
        code="macros",
    )


def _damaged_office_document() -> ValidationError:
    return ValidationError(
        _(
            "The office document is damaged and cannot be opened. Save it again and upload the "
            "new copy."
        ),
        code="damaged",
    )


def _check_zip(upload: UploadedFile) -> Kind:
    """An office document (or other ZIP archive), judged from its directory and small
    manifest; its directory is within the upload limits before any part is read."""
    upload.seek(0)
    try:
        with checked_archive(upload) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                return _ooxml_kind(archive, names)
            if "mimetype" in names:
                return _opendocument_kind(archive)
    except ValidationError:
        raise
    except Exception:  # a damaged archive fails in zipfile and zlib in many ways
        raise _damaged_office_document() from None
    raise _not_accepted(_("a ZIP archive"))


def _ooxml_kind(archive: zipfile.ZipFile, names: set) -> Kind:
    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > MEGABYTE:
        raise _not_accepted(_("a ZIP archive"))
    data = archive.read(info)
    # Office never writes a DOCTYPE here; refusing one keeps entity tricks out of the parser.
    if b"<!DOCTYPE" in data.upper():
        raise _not_accepted(_("a ZIP archive"))
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise _damaged_office_document() from None
    for override in root:
        if not override.tag.endswith("Override"):
            continue
        content_type = override.get("ContentType", "")
        part = override.get("PartName", "").lstrip("/")
        if content_type in OOXML_MACRO_ENABLED:
            raise _with_macros()
        if content_type in OOXML:
            if part not in names:
                raise _damaged_office_document()
            return OOXML[content_type]
    raise _not_accepted(_("a ZIP archive"))


def _opendocument_kind(archive: zipfile.ZipFile) -> Kind:
    info = archive.getinfo("mimetype")
    mimetype = archive.read(info).decode("ascii", "replace").strip() if info.file_size < 200 else ""
    if mimetype in OPENDOCUMENT:
        return OPENDOCUMENT[mimetype]
    raise _not_accepted(_("a ZIP archive"))


def _check_ole(upload: UploadedFile, size: int) -> Kind:
    try:
        streams = _ole_stream_names(upload, size)
    except (ValueError, struct.error):
        raise _damaged_office_document() from None
    if OLE_ENCRYPTED in streams:
        raise ValidationError(
            _("The document is protected by a password. Upload a copy without the password."),
            code="encrypted",
        )
    if streams & OLE_MACROS:
        raise _with_macros()
    for stream, kind in OLE_STREAMS.items():
        if stream in streams:
            return kind
    raise _not_accepted(_("a Windows compound file that is not a Word, Excel or PowerPoint file"))


def _ole_stream_names(upload: UploadedFile, size: int) -> set:
    """The names in an OLE compound file's directory (the layout of [MS-CFB])."""
    upload.seek(0)
    header = upload.read(512)
    if len(header) < 512 or header[:8] != OLE_SIGNATURE:
        raise ValueError("not a compound file")
    sector_size = 1 << struct.unpack_from("<H", header, 30)[0]
    if sector_size not in (512, 4096):
        raise ValueError("sector size")
    # From offset 48: first directory sector, 4 fields we do not need, first DIFAT sector,
    # number of DIFAT sectors.
    first_directory, *_unused, first_difat, difat_count = struct.unpack_from("<7I", header, 48)
    max_sectors = max(size // sector_size, 1)

    def sector(number):
        if number >= max_sectors:
            raise ValueError("sector out of range")
        upload.seek((number + 1) * sector_size)
        data = upload.read(sector_size)
        if not data:
            raise ValueError("missing sector")
        # Some writers leave the last sector short.
        return data.ljust(sector_size, b"\0")

    per_sector = sector_size // 4
    fat_sectors = [n for n in struct.unpack_from("<109I", header, 76) if n < OLE_END]
    next_difat = first_difat
    for _step in range(min(difat_count, max_sectors)):
        if next_difat >= OLE_END:
            break
        entries = struct.unpack(f"<{per_sector}I", sector(next_difat))
        fat_sectors += [n for n in entries[:-1] if n < OLE_END]
        next_difat = entries[-1]
    fat = []
    for number in fat_sectors:
        fat += struct.unpack(f"<{per_sector}I", sector(number))

    names = set()
    current, steps = first_directory, 0
    while current < OLE_END:
        steps += 1
        if steps > max_sectors or current >= len(fat):
            raise ValueError("broken directory chain")
        data = sector(current)
        for offset in range(0, sector_size, 128):
            name_length, entry_type = struct.unpack_from("<HB", data, offset + 64)
            if entry_type in (1, 2) and 2 <= name_length <= 64:
                raw = data[offset : offset + name_length - 2]
                names.add(raw.decode("utf-16-le", "replace"))
        current = fat[current]
    upload.seek(0)
    return names


def _check_text(upload: UploadedFile, matches: list) -> Kind:
    """Plain text or CSV: no NUL bytes, and readable as UTF-8 or Windows-1252."""
    confident = [m for m in matches if m.confidence >= TEXT_OVERRIDE_CONFIDENCE]
    if confident and confident[0].mime_type not in TEXT_LIKE_MIMES:
        raise _not_accepted(confident[0].name)
    if not _is_text(upload):
        what = matches[0].name if matches else _("a file of an unknown kind")
        raise _not_accepted(what)
    name = (upload.name or "").lower()
    return CSV if name.endswith(".csv") else TEXT


def _is_text(upload: UploadedFile) -> bool:
    decoders = [codecs.getincrementaldecoder(e)() for e in ("utf-8", "cp1252")]
    upload.seek(0)
    for chunk in upload.chunks(CHUNK):
        if b"\x00" in chunk:
            return False
        decoders = [d for d in decoders if _decodes(d, chunk)]
        if not decoders:
            return False
    return any(_decodes(d, b"", final=True) for d in decoders)


def _decodes(decoder, chunk: bytes, final: bool = False) -> bool:
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        return False
    return True
