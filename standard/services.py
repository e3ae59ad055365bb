"""Loading the standard from its data file."""

import datetime
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from organisations.models import Sector

from .models import (
    CoreQuestion,
    Criterion,
    Driver,
    Element,
    ElementMapping,
    LegacyCriterion,
    Level,
    LevelDescriptor,
    SectorGuidance,
    Standard,
)

MAX_REMINDER_DAYS = 365  # a review is due every 12 months


class StandardFileError(Exception):
    """The data file is not a valid standard; the message says where and why."""


def _decimal(value: object) -> Decimal:
    return Decimal(str(value))


def _whole(value: object) -> int:
    return int(str(value))


def _reminder_days(value: object) -> list[int]:
    """Days before a review on which to remind, largest first."""
    where = "standard.rules.reminder_days"
    if not isinstance(value, list) or not value:
        raise StandardFileError(f"{where}: expected a list of days, such as [90, 30, 7].")
    for i, days in enumerate(value):
        if isinstance(days, bool) or not isinstance(days, int):
            raise StandardFileError(f"{where}[{i}]: expected a whole number of days, got {days!r}.")
        if not 1 <= days <= MAX_REMINDER_DAYS:
            raise StandardFileError(
                f"{where}[{i}]: {days} is not between 1 and {MAX_REMINDER_DAYS} days."
            )
    if len(set(value)) != len(value):
        raise StandardFileError(f"{where}: each day may be listed once, got {value!r}.")
    return sorted(value, reverse=True)


# Each rule of a version: its field on Standard and how a value in the file becomes one.
RULE_FIELDS = {
    "pass_min_compliant_share": _decimal,
    "partial_action_months": _whole,
    "leading_compliance_plus_share": _decimal,
    "survey_max_margin_points": _decimal,
    "survey_fieldwork_max_months": _whole,
    "survey_min_responses_to_publish": _whole,
    "benchmark_min_organisations": _whole,
    "review_grace_days": _whole,
    "withdrawal_after_suspension_months": _whole,
    "reminder_days": _reminder_days,
    "lead_rotation_cycles": _whole,
}
QUESTION_DRIVERS = {"overall"} | {d.value for d in Driver if d != Driver.INSIGHT}


