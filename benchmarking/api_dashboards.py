"""The scheme dashboards' figures as JSON: the same reads as the pages, with the filters
as query parameters. The scheme unit only (anyone else: 404); the departments' figures
also to a headquarters, for its own department."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from organisations.models import Organisation

from . import dashboards
from .forms_dashboards import FIELD_NAMES, DashboardFilterForm

FILTER_PARAMETERS = {
    "sector": OpenApiParameter("sector", str, description="A sector's slug; all if absent."),
    "region": OpenApiParameter("region", str, description="A region's code; all if absent."),
    "legal_form": OpenApiParameter(
        "legal_form", str, description="public, private or third_sector; all if absent."
    ),
    "period": OpenApiParameter("period", int, description="A year; all years if absent."),
}


def _parameters(fields=FIELD_NAMES):
    return [FILTER_PARAMETERS[name] for name in fields]


class _SchemeView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    filter_fields = FIELD_NAMES

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        membership = getattr(request, "membership", None)
        if membership is None or not membership.is_scheme:
            raise NotFound

    def filters(self):
        form = DashboardFilterForm(self.request.query_params, fields=self.filter_fields)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return form.filters


def _counts_table(table: dict) -> dict:
    return {
        "header": [str(heading) for heading in table["header"]],
        "rows": [[row["label"], *row["cells"]] for row in [*table["rows"], table["total"]]],
    }


class TableSerializer(serializers.Serializer):
    header = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="One list per row, in the header's order; the last row is the total.",
    )


class TakeUpRowSerializer(serializers.Serializer):
    sector = serializers.CharField()
    holders = serializers.IntegerField()
    employees = serializers.IntegerField()
    workforce = serializers.IntegerField(allow_null=True)
    market_share = serializers.FloatField(allow_null=True, help_text="0 to 1.")


class TakeUpView(_SchemeView):
    """Holders, their employees, the sectors' workforces and market shares by sector,
    with the total last. Shares only without a region or legal form filter."""

    @extend_schema(
        operation_id="dashboards_take_up",
        parameters=_parameters(),
        responses=inline_serializer(
            "TakeUp",
            {"on": serializers.DateField(), "rows": TakeUpRowSerializer(many=True)},
        ),
    )
    def get(self, request):
        data = dashboards.take_up(request.membership, self.filters())
        rows = [
            {
                "sector": row.sector,
                "holders": row.holders,
                "employees": row.employees,
                "workforce": row.workforce,
                "market_share": row.share,
            }
            for row in [*data["rows"], data["total"]]
        ]
        return Response({"on": data["day"], "rows": rows})


class CertificationsView(_SchemeView):
    """Decisions to certify per year, per sector and per region: first certifications
    and renewals apart."""

    @extend_schema(
        operation_id="dashboards_certifications",
        parameters=_parameters(),
        responses=inline_serializer(
            "Certifications",
            {
                "years": TableSerializer(),
                "sectors": TableSerializer(),
                "regions": TableSerializer(),
            },
        ),
    )
    def get(self, request):
        data = dashboards.certifications(request.membership, self.filters())
        return Response(
            {name: _counts_table(data[name]) for name in ("years", "sectors", "regions")}
        )


class PipelineView(_SchemeView):
    """Per sector, today: reviews due from the current standard's first reminder on (the
    header says how many days ahead), overdue, suspended, lapsed in the last 12 months."""

    filter_fields = ("sector", "region", "legal_form")

    @extend_schema(
        operation_id="dashboards_pipeline",
        parameters=_parameters(filter_fields),
        responses=TableSerializer,
    )
    def get(self, request):
        return Response(_counts_table(dashboards.pipeline(request.membership, self.filters())))


class SatisfactionCellSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    organisations = serializers.IntegerField(allow_null=True)
    suppressed = serializers.BooleanField()
    median = serializers.FloatField(allow_null=True)
    lower_quartile = serializers.FloatField(allow_null=True)
    upper_quartile = serializers.FloatField(allow_null=True)
    share_satisfied = serializers.FloatField(allow_null=True)


class SatisfactionRowSerializer(serializers.Serializer):
    sector = serializers.CharField()
    measure = serializers.CharField()
    years = SatisfactionCellSerializer(many=True)


class SatisfactionView(_SchemeView):
    """Sector figures per measure and year (scores 0 to 100); a suppressed cell has no
    figures, only that too few organisations contribute."""

    @extend_schema(
        operation_id="dashboards_satisfaction",
        parameters=_parameters(),
        responses=SatisfactionRowSerializer(many=True),
    )
    def get(self, request):
        data = dashboards.satisfaction(self.filters())
        rows = []
        for block in data["sectors"]:
            for row in block["rows"]:
                cells = [
                    _satisfaction_cell(year, cell)
                    for year, cell in zip(data["years"], row["cells"], strict=True)
                    if not cell.get("empty")
                ]
                rows.append(
                    {"sector": block["sector"].slug, "measure": row["value"], "years": cells}
                )
        return Response(rows)


def _satisfaction_cell(year: int, cell: dict) -> dict:
    suppressed = bool(cell.get("suppressed"))
    return {
        "year": year,
        "organisations": cell.get("organisations"),
        "suppressed": suppressed,
        "median": None if suppressed else cell["median"],
        "lower_quartile": None if suppressed else cell["lower_quartile"],
        "upper_quartile": None if suppressed else cell["upper_quartile"],
        "share_satisfied": None if suppressed else cell["share"],
    }


class UnitScoreSerializer(serializers.Serializer):
    measure = serializers.CharField()
    score = serializers.FloatField(allow_null=True, help_text="0 to 100.")
    low = serializers.FloatField(allow_null=True, help_text="95% interval, 0 to 100.")
    high = serializers.FloatField(allow_null=True)
    suppressed = serializers.BooleanField()


class UnitSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    name = serializers.CharField()
    is_headquarters = serializers.BooleanField()
    certificate_number = serializers.CharField(allow_null=True)
    certificate_status = serializers.CharField(allow_null=True)
    next_review_due = serializers.DateField(allow_null=True)
    year = serializers.IntegerField(allow_null=True)
    scores = UnitScoreSerializer(many=True)


class DepartmentsView(APIView):
    """The customer-experience element of a department's performance dashboard: each
    unit's certification and latest satisfaction. A headquarters' members see their own
    department; the scheme unit names one with `headquarters`."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="dashboards_departments",
        parameters=[
            OpenApiParameter(
                "headquarters",
                OpenApiTypes.INT,
                description="The headquarters' organisation id; a headquarters' own by default.",
            )
        ],
        responses=UnitSerializer(many=True),
    )
    def get(self, request):
        headquarters = self._headquarters(request)
        data = dashboards.department(request.membership, headquarters)
        return Response([_unit(row) for row in data["rows"]])

    def _headquarters(self, request) -> Organisation:
        membership = getattr(request, "membership", None)
        if membership is None:
            raise NotFound
        wanted = request.query_params.get("headquarters")
        if wanted is None:
            if membership.is_scheme:
                raise ValidationError({"headquarters": ["Give the headquarters' id."]})
            wanted = membership.organisation_id
        if not str(wanted).isdigit():
            raise ValidationError({"headquarters": ["Give the headquarters' id as a number."]})
        if not membership.is_scheme and int(wanted) != membership.organisation_id:
            raise NotFound
        headquarters = (
            Organisation.objects.visible_to(membership)
            .filter(pk=int(wanted), kind=Organisation.Kind.APPLICANT, parent__isnull=True)
            .first()
        )
        if headquarters is None or not headquarters.is_headquarters:
            raise NotFound
        return headquarters


def _unit(row: dict) -> dict:
    certificate = row["certificate"]
    return {
        "organisation": row["organisation"].pk,
        "name": row["organisation"].name,
        "is_headquarters": row["is_headquarters"],
        "certificate_number": certificate.number if certificate else None,
        "certificate_status": certificate.status if certificate else None,
        "next_review_due": row["review_due"],
        "year": row["year"],
        "scores": [
            {
                "measure": measure,
                "score": cell.get("score"),
                "low": cell.get("low"),
                "high": cell.get("high"),
                "suppressed": bool(cell.get("suppressed")),
            }
            for measure, cell in zip(dashboards.MEASURE_VALUES, row["scores"], strict=True)
        ],
    }
