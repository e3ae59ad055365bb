"""What the benchmarking API answers: an organisation's benchmark report (the plain data
of `selectors.organisation_benchmark`, described here for the schema) and sector figures."""

from rest_framework import serializers

from .models import Measure, SectorFigure
from .selectors import ABOVE, BELOW, PEER_GROUP, SAME, SECTOR

COMPARISON_KINDS = [(SECTOR, "Sector"), (PEER_GROUP, "Peer group")]


def _number(**options):
    return serializers.FloatField(required=False, allow_null=True, **options)


class NamedSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    name = serializers.CharField()


class OwnScoreSerializer(serializers.Serializer):
    """The organisation's own score on one measure; only `message` when none is shown."""

    suppressed = serializers.BooleanField()
    message = serializers.CharField(required=False)
    survey_title = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False)
    mean = _number(help_text="Mean answer, 1 to 5.")
    mean_low = _number()
    mean_high = _number()
    score_100 = _number(help_text="The score on 0 to 100: (mean - 1) x 25.")
    score_100_low = _number(help_text="The 95% interval of the score.")
    score_100_high = _number()
    satisfied_pct = _number(help_text="Share answering 4 or 5, in per cent.")
    satisfied_pct_low = _number()
    satisfied_pct_high = _number()


class FigureSerializer(serializers.Serializer):
    """A sector's or peer group's distribution, or only why it is not shown."""

    shown = serializers.BooleanField()
    organisations = serializers.IntegerField()
    message = serializers.CharField(allow_blank=True)
    mean = _number()
    lower_quartile = _number()
    median = _number()
    upper_quartile = _number()
    deciles = serializers.ListField(
        child=serializers.FloatField(), required=False, help_text="10th to 90th percentiles."
    )
    share_satisfied_pct = _number()


class PositionRowSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=Measure.choices)
    label = serializers.CharField()
    own = OwnScoreSerializer()
    figure = FigureSerializer()
    quartile = serializers.IntegerField(allow_null=True, help_text="1 (bottom) to 4 (top).")
    quartile_label = serializers.CharField(required=False)
    decile = serializers.IntegerField(allow_null=True, help_text="1 (bottom) to 10 (top).")
    decile_label = serializers.CharField(required=False)
    difference = serializers.ChoiceField(
        choices=[ABOVE, BELOW, SAME],
        allow_null=True,
        help_text="Against the median: above or below when the median lies outside the "
        "score's 95% interval, otherwise the same.",
    )
    gap = _number(help_text="Score less the median, in points.")
    statement = serializers.CharField(allow_blank=True)


class ComparisonSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=COMPARISON_KINDS)
    pk = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    title = serializers.CharField()
    rows = PositionRowSerializer(many=True)


class TrendPointSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    score = _number()
    sector_median = _number(help_text="Null where the sector's figure is not shown.")


class TrendRowSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=Measure.choices)
    label = serializers.CharField()
    points = TrendPointSerializer(many=True)


class TrendSerializer(serializers.Serializer):
    years = serializers.ListField(child=serializers.IntegerField())
    rows = TrendRowSerializer(many=True)


class ChangeRowSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=Measure.choices)
    label = serializers.CharField()
    compared = serializers.BooleanField()
    improved = serializers.BooleanField()
    statement = serializers.CharField()
    score_before = _number()
    score_now = _number()
    points = _number()
    points_low = _number()
    points_high = _number()
    p_value = _number()
    real_change = serializers.BooleanField(required=False)


class ChangeSerializer(serializers.Serializer):
    available = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    previous_year = serializers.IntegerField(required=False)
    rows = ChangeRowSerializer(many=True)
    improved = serializers.ListField(child=serializers.CharField())


class PeersDoBetterSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=Measure.choices)
    label = serializers.CharField()
    comparison = serializers.CharField()
    kind = serializers.ChoiceField(choices=COMPARISON_KINDS)
    score = serializers.FloatField()
    median = serializers.FloatField()
    gap = serializers.FloatField(help_text="Points below the median.")


class BenchmarkSerializer(serializers.Serializer):
    """An organisation's benchmark report for one year."""

    organisation = NamedSerializer()
    sector = NamedSerializer(allow_null=True)
    minimum_organisations = serializers.IntegerField()
    confidence_pct = serializers.IntegerField()
    years = serializers.ListField(
        child=serializers.IntegerField(), help_text="Years with scores, latest first."
    )
    year = serializers.IntegerField(allow_null=True)
    available = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    comparisons = ComparisonSerializer(many=True)
    trend = TrendSerializer()
    change = ChangeSerializer()
    peers_do_better = PeersDoBetterSerializer(many=True)


class YearQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=1900, max_value=2999, help_text="Default: the latest."
    )


class SectorFigureSerializer(serializers.ModelSerializer):
    """One distribution of organisations' 0 to 100 scores. A suppressed row carries only
    its count of organisations."""

    sector_name = serializers.CharField(source="sector.name", read_only=True)
    peer_group_name = serializers.CharField(
        source="peer_group.name", read_only=True, allow_null=True, default=None
    )
    deciles = serializers.ListField(
        child=serializers.FloatField(),
        read_only=True,
        allow_null=True,
        help_text="10th to 90th percentiles of the organisations' scores.",
    )

    class Meta:
        model = SectorFigure
        fields = [
            "id",
            "sector",
            "sector_name",
            "peer_group",
            "peer_group_name",
            "year",
            "measure",
            "organisations",
            "suppressed",
            *SectorFigure.FIGURES,
            "computed_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.suppressed:
            # Whatever a row holds, a suppressed one never shows a figure.
            data.update(dict.fromkeys(SectorFigure.FIGURES))
        return data
