"""Stored files no row refers to, removed once they are old enough.

A file is stored before its row is saved: an upload whose request was killed while its
file was checked, or a report whose worker died between saving the PDF and its row,
leaves a file nothing refers to and nothing can serve. Every folder a model's file field
stores into is swept; a file younger than `ORPHAN_FILES_MIN_AGE_SECONDS` may still be
about to get its row, and is kept.
"""

import logging
import posixpath
from collections.abc import Iterator
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone

# At most this many files are removed in one sweep; the next sweep takes the rest.
REMOVE_LIMIT = 1000
CHECK_BATCH = 500

logger = logging.getLogger(__name__)

FileFields = list[tuple[type[models.Model], str, str]]  # model, field name, folder


def remove_orphan_files(*, limit: int = REMOVE_LIMIT) -> list[str]:
    """Remove old stored files that no row refers to; answer their names."""
    fields = _file_fields()
    cutoff = timezone.now() - timedelta(seconds=settings.ORPHAN_FILES_MIN_AGE_SECONDS)
    removed: list[str] = []
    batch: list[str] = []
    for name in _old_files(_top_folders(fields), cutoff):
        batch.append(name)
        if len(batch) == CHECK_BATCH:
            removed += _remove_unreferenced(batch, fields, limit - len(removed))
            batch = []
        if len(removed) >= limit:
            break
    if batch and len(removed) < limit:
        removed += _remove_unreferenced(batch, fields, limit - len(removed))
    if removed:
        logger.info("Removed %s stored file(s) no row refers to", len(removed))
    return removed


def _file_fields() -> FileFields:
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and isinstance(field.upload_to, str):
                folder = field.upload_to.split("%", 1)[0].rsplit("/", 1)[0]
                if folder:
                    found.append((model, field.name, folder + "/"))
    return found


def _top_folders(fields: FileFields) -> list[str]:
    folders = sorted({folder for _, _, folder in fields})
    return [f for f in folders if not any(f != o and f.startswith(o) for o in folders)]


def _old_files(folders: list[str], cutoff) -> Iterator[str]:
    for folder in folders:
        yield from _walk(folder.rstrip("/"), cutoff)


def _walk(folder: str, cutoff) -> Iterator[str]:
    try:
        subfolders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for file in sorted(files):
        name = posixpath.join(folder, file)
        if default_storage.get_modified_time(name) < cutoff:
            yield name
    for sub in sorted(subfolders):
        yield from _walk(posixpath.join(folder, sub), cutoff)


def _remove_unreferenced(names: list[str], fields: FileFields, room: int) -> list[str]:
    referenced: set[str] = set()
    for model, field, folder in fields:
        mine = [n for n in names if n.startswith(folder)]
        if mine:
            rows = model._base_manager.filter(**{f"{field}__in": mine})
            referenced.update(rows.values_list(field, flat=True))
    removed: list[str] = []
    for name in names:
        if name in referenced or len(removed) >= room:
            continue
        default_storage.delete(name)
        logger.info("Removed %s: no row refers to it", name)
        removed.append(name)
    return removed
