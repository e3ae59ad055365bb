"""PDF rendering for the reports and certificates built in the background: HTML to PDF
with WeasyPrint, and the CSS strings their page footers need in the reader's language."""

import re

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


def render_pdf(html: str) -> bytes:
    """HTML to PDF with WeasyPrint. The report is self-contained: nothing is fetched
    from outside, whatever the HTML says."""
    # Imported here: WeasyPrint takes most of a second to import and only workers need it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_tags=True)


def page_counter_css() -> str:
    """The CSS `content` value for "Page 3 of 12" in the active language."""
    words = _("Page %(page)s of %(pages)s")
    parts = []
    for piece in re.split(r"(%\(pages?\)s)", words):
        if piece == "%(page)s":
            parts.append("counter(page)")
        elif piece == "%(pages)s":
            parts.append("counter(pages)")
        elif piece:
            parts.append(css_string(piece))
    return mark_safe(" ".join(parts))


def css_string(text: str) -> str:
    """A CSS string literal holding `text`, safe inside a <style> element."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " .,:;!?()'-" else f"\\{ord(ch):x} " for ch in text
    )
    return f'"{escaped}"'
