"""The certification API for assessments: engagements with their plan and team, site
visits, findings and their actions, decisions and certificates. The same rules as in
`api`: reads through the tenancy policy, changes through the services."""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assessments.models import Evidence, SelfAssessment
from common.api import MembershipScopedMixin, id_filterset, whole_number_filter
from organisations.models import Membership
from standard.models import Element

from . import decisions, services
from .api import RelianceSerializerMixin, scoped_many, scoped_one, site_in_scope
from .models import (
    Application,
    Certificate,
    CertificateEvent,
    Decision,
    Engagement,
    Finding,
    FindingAction,
    PlanChange,
    PlannedElement,
    PlannedSite,
    SiteVisit,
)
from .serializers import (
    ActionResponseSerializer,
    ActionVerifySerializer,
    CertificateSerializer,
    DecisionInputSerializer,
    DecisionSerializer,
    EngagementCreateSerializer,
    EngagementSerializer,
    EngagementUpdateSerializer,
    FindingActionSerializer,
    FindingSerializer,
    FindingUpdateSerializer,
    PlanChangeInputSerializer,
    PlanChangeSerializer,
    PlannedElementSerializer,
    PlannedSiteSerializer,
    RelianceEngagementSerializer,
    RelianceFindingActionSerializer,
    RelianceFindingSerializer,
    ReportSerializer,
    SiteVisitCreateSerializer,
    SiteVisitInputSerializer,
    SiteVisitSerializer,
    TeamSerializer,
)

STALE = OpenApiResponse(
    description="Someone else saved it first; the body holds the current finding."
)


# Engagements -----------------------------------------------------------------------------


