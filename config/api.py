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


_ERROR = {
    "description": "",
    "content": {
        "application/json": {
            "schema": {"type": "object", "additionalProperties": True},
        }
    },
}
_ERRORS = {
    "400": "The input is not valid; the body says which field and why.",
    "401": "Not signed in.",
    "403": "Signed in, but the active role may not do this.",
    "404": "No such object among those the active membership may see.",
    "429": "Too many requests; try again later.",
}


def add_error_responses(result, generator, request, public):
    """Document the error answers every operation can give, so clients and
    schemathesis know what to expect."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = ["401", "403", "429"]
            if "{" in path:
                codes.append("404")
            if method in ("post", "put", "patch") or operation.get("parameters"):
                codes.append("400")
            for code in codes:
                responses.setdefault(code, {**_ERROR, "description": _ERRORS[code]})
    return result


def id_filterset(model, *, ids=(), fields=()):
    """A FilterSet whose related-object filters take plain ids.

    django-filter's default for a foreign key checks the id against the whole table,
    which would tell one tenant whether another tenant's object exists (400 for a
    missing id, 200 for someone else's). Plain ids answer the same empty list for both.
    """
    import django_filters

    attrs = {
        name: django_filters.NumberFilter(
            field_name=f"{name}_id", min_value=1, max_value=2**63 - 1, decimal_places=0
        )
        for name in ids
    }
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": list(fields)})
    return type(f"{model.__name__}Filter", (django_filters.FilterSet,), attrs)
