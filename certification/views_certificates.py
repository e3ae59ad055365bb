"""A certificate's PDF for those who may read the certificate's record: its holder (and
headquarters), its certification body, the scheme unit and relying regulators. Anyone
else is told the page does not exist."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from common.job_views import stored_file_download
from organisations.policy import get_visible_or_404
from organisations.views import membership_required

from . import certificates
from .models import Certificate


@require_safe
@never_cache
@membership_required
def certificate_pdf(request, certificate_pk):
    certificate = get_visible_or_404(
        Certificate.objects.select_related("holder"), request.membership, pk=certificate_pk
    )
    if not certificates.pdf_is_current(certificate):
        queued = certificates.certificate_pdf_request(certificate=certificate)
        if queued:
            # Where tasks run in process (no Redis), the file may be there already.
            certificate.refresh_from_db(fields=["pdf", "pdf_version", "version"])
    if certificates.pdf_is_current(certificate):
        return stored_file_download(
            certificate.pdf,
            filename=certificates.certificate_filename(certificate),
            content_type="application/pdf",
        )
    return render(request, "certification/pdf/preparing.html", {"certificate": certificate})
