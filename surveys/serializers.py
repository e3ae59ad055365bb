from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .imports import import_job_progress, suggested_mapping
from .models import (
    Channel,
    GroupAttribute,
    ImportJob,
    Mode,
    Response,
    SamplingApproach,
    Survey,
    SurveyQuestion,
)
from .services import SUGGESTED_GROUPS, SurveyInput, method_check


class SurveyQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyQuestion
        fields = ["id", "code", "wording", "kind", "position"]


class GroupAttributeSerializer(serializers.ModelSerializer):
    class Meta:
        model = GroupAttribute
        fields = ["id", "code", "label", "values", "position"]


class MethodReasonSerializer(serializers.Serializer):
    rule = serializers.CharField()
    passed = serializers.BooleanField()
    message = serializers.CharField()


class SurveySerializer(serializers.ModelSerializer):
    standard = serializers.CharField(source="standard.version", read_only=True)
    questions = SurveyQuestionSerializer(many=True, read_only=True)
    groups = GroupAttributeSerializer(many=True, read_only=True)
    method_reasons = serializers.SerializerMethodField()
    response_rate = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "organisation",
            "standard",
            "title",
            "period_start",
            "period_end",
            "channels",
            "includes_importance",
            "population",
            "sampling_approach",
            "mode",
            "fieldwork_start",
            "fieldwork_end",
            "invited_count",
            "core_wording_confirmed",
            "response_count",
            "response_rate",
            "method_meets",
            "method_reasons",
            "method_checked_at",
            "questions",
            "groups",
        ]
        read_only_fields = fields

    @extend_schema_field(MethodReasonSerializer(many=True))
    def get_method_reasons(self, survey) -> list[dict]:
        return method_check(survey).reasons


class SurveyInputSerializer(serializers.Serializer):
    """What a client sends to set up or change a survey."""

    organisation = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    title = serializers.CharField(max_length=200)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), min_length=1, max_length=4
    )
    sampling_approach = serializers.ChoiceField(choices=SamplingApproach.choices)
    mode = serializers.ChoiceField(choices=Mode.choices)
    includes_importance = serializers.BooleanField(default=False)
    population = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1
    )
    fieldwork_start = serializers.DateField(required=False, allow_null=True)
    fieldwork_end = serializers.DateField(required=False, allow_null=True)
    invited_count = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1
    )
    core_wording_confirmed = serializers.BooleanField(default=False)
    groups = serializers.ListField(
        child=serializers.ChoiceField(choices=list(SUGGESTED_GROUPS)),
        required=False,
        default=list,
        help_text="Customer group attributes to record, from the suggested ones; only when "
        "setting up a survey (groups of one's own are added on the survey's pages).",
    )

    def validate_groups(self, groups):
        if len(set(groups)) != len(groups):
            raise serializers.ValidationError(_("Name each customer group once."))
        return groups

    def to_input(self) -> SurveyInput:
        data = dict(self.validated_data)
        data.pop("organisation", None)
        return SurveyInput(**data)


class ResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Response
        fields = [
            "id",
            "survey",
            "respondent_id",
            "source",
            "channel",
            "site",
            "responded_on",
            "overall",
            "delivery",
            "timeliness",
            "information",
            "professionalism",
            "staff_attitude",
            "importance_delivery",
            "importance_timeliness",
            "importance_information",
            "importance_professionalism",
            "importance_staff_attitude",
            "extra",
            "groups",
        ]
        read_only_fields = fields


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    value = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    errors = ImportErrorSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()
    suggested_mapping = serializers.SerializerMethodField()

    def get_progress(self, job) -> int:
        return import_job_progress(job)

    def get_suggested_mapping(self, job) -> dict[str, str]:
        """Once the file is checked (`mapping`), which column seems to hold which field."""
        return suggested_mapping(job) if job.status == ImportJob.Status.MAPPING else {}

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "survey",
            "original_name",
            "sha256",
            "size",
            "file_format",
            "encoding",
            "delimiter",
            "columns",
            "preview",
            "mapping",
            "suggested_mapping",
            "status",
            "progress",
            "total_rows",
            "stored_rows",
            "error_count",
            "errors",
            "failure",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportJobListSerializer(ImportJobSerializer):
    class Meta(ImportJobSerializer.Meta):
        fields = [
            f
            for f in ImportJobSerializer.Meta.fields
            if f not in ("columns", "preview", "errors", "suggested_mapping")
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    survey = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    file = serializers.FileField()


class ImportMappingSerializer(serializers.Serializer):
    mapping = serializers.DictField(
        child=serializers.CharField(max_length=255),
        help_text="Survey field key (see `fields`) → column name in the file.",
    )


class ImportFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()
    kind = serializers.CharField()
