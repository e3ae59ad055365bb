"""The benchmarking API: organisations' benchmark reports and the sector figures behind
them, scoped like the pages. An organisation reads its own report (a headquarters its
units' too) and its sector's and peer groups' figures, never another organisation's
scores; the scheme unit reads every applicant's."""

from django.db.models import F
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.response import Response

from common.api import id_filterset
from organisations.models import Organisation

from . import selectors
from .models import SectorFigure
from .serializers import BenchmarkSerializer, SectorFigureSerializer, YearQuerySerializer


class BenchmarkViewSet(viewsets.GenericViewSet):
    """Benchmark reports: per measure the organisation's score with its 95% interval
    against its sector's and peer groups' distributions, its trend, where it improved
    and where peers do better. `year` picks the year (default: its latest with scores)."""

    queryset = Organisation.objects.none()
    serializer_class = BenchmarkSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        return (
            selectors.benchmarked_organisations(self.request.membership)
            .select_related("sector")
            .order_by("name", "pk")
        )

    def _year(self):
        query = YearQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data.get("year")

    @extend_schema(parameters=[YearQuerySerializer])
    def list(self, request, *args, **kwargs):
        year = self._year()
        page = self.paginate_queryset(self.get_queryset())
        reports = selectors.organisation_benchmarks(page, year=year)
        data = BenchmarkSerializer([reports[o.pk] for o in page], many=True).data
        return self.get_paginated_response(data)

    @extend_schema(parameters=[YearQuerySerializer])
    def retrieve(self, request, *args, **kwargs):
        year = self._year()
        organisation = self.get_object()
        report = selectors.organisation_benchmark(organisation, year=year)
        return Response(BenchmarkSerializer(report).data)


class SectorFigureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The distributions of organisations' scores in your sector and your peer groups,
    per year and measure. Only whole sectors and groups: rows with fewer organisations
    than the minimum, or that would let one be worked out from another, are suppressed
    and carry only their count. Filter by `year`, `measure` and `peer_group`."""

    queryset = SectorFigure.objects.all()
    serializer_class = SectorFigureSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(SectorFigure, ids=["peer_group"], fields=["year", "measure"])

    def get_queryset(self):
        return (
            selectors.readable_figures(self.request.membership)
            .select_related("sector", "peer_group")
            .order_by(
                "sector__name",
                "sector_id",
                F("peer_group__name").asc(nulls_first=True),
                "peer_group_id",
                "-year",
                "measure",
            )
        )
