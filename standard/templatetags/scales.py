"""The standard's scales on a page: a rating or a level as a GOV.UK tag, and a rating's
hint, all read from the scale tables."""

from django import template
from django.utils.html import format_html

from standard.scales import LEVEL, RATING, UNRATED_LABEL, UNRATED_TAG

register = template.Library()

TAG = '<strong class="govuk-tag {}govuk-tag--{}">{}</strong>'


@register.simple_tag
def rating_tag(value, empty=UNRATED_LABEL):
    """A rating value as a tag; `empty` names a blank one, in grey."""
    row = RATING.get(value)
    if row is None:
        return format_html(TAG, "", UNRATED_TAG, empty)
    return format_html(TAG, "", row.tag, row.label)


@register.simple_tag
def level_tag(value):
    """A criterion level as a tag that never wraps inside its words."""
    row = LEVEL[value]
    return format_html(TAG, "app-level-tag ", row.tag, row.label)


@register.filter
def rating_hint(value):
    """What a rating value means, for the rating form ("" for a blank one)."""
    row = RATING.get(value)
    return row.hint if row else ""
