from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response as APIResponse

from common.api import MembershipScopedMixin, id_filterset
from organisations.models import Organisation

from . import analysis, imports, selectors, services
from .models import ImportJob, Response, Survey
from .serializers import (
    ImportFieldSerializer,
    ImportJobListSerializer,
    ImportJobSerializer,
    ImportMappingSerializer,
    ImportUploadSerializer,
    ResponseSerializer,
    SurveyInputSerializer,
    SurveySerializer,
)


class SurveyViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Customer surveys the active membership may see, with their method check. A
    regulator an organisation consented to sees its latest survey that meets the method."""

    queryset = Survey.objects.select_related("standard").prefetch_related("questions", "groups")
    serializer_class = SurveySerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(Survey, ids=["organisation"], fields=["method_meets"])

    @extend_schema(request=SurveyInputSerializer, responses={201: SurveySerializer})
    def create(self, request, *args, **kwargs):
        """Set up a survey with the standard's core questions."""
        data = SurveyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = None
        if data.validated_data.get("organisation"):
            organisation = (
                Organisation.objects.visible_to(request.membership)
                .filter(pk=data.validated_data["organisation"])
                .first()
            )
            if organisation is None:
                raise ValidationError({"organisation": _("No such organisation of yours.")})
        survey = services.survey_create(
            membership=request.membership, organisation=organisation, data=data.to_input()
        )
        return APIResponse(SurveySerializer(survey).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SurveyInputSerializer, responses={200: SurveySerializer})
    def update(self, request, pk=None, format=None):
        """Change the survey and its method; the method is checked again."""
        survey = self.get_object()
        data = SurveyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unchangeable = {"organisation", "groups"} & set(request.data)
        if unchangeable:
            raise ValidationError(
                {
                    name: _("This cannot be changed once the survey is set up.")
                    for name in unchangeable
                }
            )
        survey = services.survey_update(
            membership=request.membership, survey=survey, data=data.to_input()
        )
        return APIResponse(SurveySerializer(self.get_queryset().get(pk=survey.pk)).data)

    @extend_schema(responses={200: ImportFieldSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def fields(self, request, pk=None, format=None):
        """The survey fields a results file's columns are matched to."""
        survey = self.get_object()
        return APIResponse(ImportFieldSerializer(imports.import_fields(survey), many=True).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def analysis(self, request, pk=None, format=None):
        """Driver scores with 95% intervals, breakdowns with small groups suppressed,
        key-driver analysis and the change since the last survey."""
        survey = self.get_object()
        return APIResponse(analysis.cached_survey_analysis(survey))


class ResponseViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Stored responses, one per respondent, for the organisation that ran the survey
    (and its headquarters). Filter by `survey`."""

    queryset = Response.objects.all()

    def get_queryset(self):
        return selectors.readable_responses(self.request.membership)

    serializer_class = ResponseSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(Response, ids=["survey"], fields=["channel", "source"])


class ImportJobViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Results uploads: upload a file, match its columns, then follow its status. A file
    with any mistake stores nothing; `errors` lists them by row and column."""

    queryset = ImportJob.objects.all()
    serializer_class = ImportJobSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(ImportJob, ids=["survey"], fields=["status"])
    parser_classes = [MultiPartParser, FormParser]

    # A job whose worker stopped is answered as failed, never as still running.
    def get_object(self):
        return imports.import_job_settle(super().get_object())

    def list(self, request, *args, **kwargs):
        imports.import_jobs_stop_stalled(self.filter_queryset(self.get_queryset()))
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self):
        # A list leaves out each job's columns, first rows and errors, so it stays small.
        return ImportJobListSerializer if self.action == "list" else ImportJobSerializer

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: inline_serializer(
                "ImportUploaded",
                {
                    "job": ImportJobSerializer(),
                    "suggested_mapping": serializers.DictField(child=serializers.CharField()),
                },
            )
        },
    )
    def create(self, request, *args, **kwargs):
        """Upload a CSV or XLSX file. The file is checked by a worker: while the job's
        status is `checking`, follow it (GET the job); at `mapping` it has the file's
        columns and first rows, at `refused` its `failure` says why the file cannot be
        imported. A suggested mapping is answered when the check is already done.
        Nothing is stored until the mapping is confirmed."""
        data = ImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        survey = get_object_or_404(
            Survey.objects.visible_to(request.membership), pk=data.validated_data["survey"]
        )
        try:
            job = imports.import_job_create(
                membership=request.membership, survey=survey, upload=data.validated_data["file"]
            )
        except DjangoValidationError as error:
            raise ValidationError({"file": error.messages}) from error
        job.refresh_from_db()  # a worker may have checked it already
        mapping = imports.suggested_mapping(job) if job.status == ImportJob.Status.MAPPING else {}
        body = {"job": ImportJobSerializer(job).data, "suggested_mapping": mapping}
        return APIResponse(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=ImportMappingSerializer, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser, MultiPartParser])
    def confirm(self, request, pk=None, format=None):
        """Confirm which column holds which survey field; checking and storing start."""
        job = self.get_object()
        data = ImportMappingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = imports.import_job_confirm(
            membership=request.membership, job=job, mapping=data.validated_data["mapping"]
        )
        return APIResponse(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser, MultiPartParser])
    def retry(self, request, pk=None, format=None):
        """Queue a failed job, or one whose worker stopped, again."""
        job = self.get_object()
        imports.import_job_retry(membership=request.membership, job=job)
        job.refresh_from_db()
        return APIResponse(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
