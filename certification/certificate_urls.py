"""Certificates' own files, for those who may read the certificate's record."""

from django.urls import path

from . import views_certificates

app_name = "certificates"

urlpatterns = [
    path("<int:certificate_pk>/pdf/", views_certificates.certificate_pdf, name="pdf"),
]
