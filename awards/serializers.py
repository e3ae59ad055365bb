from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import selectors
from .models import AwardCycle, Candidate, Category, JudgingCriterion


class JudgingCriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = JudgingCriterion
        fields = ["id", "title", "description", "weight", "max_score", "position"]


class AwardCycleSerializer(serializers.ModelSerializer):
    stage = serializers.SerializerMethodField(
        help_text="preparing, nominations, judging, deciding or published"
    )
    criteria = JudgingCriterionSerializer(many=True, read_only=True)

    class Meta:
        model = AwardCycle
        fields = [
            "id",
            "year",
            "title",
            "nominations_open",
            "nominations_close",
            "judging_ends",
            "stage",
            "published_at",
            "criteria",
        ]

    def get_stage(self, cycle) -> str:
        return selectors.cycle_stage(cycle)


class AwardCycleInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    title = serializers.CharField(max_length=200)
    nominations_open = serializers.DateField()
    nominations_close = serializers.DateField()
    judging_ends = serializers.DateField()


class CandidateSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Candidate
        fields = ["rank", "organisation", "organisation_name", "score", "reasons", "computed_at"]


class CategorySerializer(serializers.ModelSerializer):
    cycle_year = serializers.IntegerField(source="cycle.year", read_only=True)
    criterion_number = serializers.IntegerField(source="criterion.number", read_only=True)
    criterion_title = serializers.CharField(source="criterion.title", read_only=True)
    sector_slug = serializers.SlugField(source="sector.slug", read_only=True)
    candidates = serializers.SerializerMethodField(
        help_text="The shortlist from the evidence, for the scheme unit only (null for others)."
    )

    class Meta:
        model = Category
        fields = [
            "id",
            "cycle",
            "cycle_year",
            "criterion",
            "criterion_number",
            "criterion_title",
            "sector",
            "sector_slug",
            "kind",
            "level",
            "candidates",
        ]

    @extend_schema_field(CandidateSerializer(many=True, allow_null=True))
    def get_candidates(self, category):
        if not self.context.get("show_candidates"):
            return None
        return CandidateSerializer(category.candidates.all(), many=True).data
