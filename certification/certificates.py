"""The certificate as a PDF: built in the background whenever a certificate is issued or
changes (see `decisions._queue_pdf`), stored on the certificate, downloaded by those who
may read the certificate's record.

`Certificate.pdf_version` holds the certificate `version` the stored file shows, so a
file is current when the two are equal; a build that finishes after a newer one never
replaces it, and building the same version again just replaces the file.
"""

import logging

import segno
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from common.pdf import css_string, page_counter_css, render_pdf
from organisations.models import Region

from . import register
from .models import Certificate

PDF_TEMPLATE = "certification/pdf/certificate.html"
# A build asked for by someone waiting for the file is not asked for again for this long.
QUEUED_FOR_SECONDS = 600

logger = logging.getLogger(__name__)


def certificate_languages(certificate: Certificate) -> list[str]:
    """English, and Welsh too for a holder in Wales."""
    return ["en", "cy"] if certificate.holder.region == Region.WALES else ["en"]


def certificate_context(certificate: Certificate) -> dict:
    """Everything the PDF shows. The status is told as the register tells it today."""
    profile = getattr(certificate.certification_body, "body_profile", None)
    pages = []
    for language in certificate_languages(certificate):
        url = register.verification_url(certificate.number, language)
        pages.append(
            {
                "language": language,
                "verification_url": url,
                "qr_code": segno.make(url, error="m").svg_data_uri(scale=4, border=2),
            }
        )
    return {
        "certificate": certificate,
        "standing": register.certificate_standing(certificate),
        "body_profile": profile,
        "pages": pages,
        "generated_at": timezone.localtime(),
        "page_counter_css": page_counter_css(),
        "footer_css": mark_safe(css_string(_("Customer Voice"))),
    }


def certificate_filename(certificate: Certificate) -> str:
    return f"certificate-{certificate.number}.pdf"


def _read(certificate_id: int) -> Certificate | None:
    return (
        Certificate.objects.select_related("holder", "certification_body__body_profile", "standard")
        .filter(pk=certificate_id)
        .first()
    )


def certificate_pdf_build(*, certificate_id: int) -> None:
    """Render the certificate's PDF with WeasyPrint and store it on the certificate.
    Safe to run twice, or twice at once: the file of the newest version stays."""
    certificate = _read(certificate_id)
    if certificate is None:
        return
    version = certificate.version
    html = render_to_string(PDF_TEMPLATE, certificate_context(certificate))
    pdf = render_pdf(html)
    # The file is written first, then the row is pointed at it under a lock.
    certificate.pdf.save(certificate_filename(certificate), ContentFile(pdf), save=False)
    new_name = certificate.pdf.name
    storage = certificate.pdf.storage
    with transaction.atomic():
        current = (
            Certificate.objects.select_for_update()
            .only("pdf", "pdf_version")
            .get(pk=certificate_id)
        )
        if current.pdf_version > version:
            # A build of a newer version finished first: it stays.
            transaction.on_commit(lambda: _discard(storage, new_name))
            return
        old_name = current.pdf.name
        Certificate.objects.filter(pk=certificate_id).update(pdf=new_name, pdf_version=version)
        if old_name and old_name != new_name:
            transaction.on_commit(lambda: _discard(storage, old_name))


def _discard(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("Could not remove the old certificate file %s", name)


def pdf_is_current(certificate: Certificate) -> bool:
    """Its stored file shows the certificate as it is now, and is still there."""
    return (
        bool(certificate.pdf.name)
        and certificate.pdf_version >= certificate.version
        and certificate.pdf.storage.exists(certificate.pdf.name)
    )


def certificate_pdf_request(*, certificate: Certificate) -> bool:
    """Queue a build of the certificate's PDF for someone waiting for it, unless one was
    queued for this version of it recently. Returns whether one was queued."""
    from .tasks import build_certificate_pdf

    key = f"certificate-pdf-queued:{certificate.pk}:{certificate.version}"
    if not cache.add(key, True, QUEUED_FOR_SECONDS):
        return False
    pk = certificate.pk
    transaction.on_commit(lambda: build_certificate_pdf.delay(pk))
    return True
