"""The case-study API: anyone reads the published case studies (filtered by sector,
criterion, element and words); a holder's administrators and editors also see their
own, in every state, and write, change and submit them through the services.

A case study that is neither published nor the reader's own answers 404."""

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from common.text import clean_text
from organisations.policy import visible_organisations
from standard.models import Criterion, Element
from standard.selectors import public_standards

from . import case_studies
from .models import CaseStudy

MAX_ID = 2**63 - 1


class CaseStudySerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    sector = serializers.SlugRelatedField(
        source="organisation.sector", slug_field="slug", read_only=True
    )
    criterion = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    criterion_title = serializers.CharField(source="criterion.title", read_only=True)
    standard_version = serializers.CharField(source="criterion.standard.version", read_only=True)
    elements = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    review_note = serializers.SerializerMethodField()

    class Meta:
        model = CaseStudy
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "sector",
            "criterion",
            "criterion_title",
            "standard_version",
            "elements",
            "title",
            "summary",
            "body",
            "contact",
            "status",
            "published_at",
            "review_note",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.CharField(help_text="The scheme unit's note; empty unless it is yours.")
    )
    def get_review_note(self, case_study) -> str:
        if case_study.organisation_id in self.context.get("own_organisations", ()):
            return case_study.review_note
        return ""


class CaseStudyInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    elements = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=100,
    )
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=2000)
    body = serializers.CharField(max_length=30000)
    contact = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


def _case_study_input(request) -> case_studies.CaseStudyInput:
    data = CaseStudyInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    criterion = (
        Criterion.objects.filter(standard__in=public_standards(), pk=values["criterion"])
        .select_related("standard")
        .first()
    )
    if criterion is None:
        raise ValidationError({"criterion": _("No such criterion in a published standard.")})
    elements = list(Element.objects.filter(criterion=criterion, pk__in=values["elements"]))
    if len(elements) != len(set(values["elements"])):
        raise ValidationError({"elements": _("Choose elements of the criterion.")})
    return case_studies.CaseStudyInput(
        criterion=criterion,
        elements=elements,
        title=values["title"],
        summary=values["summary"],
        body=values["body"],
        contact=values["contact"],
    )


FILTERS = [
    OpenApiParameter("sector", str, description="A sector's slug, for example housing."),
    OpenApiParameter("criterion", str, description="A criterion's slug, for example timeliness."),
    OpenApiParameter("element", str, description="An element's code, for example 3.4."),
    OpenApiParameter("search", str, description="Words, each found in the text or the name."),
    OpenApiParameter(
        "status",
        str,
        enum=CaseStudy.Status.values,
        description="Your own case studies in this state (others' are all published).",
    ),
]


class CaseStudyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Case studies: the published ones, and your organisation's own in every state."""

    queryset = CaseStudy.objects.select_related(
        "organisation__sector", "criterion__standard"
    ).prefetch_related("elements")
    serializer_class = CaseStudySerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    filter_backends = []

    def _membership(self):
        return getattr(self.request, "membership", None)

    def get_queryset(self):
        own = CaseStudy.objects.visible_to(self._membership()).values("pk")
        readable = self.queryset.filter(Q(status=CaseStudy.Status.APPROVED) | Q(pk__in=own))
        return readable.order_by("-published_at", "-pk")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        params = self.request.query_params

        def text(name: str, limit: int) -> str:
            return clean_text(params.get(name, ""))[:limit]

        queryset = case_studies.filter_case_studies(
            queryset,
            q=text("search", case_studies.MAX_QUERY_LENGTH),
            sector=text("sector", 50),
            criterion=text("criterion", 50),
            element=text("element", 10),
        )
        if params.get("status") in CaseStudy.Status.values:
            queryset = queryset.filter(status=params["status"])
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        membership = self._membership()
        if membership is not None and membership.is_scheme:
            context["own_organisations"] = _Everything()
        else:
            organisations = visible_organisations(membership).values_list("pk", flat=True)
            context["own_organisations"] = set(organisations)
        return context

    @extend_schema(
        parameters=FILTERS,
        responses={
            200: CaseStudySerializer(many=True),
            404: OpenApiResponse(description="No such page of results."),
        },
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=CaseStudyInputSerializer, responses={201: CaseStudySerializer})
    def create(self, request, format=None):
        """Write a draft for your organisation (administrators and editors of a holder)."""
        case_study = case_studies.case_study_create(
            membership=self._membership(), data=_case_study_input(request)
        )
        data = self.get_serializer(case_study).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseStudyInputSerializer, responses={200: CaseStudySerializer})
    def partial_update(self, request, pk=None, format=None):
        """Change a draft or a returned case study; send every field."""
        case_study = case_studies.case_study_update(
            membership=self._membership(),
            case_study=self.get_object(),
            data=_case_study_input(request),
        )
        return Response(self.get_serializer(case_study).data)

    @extend_schema(request=None, responses={200: CaseStudySerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, format=None):
        """Send it to the scheme unit for approval."""
        case_study = case_studies.case_study_submit(
            membership=self._membership(), case_study=self.get_object()
        )
        return Response(self.get_serializer(case_study).data)


class _Everything:
    """The scheme unit reads every organisation's notes."""

    def __contains__(self, item) -> bool:
        return True
