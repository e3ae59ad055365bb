"""The public register as open data: a read-only JSON list of certificates, with the same
filters as the register's search. Public (no sign-in) and rate limited per address."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.throttling import BaseThrottle

from common.api import TextFilter, whole_number_filter
from common.ratelimit import too_many_requests
from organisations.models import Region

from . import register
from .models import Certificate

API_RATE = "120/m"


def _standing(certificate: Certificate) -> register.Standing:
    # Worked out once per certificate for the fields that tell it.
    if not hasattr(certificate, "_register_standing"):
        certificate._register_standing = register.certificate_standing(certificate)
    return certificate._register_standing


class RegisterCertificateSerializer(serializers.ModelSerializer):
    holder = serializers.CharField(source="holder_name", read_only=True)
    holder_id = serializers.IntegerField(read_only=True)
    sector = serializers.SlugRelatedField(source="holder_sector", slug_field="slug", read_only=True)
    region = serializers.ChoiceField(source="holder_region", choices=Region.choices, read_only=True)
    standard_version = serializers.CharField(source="standard.version", read_only=True)
    certification_body = serializers.CharField(source="certification_body.name", read_only=True)
    certification_body_id = serializers.IntegerField(read_only=True)
    accreditation_reference = serializers.SerializerMethodField()
    status_since = serializers.DateField(source="status_changed_on", read_only=True)
    standing = serializers.SerializerMethodField()
    may_display_mark = serializers.SerializerMethodField()
    body_lost_accreditation_on = serializers.SerializerMethodField()
    valid_until = serializers.SerializerMethodField()
    check_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "number",
            "holder",
            "holder_id",
            "sector",
            "region",
            "scope",
            "main_site_address",
            "standard_version",
            "certification_body",
            "certification_body_id",
            "accreditation_reference",
            "original_issue_date",
            "issue_date",
            "next_review_due",
            "cycle_expires",
            "status",
            "status_since",
            "standing",
            "may_display_mark",
            "body_lost_accreditation_on",
            "valid_until",
            "check_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_accreditation_reference(self, certificate) -> str:
        profile = getattr(certificate.certification_body, "body_profile", None)
        return profile.accreditation_reference if profile else ""

    @extend_schema_field(serializers.ChoiceField(choices=register.State.choices))
    def get_standing(self, certificate) -> str:
        return _standing(certificate).state

    def get_may_display_mark(self, certificate) -> bool:
        return _standing(certificate).may_display_mark

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_body_lost_accreditation_on(self, certificate):
        return _standing(certificate).body_lost_accreditation_on

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_valid_until(self, certificate):
        return _standing(certificate).valid_until

    @extend_schema_field(OpenApiTypes.URI)
    def get_check_url(self, certificate) -> str:
        return register.verification_url(certificate.number)


class RegisterFilter(django_filters.FilterSet):
    q = TextFilter(
        method="filter_name",
        label="Part of the holder's name (one or two letters: the start of it).",
    )
    sector = TextFilter(field_name="holder_sector__slug", label="The holder's sector (slug).")
    region = django_filters.ChoiceFilter(
        field_name="holder_region", choices=Region.choices, label="The holder's region."
    )
    body = whole_number_filter(
        field_name="certification_body_id", label="The certification body's id."
    )
    status = django_filters.ChoiceFilter(choices=Certificate.Status.choices)
    number = TextFilter(method="filter_number", label="A certificate number.")

    class Meta:
        model = Certificate
        fields = ["q", "sector", "region", "body", "status", "number"]

    def filter_name(self, queryset, name, value):
        return register.name_filter(queryset, " ".join(value.split()))

    def filter_number(self, queryset, name, value):
        return queryset.filter(number=register.normalise_number(value))


class RegisterPagination(CursorPagination):
    """Pages follow one another by `next`, without a count: fast at any depth."""

    ordering = "number"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class RegisterThrottle(BaseThrottle):
    """Requests per address, counted as the register's pages count them (django-ratelimit,
    with RATELIMIT_IP_META_KEY naming the client's address behind a proxy)."""

    def allow_request(self, request, view) -> bool:
        return not too_many_requests(request, group="register-api", rate=API_RATE)

    def wait(self) -> float:
        return 60.0


@extend_schema_view(
    list=extend_schema(
        responses={
            200: RegisterCertificateSerializer(many=True),
            404: OpenApiResponse(description="The cursor is not one this list gave."),
        }
    )
)
class RegisterCertificateViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every certificate on the public register, with its standing today (`standing`: a
    certificate whose body lost its accreditation stays valid until `valid_until`, then
    lapses). Filter by `q`, `sector`, `region`, `body`, `status` or `number`; follow
    `next` for the following page. Public, read-only, rate limited per address."""

    queryset = Certificate.objects.select_related(
        "holder_sector", "certification_body__body_profile", "standard"
    )
    serializer_class = RegisterCertificateSerializer
    permission_classes = [permissions.AllowAny]
    throttle_classes = [RegisterThrottle]
    filterset_class = RegisterFilter
    pagination_class = RegisterPagination
