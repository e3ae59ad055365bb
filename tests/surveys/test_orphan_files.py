"""Stored files no row refers to are removed once they are an hour old; every file a row
refers to, and every young file, stays."""

import os
import time

import pytest

from common import orphans
from config import tasks as config_tasks
from surveys.models import ImportJob
from tests.surveys.test_import import GOOD_ROWS, csv_bytes, uploaded

TWO_HOURS = 2 * 3600


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media, name: str, *, age: float = 0) -> str:
    path = media / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"left behind")
    when = time.time() - age
    os.utime(path, (when, when))
    return name


def aged(media, name: str) -> None:
    when = time.time() - TWO_HOURS
    os.utime(media / name, (when, when))


def test_the_sweep_removes_old_files_no_row_refers_to_and_keeps_the_rest(
    alpha, survey, media, caplog
):
    job = uploaded(alpha, survey, csv_bytes(GOOD_ROWS))
    aged(media, job.file.name)
    errors = stored(media, "survey-imports/errors/2026/01/errors-1.csv", age=TWO_HOURS)
    ImportJob.objects.filter(pk=job.pk).update(errors_file=errors)
    killed_upload = stored(media, "survey-imports/2026/01/killed.upload", age=TWO_HOURS)
    lost_report = stored(media, "survey-reports/2026/01/lost.pdf", age=TWO_HOURS)
    being_uploaded = stored(media, "survey-imports/2026/01/just-now.upload", age=60)
    not_ours = stored(media, "elsewhere/old.txt", age=TWO_HOURS)

    with caplog.at_level("INFO", logger="common.orphans"):
        removed = orphans.remove_orphan_files()

    assert sorted(removed) == sorted([killed_upload, lost_report])
    assert not (media / killed_upload).exists() and not (media / lost_report).exists()
    for kept in (job.file.name, errors, being_uploaded, not_ours):
        assert (media / kept).exists(), kept
    assert f"Removed {killed_upload}: no row refers to it" in caplog.text


def test_one_sweep_removes_at_most_its_limit_and_the_next_takes_the_rest(media, db):
    names = [stored(media, f"evidence/2026/01/{n}.pdf", age=TWO_HOURS) for n in range(5)]

    assert len(orphans.remove_orphan_files(limit=3)) == 3
    assert config_tasks.remove_orphan_files() == 2
    assert not any((media / name).exists() for name in names)
