from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from common.api import MembershipScopedMixin, id_filterset
from organisations.models import Organisation

from . import evidence as evidence_services
from . import services
from .models import Action, Evidence, Rating, SelfAssessment
from .serializers import (
    ActionSerializer,
    EvidenceCreateSerializer,
    EvidenceSerializer,
    RatingSerializer,
    RatingUpdateSerializer,
    SelfAssessmentSerializer,
    SelfAssessmentStartSerializer,
)


class SelfAssessmentViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Self-assessments the active membership may see (its own, or shared with its body)."""

    queryset = SelfAssessment.objects.select_related("standard")
    serializer_class = SelfAssessmentSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(SelfAssessment, ids=["organisation"], fields=["status"])

    @extend_schema(request=SelfAssessmentStartSerializer, responses={201: SelfAssessmentSerializer})
    def create(self, request, *args, **kwargs):
        """Start a new draft, carried forward from the last version."""
        data = SelfAssessmentStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = None
        if data.validated_data.get("organisation"):
            organisation = (
                Organisation.objects.visible_to(request.membership)
                .filter(pk=data.validated_data["organisation"])
                .first()
            )
            if organisation is None:
                raise ValidationError({"organisation": "No such organisation of yours."})
        started = services.self_assessment_start(
            membership=request.membership, organisation=organisation
        )
        return Response(SelfAssessmentSerializer(started).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: SelfAssessmentSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, format=None):
        """Submit the draft: it is frozen from then on."""
        self_assessment = self.get_object()
        services.self_assessment_submit(
            membership=request.membership, self_assessment=self_assessment
        )
        self_assessment.refresh_from_db()
        return Response(SelfAssessmentSerializer(self_assessment).data)


class RatingViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Element ratings. Send the `version` you read; a newer one answers 409."""

    queryset = Rating.objects.select_related("element").prefetch_related("evidence")
    serializer_class = RatingSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(Rating, ids=["self_assessment"], fields=["value"])

    @extend_schema(
        request=RatingUpdateSerializer,
        responses={
            200: RatingSerializer,
            409: OpenApiResponse(description="Someone else saved it first."),
        },
    )
    def partial_update(self, request, pk=None, format=None):
        rating = self.get_object()
        data = RatingUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = list(
            Evidence.objects.filter(
                organisation_id=rating.self_assessment.organisation_id,
                pk__in=data.validated_data["evidence"],
            )
        )
        if len(evidence) != len(set(data.validated_data["evidence"])):
            raise ValidationError({"evidence": "Unknown evidence for this organisation."})
        try:
            rating = services.rating_save(
                membership=request.membership,
                rating=rating,
                expected_version=data.validated_data["version"],
                data=services.RatingInput(
                    value=data.validated_data["value"],
                    narrative=data.validated_data["narrative"],
                    evidence=evidence,
                    is_corporate=data.validated_data["is_corporate"],
                ),
            )
        except services.RatingConflict as conflict:
            return Response(
                {
                    "detail": conflict.messages[0],
                    "current": RatingSerializer(conflict.current).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(RatingSerializer(rating).data)


class EvidenceViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The organisation's evidence library. Files are uploaded as multipart form data."""

    queryset = Evidence.objects.all()
    serializer_class = EvidenceSerializer
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ["kind"]

    @extend_schema(request=EvidenceCreateSerializer, responses={201: EvidenceSerializer})
    def create(self, request, *args, **kwargs):
        data = EvidenceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = evidence_services.evidence_add(
            membership=request.membership,
            kind=values["kind"],
            title=values["title"],
            review_date=values.get("review_date"),
            upload=values.get("upload"),
            url=values.get("url", ""),
            text=values.get("text", ""),
        )
        return Response(EvidenceSerializer(item).data, status=status.HTTP_201_CREATED)


class ActionViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The action plan: one or more actions per gap."""

    queryset = Action.objects.select_related("element")
    serializer_class = ActionSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(Action, ids=["self_assessment"], fields=["status"])

    @extend_schema(request=ActionSerializer, responses={200: ActionSerializer})
    def update(self, request, pk=None, format=None):
        item = self.get_object()
        data = ActionSerializer(item, data=request.data)
        data.is_valid(raise_exception=True)
        item = services.action_update(
            membership=request.membership,
            action=item,
            description=data.validated_data["description"],
            owner=data.validated_data.get("owner", ""),
            due_date=data.validated_data.get("due_date"),
            status=data.validated_data["status"],
        )
        return Response(ActionSerializer(item).data)
