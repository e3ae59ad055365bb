"""The scheme unit's statistical dashboards in the API: certification-body consistency
and effectiveness, as stored at the last refresh, with their findings in plain words.
Anyone else gets 404."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from organisations.models import Sector

from . import consistency, effectiveness
from .forms_dashboards import DashboardFilters
from .models import DashboardFigure
from .views_statistics import next_refresh, stored_figure


class FigureQuerySerializer(serializers.Serializer):
    sector = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Sector.objects.all(),
        required=False,
        help_text="A sector's slug; leave out for all sectors together.",
    )
    year = serializers.IntegerField(
        min_value=0,
        max_value=9999,
        required=False,
        help_text="A year; leave out (or 0) for all years.",
    )


class DashboardFigureSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DashboardFigure.Kind.choices)
    sector = serializers.CharField(allow_null=True, help_text="The sector's slug, or null: all.")
    year = serializers.IntegerField(help_text="The year, or 0: all years.")
    computed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the figures were worked out; null: not yet."
    )
    next_refresh = serializers.DateTimeField(allow_null=True)
    statements = serializers.ListField(
        child=serializers.CharField(), help_text="The results in plain words."
    )
    data = serializers.JSONField(allow_null=True, help_text="The stored figures.")


def _consistency_statements(data: dict) -> list[str]:
    return consistency.consistency_statements(data)


def _effectiveness_statements(data: dict) -> list[str]:
    minimum = data["minimum"]
    return [
        *(effectiveness.holder_statement(e, minimum=minimum) for e in data["holders"]),
        *(effectiveness.before_after_statement(e, minimum=minimum) for e in data["before_after"]),
    ]


class _FigureView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    kind: str
    statements = None

    def get(self, request):
        membership = getattr(request, "membership", None)
        if membership is None or not membership.is_scheme:
            raise NotFound
        query = FigureQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        sector = query.validated_data.get("sector")
        year = query.validated_data.get("year") or 0
        figure = stored_figure(self.kind, DashboardFilters(sector=sector, year=year or None))
        body = {
            "kind": self.kind,
            "sector": sector.slug if sector else None,
            "year": year,
            "computed_at": figure.computed_at if figure else None,
            "next_refresh": next_refresh(),
            "statements": type(self).statements(figure.data) if figure else [],
            "data": figure.data if figure else None,
        }
        return Response(DashboardFigureSerializer(body).data)


class ConsistencyView(_FigureView):
    """Certification-body consistency (scheme unit only): each body's ratings per
    criterion and element against the other bodies' (chi-square, Cramér's V, Holm-Šidák-adjusted
    p), and assessors whose ratings stand out."""

    kind = DashboardFigure.Kind.CONSISTENCY
    statements = _consistency_statements

    @extend_schema(parameters=[FigureQuerySerializer], responses=DashboardFigureSerializer)
    def get(self, request):
        return super().get(request)


class EffectivenessView(_FigureView):
    """Effectiveness of the standard (scheme unit only): holders against comparable
    non-holders, and organisations before and after their first certificate, per measure,
    with intervals and effect sizes."""

    kind = DashboardFigure.Kind.EFFECTIVENESS
    statements = _effectiveness_statements

    @extend_schema(parameters=[FigureQuerySerializer], responses=DashboardFigureSerializer)
    def get(self, request):
        return super().get(request)