class EngagementViewSet(
    RelianceSerializerMixin,
    MembershipScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Assessments (initial, annual review, reassessment, special visit) with their plan,
    team and report. A regulator the holder consented to reads only the latest decided
    one, without its team, days or plan."""

    queryset = Engagement.objects.select_related(
        "application__applicant", "standard"
    ).prefetch_related("team")
    serializer_class = EngagementSerializer
    reliance_serializer_class = RelianceEngagementSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(Engagement, ids=["application"], fields=["status", "kind"])

    def _read(self, engagement):
        return Response(self.get_serializer(self.get_queryset().get(pk=engagement.pk)).data)

    def _self_assessment(self, request, pk):
        if pk is None:
            return None
        return scoped_one(
            SelfAssessment.objects.visible_to(request.membership),
            pk,
            "self_assessment",
            _("Choose a self-assessment the organisation shared with you."),
        )

    @extend_schema(request=EngagementCreateSerializer, responses={201: EngagementSerializer})
    def create(self, request, *args, **kwargs):
        """A certification manager opens an engagement; its plan is computed at once."""
        data = EngagementCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        application = scoped_one(
            Application.objects.visible_to(request.membership),
            values["application"],
            "application",
            _("No such application to your body."),
        )
        engagement = services.engagement_create(
            membership=request.membership,
            application=application,
            data=services.EngagementInput(
                kind=values["kind"],
                starts_on=values["starts_on"],
                ends_on=values["ends_on"],
                assessor_days=values["assessor_days"],
                self_assessment=self._self_assessment(request, values["self_assessment"]),
            ),
        )
        return Response(
            EngagementSerializer(self.get_queryset().get(pk=engagement.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=EngagementUpdateSerializer, responses={200: EngagementSerializer})
    def update(self, request, pk=None, format=None, partial=False):
        """Change the dates, assessor days or the self-assessment relied on. With PATCH,
        what is left out stays as it is."""
        engagement = self.get_object()
        data = EngagementUpdateSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        self_assessment = (
            self._self_assessment(request, values["self_assessment"])
            if "self_assessment" in values
            else engagement.self_assessment
        )
        services.engagement_update(
            membership=request.membership,
            engagement=engagement,
            data=services.EngagementInput(
                kind=engagement.kind,
                starts_on=values.get("starts_on", engagement.starts_on),
                ends_on=values.get("ends_on", engagement.ends_on),
                assessor_days=values.get("assessor_days", engagement.assessor_days),
                self_assessment=self_assessment,
            ),
        )
        return self._read(engagement)

    @extend_schema(request=EngagementUpdateSerializer, responses={200: EngagementSerializer})
    def partial_update(self, request, pk=None, format=None):
        return self.update(request, pk=pk, format=format, partial=True)

    @extend_schema(request=TeamSerializer, responses={200: EngagementSerializer})
    @action(detail=True, methods=["post"])
    def team(self, request, pk=None, format=None):
        """Name the lead and the team. Conflicted assessors, assessors without the
        sector's competence and a lead due to rotate are refused."""
        engagement = self.get_object()
        data = TeamSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        people = Membership.objects.visible_to(request.membership)
        message = _("No such member of your body.")
        lead = scoped_one(people, data.validated_data["lead"], "lead", message)
        members = scoped_many(people, data.validated_data["members"], "members", message)
        services.team_set(
            membership=request.membership, engagement=engagement, lead=lead, members=members
        )
        return self._read(engagement)

    @extend_schema(request=ReportSerializer, responses={200: EngagementSerializer})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None, format=None):
        """The lead assessor closes the fieldwork once every element has a finding."""
        engagement = self.get_object()
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.engagement_report(
            membership=request.membership, engagement=engagement, **data.validated_data
        )
        return self._read(engagement)

    @extend_schema(responses={200: PlannedSiteSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def sites(self, request, pk=None, format=None):
        """The sites in the plan and why each was chosen."""
        engagement = self.get_object()
        rows = PlannedSite.objects.visible_to(request.membership).filter(engagement=engagement)
        return Response(PlannedSiteSerializer(rows.select_related("site"), many=True).data)

    @extend_schema(responses={200: PlannedElementSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def elements(self, request, pk=None, format=None):
        """The elements in scope and why each is assessed."""
        engagement = self.get_object()
        rows = PlannedElement.objects.visible_to(request.membership).filter(engagement=engagement)
        return Response(PlannedElementSerializer(rows.select_related("element"), many=True).data)

    @extend_schema(responses={200: PlanChangeSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="plan-changes")
    def plan_changes(self, request, pk=None, format=None):
        """The changes the assessors made to the computed plan, with their justification."""
        engagement = self.get_object()
        rows = PlanChange.objects.visible_to(request.membership).filter(engagement=engagement)
        return Response(PlanChangeSerializer(rows.select_related("changed_by"), many=True).data)

    @extend_schema(request=PlanChangeInputSerializer, responses={201: PlanChangeSerializer})
    @plan_changes.mapping.post
    def plan_change(self, request, pk=None, format=None):
        """Add a site or element to the plan, or take one out, saying why."""
        engagement = self.get_object()
        data = PlanChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        common = {
            "membership": request.membership,
            "engagement": engagement,
            "add": values["add"],
            "justification": values["justification"],
        }
        if "site" in values:
            services.plan_site_change(site=site_in_scope(engagement, values["site"]), **common)
        else:
            element = Element.objects.filter(
                criterion__standard=engagement.standard, code=values["element"]
            ).first()
            if element is None:
                raise ValidationError(
                    {"element": _("That element is not in this version of the standard.")}
                )
            services.plan_element_change(element=element, **common)
        change = PlanChange.objects.visible_to(request.membership).filter(engagement=engagement)
        return Response(PlanChangeSerializer(change.first()).data, status=status.HTTP_201_CREATED)


# Visits and findings ---------------------------------------------------------------------


class SiteVisitViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Days (or parts) the assessment team spent at the planned sites."""

    queryset = SiteVisit.objects.select_related("site")
    serializer_class = SiteVisitSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(SiteVisit, ids=["engagement"])

    def _record(self, request, engagement, values, visit=None):
        return services.visit_record(
            membership=request.membership,
            engagement=engagement,
            visit=visit,
            data=services.VisitInput(
                site=site_in_scope(engagement, values["site"]),
                visited_on=values["visited_on"],
                hours=values["hours"],
                staff_spoken_to=values["staff_spoken_to"],
                customers_spoken_to=values["customers_spoken_to"],
                observations=values["observations"],
            ),
        )

    @extend_schema(request=SiteVisitCreateSerializer, responses={201: SiteVisitSerializer})
    def create(self, request, *args, **kwargs):
        """A member of the assessment team records a visit."""
        data = SiteVisitCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        engagement = scoped_one(
            Engagement.objects.visible_to(request.membership),
            data.validated_data["engagement"],
            "engagement",
            _("No such engagement of your body."),
        )
        visit = self._record(request, engagement, data.validated_data)
        return Response(SiteVisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SiteVisitInputSerializer, responses={200: SiteVisitSerializer})
    def update(self, request, pk=None, format=None):
        visit = self.get_object()
        data = SiteVisitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        visit = self._record(request, visit.engagement, data.validated_data, visit)
        return Response(SiteVisitSerializer(visit).data)


class FindingViewSet(
    RelianceSerializerMixin,
    MembershipScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The assessor's finding on each element in scope. Send the `version` you read; a
    newer one answers 409 with the current finding. A regulator the holder consented to
    reads the findings of the latest decided assessment only: rating and open action,
    never the assessor's notes or the evidence reviewed."""

    queryset = Finding.objects.select_related("element")
    serializer_class = FindingSerializer
    reliance_serializer_class = RelianceFindingSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(Finding, ids=["engagement"], fields=["rating"])

    def get_queryset(self):
        membership = getattr(self.request, "membership", None)
        actions = FindingAction.objects.visible_to(membership).prefetch_related("evidence")
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("action", queryset=actions, to_attr="visible_actions"))
        )

    def _read(self, finding):
        return self.get_serializer(self.get_queryset().get(pk=finding.pk)).data

    @extend_schema(request=FindingUpdateSerializer, responses={200: FindingSerializer, 409: STALE})
    def partial_update(self, request, pk=None, format=None):
        finding = self.get_object()
        data = FindingUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        site = site_in_scope(finding.engagement, values["site"]) if values["site"] else None
        try:
            finding = services.finding_save(
                membership=request.membership,
                finding=finding,
                expected_version=values["version"],
                data=services.FindingInput(
                    rating=values["rating"],
                    notes=values["notes"],
                    evidence_reviewed=values["evidence_reviewed"],
                    relied_on_self_assessment=values["relied_on_self_assessment"],
                    site=site,
                    action=values["action"],
                    action_due=values["action_due"],
                ),
            )
        except services.StaleFinding as stale:
            return Response(
                {"detail": stale.messages[0], "current": self._read(finding)},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(self._read(finding))


class FindingActionFilter(id_filterset(FindingAction, ids=["finding"], fields=["status"])):
    engagement = whole_number_filter(field_name="finding__engagement_id")


class FindingActionViewSet(
    RelianceSerializerMixin,
    MembershipScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """What holders must do about partial and non-compliant findings: the holder
    responds with evidence, the assessor accepts or rejects the response. A regulator
    the holder consented to reads the open actions of decided assessments, without the
    response or the assessor's note."""

    queryset = FindingAction.objects.select_related("finding__element").prefetch_related("evidence")
    serializer_class = FindingActionSerializer
    reliance_serializer_class = RelianceFindingActionSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = FindingActionFilter

    def _read(self, item):
        return Response(self.get_serializer(self.get_queryset().get(pk=item.pk)).data)

    @extend_schema(request=ActionResponseSerializer, responses={200: FindingActionSerializer})
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None, format=None):
        """The holder says what it did, with evidence from its library."""
        item = self.get_object()
        data = ActionResponseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = scoped_many(
            Evidence.objects.visible_to(request.membership),
            data.validated_data["evidence"],
            "evidence",
            _("Choose evidence from this organisation's library."),
        )
        services.action_respond(
            membership=request.membership,
            action=item,
            response=data.validated_data["response"],
            evidence=evidence,
        )
        return self._read(item)

    @extend_schema(request=ActionVerifySerializer, responses={200: FindingActionSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None, format=None):
        """An assessor accepts the holder's response, or rejects it saying what more is
        needed."""
        item = self.get_object()
        data = ActionVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.action_verify(membership=request.membership, action=item, **data.validated_data)
        return self._read(item)


# Decisions and certificates --------------------------------------------------------------


class DecisionViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Certification decisions. Never changed or deleted: a later decision supersedes."""

    queryset = Decision.objects.all()
    serializer_class = DecisionSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(
        Decision, ids=["engagement", "certificate", "holder"], fields=["kind"]
    )

    @extend_schema(request=DecisionInputSerializer, responses={201: DecisionSerializer})
    def create(self, request, *args, **kwargs):
        """A certification manager who was not on the assessment team decides on a
        reported engagement, or suspends, withdraws or reinstates a certificate."""
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "engagement" in values:
            engagement = scoped_one(
                Engagement.objects.visible_to(request.membership),
                values["engagement"],
                "engagement",
                _("No such engagement of your body."),
            )
            decision = decisions.decision_on_engagement(
                membership=request.membership,
                engagement=engagement,
                kind=values["kind"],
                reasons=values["reasons"],
                conditions=values["conditions"],
            )
        else:
            certificate = scoped_one(
                Certificate.objects.visible_to(request.membership),
                values["certificate"],
                "certificate",
                _("No such certificate of your body."),
            )
            decision = decisions.decision_on_certificate(
                membership=request.membership,
                certificate=certificate,
                kind=values["kind"],
                reasons=values["reasons"],
            )
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class CertificateFilter(
    id_filterset(Certificate, ids=["holder", "certification_body"], fields=["status"])
):
    next_review_due = django_filters.DateFromToRangeFilter()


class CertificateViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Certificates with their history. Filter by `status` and by the next review's due
    date (`next_review_due_after`, `next_review_due_before`, both inclusive)."""

    queryset = Certificate.objects.select_related("standard").prefetch_related("units")
    serializer_class = CertificateSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = CertificateFilter

    def get_queryset(self):
        membership = getattr(self.request, "membership", None)
        events = CertificateEvent.objects.visible_to(membership)
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("events", queryset=events, to_attr="visible_events"))
        )
