import re
from dataclasses import fields, replace

from django.conf import settings
from django.template import engines
from django.utils import translation

from assessments.models import Rating, RatingChange
from benchmarking import views_statistics
from certification.models import Finding
from standard.models import LevelDescriptor
from standard.scales import GAPS, LEVELS, MEETS, RATINGS, Level, RatingValue, level_rank

TAG_COLOURS = {"grey", "green", "turquoise", "blue", "light-blue", "purple", "pink"}
TAG_COLOURS |= {"red", "orange", "yellow"}
HEX = re.compile(r"#[0-9a-f]{6}")


def _render(source, **context):
    return engines["django"].from_string("{% load scales %}" + source).render(context)


def _is_filled(value):
    return value is not None and str(value) != ""


def test_every_rating_value_has_every_attribute():
    for row in RATINGS:
        for field in fields(row):
            assert _is_filled(getattr(row, field.name)), (row.value, field.name)
        assert row.tag in TAG_COLOURS, row.value
        assert HEX.fullmatch(row.pdf_colour) and HEX.fullmatch(row.chart_colour), row.value
        assert isinstance(row.meets, bool) and isinstance(row.points, int), row.value


def test_every_level_has_every_attribute():
    for row in LEVELS:
        for field in fields(row):
            assert _is_filled(getattr(row, field.name)), (row.value, field.name)
        assert row.tag in TAG_COLOURS, row.value


def test_ratings_run_from_best_to_worst_and_each_is_met_or_a_gap():
    points = [row.points for row in RATINGS]
    assert points == sorted(points, reverse=True)
    assert set(MEETS) | set(GAPS) == set(RatingValue.values)
    assert not set(MEETS) & set(GAPS)
    assert [level_rank(value) for value in Level.values] == list(range(len(LEVELS)))


def test_the_models_offer_exactly_the_scale_values_in_its_order():
    ratings = [(row.value, row.label) for row in RATINGS]
    assert Rating._meta.get_field("value").choices == ratings
    assert RatingChange._meta.get_field("to_value").choices == ratings
    assert Finding._meta.get_field("rating").choices == ratings
    levels = [(row.value, row.label) for row in LEVELS]
    assert LevelDescriptor._meta.get_field("level").choices == levels


def test_a_rating_shows_as_a_tag_in_its_colour():
    shown = {row.value: _render("{% rating_tag value %}", value=row.value) for row in RATINGS}
    assert shown["compliance_plus"] == (
        '<strong class="govuk-tag govuk-tag--purple">Compliance plus</strong>'
    )
    assert shown["compliant"] == '<strong class="govuk-tag govuk-tag--green">Compliant</strong>'
    assert shown["partial"] == '<strong class="govuk-tag govuk-tag--yellow">Partial</strong>'
    assert shown["non_compliant"] == (
        '<strong class="govuk-tag govuk-tag--red">Non-compliant</strong>'
    )


def test_a_blank_rating_shows_as_a_grey_tag_named_for_where_it_is():
    assert _render("{% rating_tag value %}", value="") == (
        '<strong class="govuk-tag govuk-tag--grey">Not rated</strong>'
    )
    assert _render('{% rating_tag value empty=_("No finding yet") %}', value=None) == (
        '<strong class="govuk-tag govuk-tag--grey">No finding yet</strong>'
    )


def test_a_level_shows_as_a_tag_that_does_not_wrap():
    assert _render("{% level_tag value %}", value="meeting") == (
        '<strong class="govuk-tag app-level-tag govuk-tag--blue">Meeting</strong>'
    )
    assert _render("{% level_tag value %}", value="leading") == (
        '<strong class="govuk-tag app-level-tag govuk-tag--purple">Leading</strong>'
    )


def test_tags_and_hints_speak_welsh():
    with translation.override("cy"):
        assert "Yn arwain" in _render("{% level_tag value %}", value="leading")
        assert "Nid ydych" in _render("{{ value|rating_hint }}", value="non_compliant")


def test_no_template_decides_anything_by_a_scale_value():
    values = "|".join(RatingValue.values + Level.values)
    compared = re.compile(rf"""==\s*["']({values})["']""")
    templates = settings.BASE_DIR / "templates"
    found = [
        f"{path.relative_to(templates)}: {match.group(0)}"
        for path in sorted(templates.rglob("*.html"))
        for match in compared.finditer(path.read_text())
    ]
    assert found == [], "read the scale through the scales template tags instead"


def test_a_new_rating_value_widens_the_consistency_tables_and_chart(monkeypatch):
    extra = replace(RATINGS[-1], value="not_applicable", label="Not applicable")
    monkeypatch.setattr(views_statistics, "RATINGS", (*RATINGS, extra))
    counts = list(range(len(RATINGS) + 1))
    entry = {"key": "1", "title": "Insight", "body": "Body", "findings": sum(counts)}
    entry["counts"] = counts
    untested = {**entry, "tested": False}
    tested = {**entry, "tested": True, "others": counts, "others_findings": sum(counts)}
    tested |= {"cramers_v": 0.1, "p_adjusted": 0.5, "flagged": False, "body_id": 1}
    header = views_statistics._comparison_header("criterion")
    assert "Not applicable, this body" in header
    for row in views_statistics._comparison_rows([untested, tested]):
        assert len(row) == len(header)
    chart = views_statistics.distribution_chart({"criteria": [tested]})
    assert [len(row["parts"]) for row in chart["rows"]] == [len(counts)] * 2
    assert len(chart["legend"]) == len(counts)
