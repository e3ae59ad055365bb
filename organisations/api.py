from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import MembershipScopedMixin, id_filterset

from . import services
from .models import Membership, Organisation, Sector, Site
from .serializers import (
    MeSerializer,
    OrganisationSerializer,
    SectorSerializer,
    SiteCreateSerializer,
    SiteSerializer,
)


class SectorViewSet(viewsets.ReadOnlyModelViewSet):
    """The fields of public service, with their workforce. Public."""

    queryset = Sector.objects.all()
    serializer_class = SectorSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "slug"
    pagination_class = None


class OrganisationViewSet(MembershipScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Organisations the active membership may see."""

    queryset = Organisation.objects.select_related("sector")
    serializer_class = OrganisationSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(
        Organisation, ids=["parent"], fields=["kind", "sector__slug", "region", "legal_form"]
    )


class SiteViewSet(
    MembershipScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Sites of the organisations the active membership may see; admins change them."""

    queryset = Site.objects.select_related("organisation")
    serializer_class = SiteSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(
        Site, ids=["organisation"], fields=["region", "is_central_function"]
    )

    def get_serializer_class(self):
        return SiteCreateSerializer if self.action == "create" else SiteSerializer

    def perform_create(self, serializer):
        site = Site(**serializer.validated_data)
        serializer.instance = services.site_save(membership=self.request.membership, site=site)

    def perform_update(self, serializer):
        site = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(site, name, value)
        services.site_save(membership=self.request.membership, site=site)

    def perform_destroy(self, instance):
        services.site_delete(membership=self.request.membership, site=instance)


class MeView(APIView):
    """The signed-in person and the organisations they act for."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        data = {
            "email": request.user.email,
            "full_name": request.user.full_name,
            "active_membership": request.membership,
            "memberships": Membership.objects.filter(user=request.user)
            .select_related("organisation")
            .order_by("organisation__name", "pk"),
        }
        return Response(MeSerializer(data).data)
