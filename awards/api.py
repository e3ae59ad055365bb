"""The awards API for cycles and categories: anyone reads the public cycles (from the day
nominations open) and their categories; the scheme unit reads every cycle and each
category's shortlist, and its administrators set cycles up through the services."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response

from common.api import id_filterset

from . import selectors, services
from .models import Candidate, Category
from .serializers import AwardCycleInputSerializer, AwardCycleSerializer, CategorySerializer


def _membership(request):
    return getattr(request, "membership", None)


class AwardCycleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Award cycles, with their dates, stage and judging criteria."""

    serializer_class = AwardCycleSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    filterset_fields = ["year"]

    def get_queryset(self):
        return selectors.cycles_for(_membership(self.request)).prefetch_related("criteria")

    @extend_schema(request=AwardCycleInputSerializer, responses={201: AwardCycleSerializer})
    def create(self, request, *args, **kwargs):
        """Set up a cycle (scheme administrators)."""
        data = AwardCycleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cycle = services.cycle_create(
            membership=_membership(request), data=services.CycleInput(**data.validated_data)
        )
        return Response(AwardCycleSerializer(cycle).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AwardCycleInputSerializer, responses={200: AwardCycleSerializer})
    def update(self, request, *args, **kwargs):
        """Change a cycle's year, title or dates until nominations open (scheme
        administrators)."""
        cycle = self.get_object()
        data = AwardCycleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cycle = services.cycle_update(
            membership=_membership(request),
            cycle=cycle,
            data=services.CycleInput(**data.validated_data),
        )
        return Response(AwardCycleSerializer(cycle).data)

    @extend_schema(
        request=AwardCycleInputSerializer(partial=True), responses={200: AwardCycleSerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        """Change some of a cycle's year, title or dates until nominations open."""
        cycle = self.get_object()
        data = AwardCycleInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {name: getattr(cycle, name) for name in AwardCycleInputSerializer().fields}
        values.update(data.validated_data)
        cycle = services.cycle_update(
            membership=_membership(request), cycle=cycle, data=services.CycleInput(**values)
        )
        return Response(AwardCycleSerializer(cycle).data)


class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A cycle's categories: criterion, sector, kind and level; with the shortlist
    computed from the evidence for the scheme unit."""

    serializer_class = CategorySerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = id_filterset(
        Category, ids=["cycle", "sector", "criterion"], fields=["kind", "level"]
    )

    def get_queryset(self):
        categories = selectors.categories_for(_membership(self.request)).order_by(
            "-cycle__year", "criterion__number", "sector__name", "kind", "level"
        )
        if self._show_candidates():
            candidates = (
                Candidate.objects.visible_to(_membership(self.request))
                .select_related("organisation")
                .order_by("rank")
            )
            categories = categories.prefetch_related(Prefetch("candidates", queryset=candidates))
        return categories

    def _show_candidates(self) -> bool:
        return selectors.is_scheme_member(_membership(self.request))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "show_candidates": self._show_candidates()}
