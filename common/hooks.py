"""Parts of a page that an app higher up adds to a lower app's page. The lower app may not
import the higher one, so it sends a named signal (defined in its `signals.py`) and each
app that adds a part connects a receiver in its `apps.ready()`, answering a dict."""

from typing import cast

from django.dispatch import Signal


def page_parts(signal: Signal, **arguments) -> dict:
    """The receivers' answers to `signal`, merged into one dict for the page's context."""
    parts: dict = {}
    for _receiver, answer in signal.send(sender=None, **arguments):
        parts.update(cast(dict, answer))
    return parts
