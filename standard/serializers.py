from rest_framework import serializers

from .models import CoreQuestion, Criterion, Element, Standard


class ElementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Element
        fields = ["code", "title", "requirement", "guidance", "evidence_examples"]


class CriterionSerializer(serializers.ModelSerializer):
    elements = ElementSerializer(many=True, read_only=True)
    levels = serializers.SerializerMethodField()

    class Meta:
        model = Criterion
        fields = ["number", "slug", "title", "driver", "summary", "levels", "elements"]

    def get_levels(self, criterion) -> dict[str, str]:
        return {d.level: d.description for d in criterion.levels.all()}


class CoreQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CoreQuestion
        fields = ["code", "driver", "kind", "required", "wording"]


class StandardSerializer(serializers.ModelSerializer):
    previous_version = serializers.CharField(
        source="previous.version", default=None, allow_null=True
    )

    class Meta:
        model = Standard
        fields = ["version", "title", "summary", "status", "published_on", "previous_version"]


class StandardDetailSerializer(StandardSerializer):
    criteria = CriterionSerializer(many=True, read_only=True)
    core_questions = CoreQuestionSerializer(many=True, read_only=True)

    class Meta(StandardSerializer.Meta):
        fields = StandardSerializer.Meta.fields + ["criteria", "core_questions"]
