from django.db.models import Prefetch
from rest_framework import permissions, viewsets

from .models import Criterion
from .selectors import public_standards
from .serializers import StandardDetailSerializer, StandardSerializer


class StandardViewSet(viewsets.ReadOnlyModelViewSet):
    """Published and retired versions of the standard, with their full content. Public."""

    permission_classes = [permissions.AllowAny]
    lookup_field = "version"
    lookup_value_regex = "[^/]+"
    pagination_class = None

    def get_queryset(self):
        queryset = public_standards().select_related("previous")
        if self.action == "retrieve":
            criteria = Criterion.objects.prefetch_related("elements", "levels")
            queryset = queryset.prefetch_related(
                Prefetch("criteria", queryset=criteria), "core_questions"
            )
        return queryset

    def get_serializer_class(self):
        return StandardDetailSerializer if self.action == "retrieve" else StandardSerializer
