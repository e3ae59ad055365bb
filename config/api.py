"""Shared pieces of the REST API."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Business rules raise Django's ValidationError; answer those with 400, never 500."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = serializers.ValidationError(detail)
    return drf_exception_handler(exc, context)


class MembershipScopedMixin:
    """A viewset whose rows are read through the tenancy policy only."""

    def get_queryset(self):
        return self.queryset.visible_to(getattr(self.request, "membership", None))
