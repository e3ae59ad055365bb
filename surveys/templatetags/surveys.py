from django import template

from surveys.services import shown as shown_in_language

register = template.Library()


@register.filter
def shown(text):
    """A customer group's name or answer in the reader's language where it is known."""
    return shown_in_language(text)
