from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from standard.models import (
    CoreQuestion,
    Element,
    ElementMapping,
    PublishedStandardError,
    Standard,
)
from standard.services import StandardFileError, standard_load

DATA = Path(__file__).resolve().parents[2] / "standard" / "data"


@pytest.fixture(autouse=True)
def no_standard(db):
    """These tests load the standard themselves, onto a database that has none yet."""
    for standard in Standard.objects.order_by("-version"):  # successors first
        Standard.objects.filter(pk=standard.pk).delete()


@pytest.fixture
def sectors(db):
    call_command("load_sectors", verbosity=0)


@pytest.fixture
def loaded(sectors):
    call_command("load_standard", verbosity=0)


def _copy(tmp_path, name, change):
    data = yaml.safe_load((DATA / name).read_text())
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_it_loads_both_shipped_versions(loaded):
    current = Standard.objects.get(version="2026")
    assert current.status == Standard.Status.PUBLISHED
    assert current.previous.version == "2025"
    assert Standard.objects.get(version="2025").status == Standard.Status.RETIRED
    assert current.criteria.count() == 6
    assert 40 <= Element.objects.filter(criterion__standard=current).count() <= 60
    drivers = set(
        CoreQuestion.objects.filter(standard=current, kind="satisfaction").values_list(
            "driver", flat=True
        )
    )
    assert drivers == {
        "overall",
        "delivery",
        "timeliness",
        "information",
        "professionalism",
        "staff_attitude",
    }
    assert current.legacy_criteria.count() == 6
    every_old_element_is_mapped = set(
        ElementMapping.objects.filter(standard=current).values_list("from_element__code", flat=True)
    ) == set(
        Element.objects.filter(criterion__standard__version="2025").values_list("code", flat=True)
    )
    assert every_old_element_is_mapped


def test_loading_again_changes_nothing(loaded, capsys):
    count = Element.objects.count()
    call_command("load_standard")
    assert "2026 (published): unchanged" in capsys.readouterr().out
    assert Element.objects.count() == count


def test_a_published_version_refuses_new_content(loaded, tmp_path):
    def retitle(data):
        data["criteria"][0]["elements"][0]["title"] = "Something else"

    path = _copy(tmp_path, "standard-2026.yaml", retitle)
    with pytest.raises(StandardFileError, match="2026 is published and its content cannot change"):
        standard_load(path=path)
    assert not Element.objects.filter(title="Something else").exists()


def test_a_published_element_cannot_be_edited_or_deleted(loaded):
    element = Element.objects.filter(criterion__standard__version="2026").first()
    element.title = "Edited in place"
    with pytest.raises(PublishedStandardError):
        element.save()
    with pytest.raises(PublishedStandardError):
        element.delete()


def test_a_draft_is_rebuilt_from_its_file(sectors, tmp_path):
    def as_draft(data):
        data["status"] = "draft"
        data.pop("previous_version")
        data.pop("version_mapping")

    path = _copy(tmp_path, "standard-2026.yaml", as_draft)
    standard, outcome = standard_load(path=path)
    assert outcome == "created"

    def retitled(data):
        as_draft(data)
        data["title"] = "Draft with a new title"

    path = _copy(tmp_path, "standard-2026.yaml", retitled)
    standard, outcome = standard_load(path=path)
    assert (outcome, standard.title) == ("rebuilt", "Draft with a new title")
    assert Standard.objects.count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d["criteria"][1]["elements"][0].update(code="9.1"),
            r"criteria\[1\]\.elements\[0\]\.code: '9.1' does not start with '2.'",
        ),
        (lambda d: d["criteria"][0].pop("levels"), r"criteria\[0\]: 'levels' is missing"),
        (
            lambda d: d["criteria"][0]["elements"][0]["sector_guidance"].update({"space": "x"}),
            "sector 'space' is not known",
        ),
        (lambda d: d.update(status="final"), "standard.status: 'final' is not one of"),
        (
            lambda d: d["legacy_mapping"][0]["elements"].append("7.7"),
            r"legacy_mapping\[0\]: element '7.7' does not exist",
        ),
        (
            lambda d: d["rules"].update(reminder_days=60),
            r"standard\.rules\.reminder_days: expected a list of days, such as \[90, 30, 7\]",
        ),
        (
            lambda d: d["rules"].update(reminder_days=[60, "a fortnight"]),
            r"standard\.rules\.reminder_days\[1\]: expected a whole number of days, "
            "got 'a fortnight'",
        ),
        (
            lambda d: d["rules"].update(reminder_days=[400, 14]),
            r"standard\.rules\.reminder_days\[0\]: 400 is not between 1 and 365 days",
        ),
        (
            lambda d: d["rules"].update(reminder_days=[14, 60, 14]),
            r"standard\.rules\.reminder_days: each day may be listed once, got \[14, 60, 14\]",
        ),
    ],
)
def test_a_bad_file_is_refused_with_where_and_why_and_nothing_is_saved(
    sectors, tmp_path, change, message
):
    def bad(data):
        data["previous_version"] = None
        data.pop("version_mapping")
        change(data)

    path = _copy(tmp_path, "standard-2026.yaml", bad)
    with pytest.raises(StandardFileError, match=message):
        standard_load(path=path)
    assert not Standard.objects.exists()


def test_a_version_without_reminder_days_reminds_at_90_30_and_7(loaded):
    assert Standard.objects.get(version="2026").reminder_days == [90, 30, 7]


def test_a_version_may_set_its_own_reminder_days(sectors, tmp_path):
    def draft_reminding_at_14_and_60(data):
        data.update(status="draft", previous_version=None)
        data.pop("version_mapping")
        data["rules"]["reminder_days"] = [14, 60]

    standard, _ = standard_load(
        path=_copy(tmp_path, "standard-2026.yaml", draft_reminding_at_14_and_60)
    )
    assert standard.reminder_days == [60, 14]


def test_the_command_reports_a_bad_file_clearly(sectors, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("version: [unclosed")
    with pytest.raises(CommandError, match="not valid YAML"):
        call_command("load_standard", str(path))
