"""Helpers for views of every app: a form's posted data, a page of one form."""

from django.shortcuts import render
from django.utils.translation import gettext as _


def posted(request):
    """The form data of a POST (even an empty one), or None to show a blank form."""
    return request.POST if request.method == "POST" else None


def form_page(request, form, *, title, back_url, caption="", lead="", status=200):
    """A page of one form under a heading, with a link back."""
    context = {
        "form": form,
        "page_title": title,
        "caption": caption,
        "lead": lead,
        "back_url": back_url,
        "back_text": _("Back"),
    }
    return render(request, "form_page.html", context, status=status)
