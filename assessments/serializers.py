from rest_framework import serializers

from .models import Action, Evidence, Rating, RatingValue, SelfAssessment


class SelfAssessmentSerializer(serializers.ModelSerializer):
    standard = serializers.CharField(source="standard.version", read_only=True)

    class Meta:
        model = SelfAssessment
        fields = [
            "id",
            "organisation",
            "standard",
            "number",
            "status",
            "based_on",
            "created_at",
            "submitted_at",
        ]
        read_only_fields = fields


class SelfAssessmentStartSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(
        required=False, help_text="A unit of your programme; your own organisation by default."
    )


class RatingSerializer(serializers.ModelSerializer):
    element = serializers.CharField(source="element.code", read_only=True)
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Rating
        fields = [
            "id",
            "self_assessment",
            "element",
            "value",
            "narrative",
            "evidence",
            "is_corporate",
            "version",
            "updated_at",
            "carry_note",
            "review",
            "review_comment",
        ]
        read_only_fields = fields


class RatingUpdateSerializer(serializers.Serializer):
    value = serializers.ChoiceField(
        choices=[("", "Not rated")] + RatingValue.choices, allow_blank=True
    )
    narrative = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=20_000
    )
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=500,
    )
    is_corporate = serializers.BooleanField(required=False, default=False)
    version = serializers.IntegerField(
        min_value=0, help_text="The version you read; a newer one on the server answers 409."
    )


class EvidenceSerializer(serializers.ModelSerializer):
    is_stale = serializers.BooleanField(read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "title",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "url",
            "text",
            "review_date",
            "is_stale",
            "added_at",
        ]
        read_only_fields = fields


class EvidenceCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices)
    upload = serializers.FileField(required=False)
    url = serializers.URLField(required=False, max_length=500)
    text = serializers.CharField(required=False)
    review_date = serializers.DateField(required=False, allow_null=True)


class ActionSerializer(serializers.ModelSerializer):
    element = serializers.CharField(source="element.code", read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "self_assessment",
            "element",
            "description",
            "owner",
            "due_date",
            "status",
            "updated_at",
        ]
        read_only_fields = ["id", "self_assessment", "element", "updated_at"]
        extra_kwargs = {"description": {"required": True}, "status": {"required": True}}
