"""Shared pieces of the REST API."""

import functools

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
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
    "404": "No such object among those the active membership may see, or no such page of a list.",
    "429": "Too many requests; try again later.",
}


def add_error_responses(result, generator, request, public):
    """Document the error answers every operation can give, so clients and
    schemathesis know what to expect."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = ["401", "403", "429"]
            parameters = {parameter.get("name") for parameter in operation.get("parameters", [])}
            if "{" in path or "page" in parameters:
                codes.append("404")
            if method in ("post", "put", "patch") or operation.get("parameters"):
                codes.append("400")
            for code in codes:
                responses.setdefault(code, {**_ERROR, "description": _ERRORS[code]})
    return result


MAX_ID = 2**63 - 1


@functools.cache
def _whole_number_filter(minimum: int, maximum: int):
    @extend_schema_field({"type": "integer", "minimum": minimum, "maximum": maximum})
    class WholeNumberFilter(django_filters.NumberFilter):
        field_class = forms.IntegerField

    return WholeNumberFilter


def whole_number_filter(*, minimum: int = 1, maximum: int = MAX_ID, **kwargs):
    """A filter on a whole number from `minimum` to `maximum` (an id, by default), with
    its range in the schema, so that clients (and schemathesis) know what it takes."""
    return _whole_number_filter(minimum, maximum)(min_value=minimum, max_value=maximum, **kwargs)


class AnyTextField(forms.CharField):
    """Text a search takes as it comes: characters a database cannot hold are dropped and
    the rest cut to a length, rather than the request refused."""

    def __init__(self, *, longest: int = 100, **kwargs):
        self.longest = longest
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).replace("\x00", "")[: self.longest]


class TextFilter(django_filters.CharFilter):
    """A filter on text (a name, a slug) that never refuses what a client sends."""

    field_class = AnyTextField


def id_filterset(model, *, ids=(), fields=()):
    """A FilterSet whose related-object filters take plain ids.

    django-filter's default for a foreign key checks the id against the whole table,
    which would tell one tenant whether another tenant's object exists (400 for a
    missing id, 200 for someone else's). Plain ids answer the same empty list for both.
    """
    attrs = {name: whole_number_filter(field_name=f"{name}_id") for name in ids}
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": list(fields)})
    return type(f"{model.__name__}Filter", (django_filters.FilterSet,), attrs)