def _need(data: object, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise StandardFileError(f"{where}: '{key}' is missing.")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise StandardFileError(f"{where}.{key}: expected a non-empty {name}, got {value!r}.")
    return value


def _content_hash(data: dict) -> str:
    content = {k: v for k, v in data.items() if k != "status"}
    canonical = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# libyaml's loader parses the standard's files about ten times faster than the pure-Python one.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_standard_file(path: Path) -> dict:
    try:
        data: dict[str, Any] = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        raise StandardFileError(f"{path}: not valid YAML ({exc}).") from exc
    _validate(data)
    return data


def _validate(data: object) -> None:
    if not isinstance(data, dict):
        raise StandardFileError("The file must hold a mapping at the top level.")
    _need(data, "version", str, "standard")
    _need(data, "title", str, "standard")
    _need(data, "summary", str, "standard")
    status = _need(data, "status", str, "standard")
    if status not in Standard.Status.values:
        raise StandardFileError(
            f"standard.status: '{status}' is not one of {Standard.Status.values}."
        )
    if status != Standard.Status.DRAFT:
        _need(data, "published_on", datetime.date, "standard")
    rules = data.get("rules", {})
    for key in rules:
        if key not in RULE_FIELDS:
            raise StandardFileError(f"standard.rules: unknown rule '{key}'.")
    codes = set()
    criteria = _need(data, "criteria", list, "standard")
    for i, criterion in enumerate(criteria):
        where = f"criteria[{i}]"
        number = _need(criterion, "number", int, where)
        for key in ("slug", "title", "summary"):
            _need(criterion, key, str, where)
        driver = _need(criterion, "driver", str, where)
        if driver not in Driver.values:
            raise StandardFileError(f"{where}.driver: '{driver}' is not one of {Driver.values}.")
        levels = _need(criterion, "levels", dict, where)
        missing = set(Level.values) - set(levels)
        if missing:
            raise StandardFileError(f"{where}.levels: missing {sorted(missing)}.")
        for j, element in enumerate(_need(criterion, "elements", list, where)):
            ewhere = f"{where}.elements[{j}]"
            code = _need(element, "code", str, ewhere)
            if not code.startswith(f"{number}."):
                raise StandardFileError(f"{ewhere}.code: '{code}' does not start with '{number}.'.")
            if code in codes:
                raise StandardFileError(f"{ewhere}.code: '{code}' is used twice.")
            codes.add(code)
            for key in ("title", "requirement", "guidance"):
                _need(element, key, str, ewhere)
            _need(element, "evidence_examples", list, ewhere)
    for i, question in enumerate(_need(data, "core_questions", list, "standard")):
        where = f"core_questions[{i}]"
        _need(question, "code", str, where)
        _need(question, "wording", str, where)
        if question.get("driver") not in QUESTION_DRIVERS:
            raise StandardFileError(f"{where}.driver: '{question.get('driver')}' is not known.")
        if question.get("kind") not in CoreQuestion.Kind.values:
            raise StandardFileError(f"{where}.kind: '{question.get('kind')}' is not known.")
    for i, legacy in enumerate(data.get("legacy_mapping", [])):
        for code in _need(legacy, "elements", list, f"legacy_mapping[{i}]"):
            if code not in codes:
                raise StandardFileError(f"legacy_mapping[{i}]: element '{code}' does not exist.")
    for i, mapping in enumerate(data.get("version_mapping", [])):
        change = mapping.get("change")
        if change not in ElementMapping.Change.values:
            raise StandardFileError(f"version_mapping[{i}].change: '{change}' is not known.")
        for code in mapping.get("to", []):
            if code not in codes:
                raise StandardFileError(
                    f"version_mapping[{i}].to: element '{code}' does not exist."
                )


@transaction.atomic
def standard_load(*, path: Path, data: dict | None = None) -> tuple[Standard, str]:
    """Load one version from its data file.

    Idempotent: loading the same file again changes nothing. A draft is
    rebuilt from the file; a published or retired version is never changed
    (only its status may move from published to retired).
    Returns the standard and what happened: created, rebuilt, retired or unchanged.
    `data` is the file as `read_standard_file` returned it, when the caller has read it.
    """
    if data is None:
        data = read_standard_file(path)
    content_hash = _content_hash(data)
    standard = Standard.objects.filter(version=data["version"]).first()
    if standard and standard.is_locked:
        if standard.content_hash != content_hash:
            raise StandardFileError(
                f"Version {standard.version} is {standard.status} and its content cannot change. "
                "Publish the change as a new version with a mapping to this one."
            )
        if standard.status == data["status"]:
            return standard, "unchanged"
        if (standard.status, data["status"]) != (Standard.Status.PUBLISHED, "retired"):
            raise StandardFileError(
                f"Version {standard.version} cannot go from {standard.status} to {data['status']}."
            )
        standard.status = Standard.Status.RETIRED
        standard.save(update_fields=["status"])
        return standard, "retired"

    outcome = "rebuilt" if standard else "created"
    if standard:
        standard.delete()
    standard = _build(data, content_hash)
    return standard, outcome


def _build(data: dict, content_hash: str) -> Standard:
    previous = None
    if data.get("previous_version"):
        previous = Standard.objects.filter(version=data["previous_version"]).first()
        if previous is None:
            raise StandardFileError(
                f"standard.previous_version: version {data['previous_version']} is not loaded; "
                "load it first."
            )
    rules = {key: RULE_FIELDS[key](value) for key, value in data.get("rules", {}).items()}
    standard = Standard.objects.create(
        version=data["version"],
        title=data["title"],
        summary=data["summary"],
        status=Standard.Status.DRAFT,
        published_on=data.get("published_on"),
        previous=previous,
        content_hash=content_hash,
        **rules,
    )
    sectors = {s.slug: s for s in Sector.objects.all()}
    elements: dict[str, Element] = {}
    for c in data["criteria"]:
        criterion = Criterion.objects.create(
            standard=standard,
            number=c["number"],
            slug=c["slug"],
            title=c["title"],
            driver=c["driver"],
            summary=c["summary"],
        )
        LevelDescriptor.objects.bulk_create(
            LevelDescriptor(criterion=criterion, level=level, description=c["levels"][level])
            for level in Level.values
        )
        for position, e in enumerate(c["elements"], start=1):
            element = Element.objects.create(
                criterion=criterion,
                code=e["code"],
                position=position,
                title=e["title"],
                requirement=e["requirement"],
                guidance=e["guidance"],
                evidence_examples=e["evidence_examples"],
            )
            elements[e["code"]] = element
            for slug, text in (e.get("sector_guidance") or {}).items():
                if slug not in sectors:
                    raise StandardFileError(
                        f"element {e['code']}: sector '{slug}' is not known; "
                        "run load_sectors or correct the slug."
                    )
                SectorGuidance.objects.create(element=element, sector=sectors[slug], text=text)
    for position, q in enumerate(data["core_questions"], start=1):
        CoreQuestion.objects.create(
            standard=standard,
            code=q["code"],
            driver=q["driver"],
            kind=q["kind"],
            required=q.get("required", True),
            wording=q["wording"],
            position=position,
        )
    for legacy in data.get("legacy_mapping", []):
        row = LegacyCriterion.objects.create(
            standard=standard, number=legacy["number"], title=legacy["title"]
        )
        row.elements.set([elements[code] for code in legacy["elements"]])
    _build_mappings(standard, previous, data.get("version_mapping", []), elements)
    standard.status = data["status"]
    standard.save(update_fields=["status"])
    return standard


def _build_mappings(
    standard: Standard,
    previous: Standard | None,
    mappings: list[dict[str, Any]],
    elements: dict[str, Element],
) -> None:
    if not mappings:
        return
    if previous is None:
        raise StandardFileError("version_mapping needs previous_version.")
    old = {e.code: e for e in Element.objects.filter(criterion__standard=previous)}
    for i, m in enumerate(mappings):
        if m.get("from") not in old:
            raise StandardFileError(
                f"version_mapping[{i}].from: '{m.get('from')}' is not an element of "
                f"version {previous.version}."
            )
        targets = m.get("to") or [None]
        for code in targets:
            ElementMapping.objects.create(
                standard=standard,
                from_element=old[m["from"]],
                to_element=elements[code] if code else None,
                change=m["change"],
            )
