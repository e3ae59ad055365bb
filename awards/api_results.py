"""Published award results as open data: a public, read-only API with the winners' page's
rows, filtered by cycle year, sector, criterion, kind, level and organisation."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets

from common.api import TextFilter, whole_number_filter

from . import results
from .models import Category, Result


class AwardResultSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="category.cycle.year", read_only=True)
    cycle = serializers.CharField(source="category.cycle.title", read_only=True)
    published_at = serializers.DateTimeField(source="category.cycle.published_at", read_only=True)
    criterion = serializers.SlugField(source="category.criterion.slug", read_only=True)
    criterion_title = serializers.CharField(source="category.criterion.title", read_only=True)
    sector = serializers.SlugField(source="category.sector.slug", read_only=True)
    kind = serializers.ChoiceField(
        source="category.kind", choices=Category.Kind.choices, read_only=True
    )
    level = serializers.ChoiceField(
        source="category.level", choices=Category.Level.choices, read_only=True
    )
    organisation = serializers.CharField(source="entry.organisation.name", read_only=True)
    organisation_id = serializers.IntegerField(source="entry.organisation_id", read_only=True)
    nominee = serializers.CharField(
        source="entry.nominee_name",
        read_only=True,
        help_text="The team or person recognised; empty for an organisation's award.",
    )

    class Meta:
        model = Result
        fields = [
            "id",
            "year",
            "cycle",
            "published_at",
            "criterion",
            "criterion_title",
            "sector",
            "kind",
            "level",
            "place",
            "organisation",
            "organisation_id",
            "nominee",
            "reasons",
        ]
        read_only_fields = fields


class AwardResultFilter(django_filters.FilterSet):
    year = whole_number_filter(field_name="category__cycle__year", maximum=9999)
    sector = TextFilter(field_name="category__sector__slug")
    criterion = TextFilter(field_name="category__criterion__slug")
    kind = django_filters.ChoiceFilter(field_name="category__kind", choices=Category.Kind.choices)
    level = django_filters.ChoiceFilter(
        field_name="category__level", choices=Category.Level.choices
    )
    place = django_filters.ChoiceFilter(choices=Result.Place.choices)
    # A plain id: the list is public, so an unknown id simply matches nothing.
    organisation = whole_number_filter(field_name="entry__organisation_id")

    class Meta:
        model = Result
        fields = ["year", "sector", "criterion", "kind", "level", "place", "organisation"]


@extend_schema_view(
    list=extend_schema(
        summary="Published award results",
        description="Winners and highly commended of every published award cycle. Public.",
    ),
    retrieve=extend_schema(summary="One published award result"),
)
class AwardResultViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AwardResultSerializer
    filterset_class = AwardResultFilter
    permission_classes = [permissions.AllowAny]
    queryset = Result.objects.none()

    def get_queryset(self):
        return results.published_results()
