"""What the certification API reads out (read-only model serializers) and what it takes in
(plain serializers whose values the views hand to the services)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments.models import RatingValue
from organisations.models import RegulatorConsent

from .models import (
    Application,
    AssessorProfile,
    BodyProfile,
    Certificate,
    CertificateEvent,
    ConflictDeclaration,
    Decision,
    Engagement,
    Finding,
    FindingAction,
    PlanChange,
    PlannedElement,
    PlannedSite,
    SiteVisit,
)

MAX_ID = 2**63 - 1


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _ids(**kwargs):
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=500,
        **kwargs,
    )


# Certification bodies, their assessors and conflicts -------------------------------------


class BodyProfileSerializer(serializers.ModelSerializer):
    """A body's public profile. The day rate shows only to the body itself and the
    scheme unit: the view names them in the context as `day_rate_for`."""

    name = serializers.CharField(source="organisation.name", read_only=True)
    is_accredited = serializers.BooleanField(read_only=True)
    day_rate = serializers.SerializerMethodField()

    class Meta:
        model = BodyProfile
        fields = [
            "organisation",
            "name",
            "accreditation_reference",
            "accreditation_status",
            "accreditation_expires",
            "accreditation_lost_on",
            "is_accredited",
            "franchise_start",
            "franchise_end",
            "day_rate",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.DecimalField(
            max_digits=7,
            decimal_places=2,
            allow_null=True,
            help_text="Shown to the body itself and the scheme unit; null for anyone else.",
        )
    )
    def get_day_rate(self, profile) -> str | None:
        shown = self.context.get("day_rate_for", ())
        if shown is None or profile.organisation_id in shown:
            return f"{profile.day_rate:.2f}"
        return None


class BodyProfileUpdateSerializer(serializers.Serializer):
    day_rate = serializers.DecimalField(max_digits=7, decimal_places=2)


class AccreditationSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=BodyProfile.Accreditation.choices)
    expires = serializers.DateField()
    reference = serializers.CharField(max_length=50)


class AssessorProfileSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="membership.user", read_only=True)
    sectors = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = AssessorProfile
        fields = ["id", "membership", "name", "sectors", "trained_on", "notes"]
        read_only_fields = fields


class AssessorProfileInputSerializer(serializers.Serializer):
    sectors = serializers.ListField(
        child=serializers.SlugField(max_length=50),
        max_length=100,
        help_text="Slugs of the sectors the assessor is competent in.",
    )
    trained_on = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=20_000)


class AssessorProfileCreateSerializer(AssessorProfileInputSerializer):
    assessor = _id(help_text="The membership of one of your body's assessors or managers.")


class ConflictDeclarationSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = ConflictDeclaration
        fields = [
            "id",
            "assessor",
            "organisation",
            "organisation_name",
            "kind",
            "details",
            "ended_on",
            "in_force",
            "declared_at",
        ]
        read_only_fields = fields

    def get_in_force(self, declaration) -> bool:
        return declaration.is_in_force()


class ConflictDeclarationInputSerializer(serializers.Serializer):
    assessor = _id(
        required=False, help_text="A manager may declare for one of the body's assessors."
    )
    organisation = _id(help_text="The applicant organisation the interest is in.")
    kind = serializers.ChoiceField(choices=ConflictDeclaration.Kind.choices)
    details = serializers.CharField(max_length=20_000)
    ended_on = serializers.DateField(required=False, allow_null=True, default=None)


# Applications ----------------------------------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer):
    applicant_name = serializers.CharField(source="applicant.name", read_only=True)
    certification_body_name = serializers.CharField(
        source="certification_body.name", read_only=True
    )
    units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "applicant",
            "applicant_name",
            "certification_body",
            "certification_body_name",
            "units",
            "scope_note",
            "status",
            "submitted_at",
            "answered_at",
            "answer_note",
        ]
        read_only_fields = fields


class ApplicationInputSerializer(serializers.Serializer):
    organisation = _id(
        required=False, help_text="A unit of your programme; your own organisation by default."
    )
    certification_body = _id(help_text="An accredited certification body's organisation.")
    units = _ids(help_text="Units in scope; none means the whole organisation.")
    scope_note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20_000
    )


class ApplicationAnswerSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=20_000,
        help_text="Why the application is declined (needed to decline).",
    )


# Engagements and their plans -------------------------------------------------------------


class EngagementSerializer(serializers.ModelSerializer):
    holder = serializers.IntegerField(source="application.applicant_id", read_only=True)
    holder_name = serializers.CharField(source="application.applicant.name", read_only=True)
    certification_body = serializers.IntegerField(
        source="application.certification_body_id", read_only=True
    )
    standard = serializers.CharField(source="standard.version", read_only=True)
    team = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    plan_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id",
            "application",
            "holder",
            "holder_name",
            "certification_body",
            "kind",
            "status",
            "cycle",
            "standard",
            "self_assessment",
            "starts_on",
            "ends_on",
            "assessor_days",
            "lead",
            "team",
            "plan_reasons",
            "summary",
            "strengths",
            "created_at",
            "reported_at",
        ]
        read_only_fields = fields


class EngagementUpdateSerializer(serializers.Serializer):
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    assessor_days = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=0, required=False, default=0
    )
    self_assessment = _id(
        required=False,
        allow_null=True,
        default=None,
        help_text="A submitted self-assessment the organisation shared with you.",
    )


class EngagementCreateSerializer(EngagementUpdateSerializer):
    application = _id(help_text="An accepted application to your body.")
    kind = serializers.ChoiceField(choices=Engagement.Kind.choices)


class TeamSerializer(serializers.Serializer):
    lead = _id(help_text="The membership of the lead assessor.")
    members = _ids(help_text="Memberships of the other assessors on the team.")


class ReportSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=50_000)
    strengths = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=50_000
    )


class PlannedSiteSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = PlannedSite
        fields = ["id", "site", "site_name", "reason", "risk_score", "explanation"]
        read_only_fields = fields


class PlannedElementSerializer(serializers.ModelSerializer):
    element = serializers.CharField(source="element.code", read_only=True)
    title = serializers.CharField(source="element.title", read_only=True)

    class Meta:
        model = PlannedElement
        fields = ["id", "element", "title", "reason", "explanation"]
        read_only_fields = fields


class PlanChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(read_only=True)

    class Meta:
        model = PlanChange
        fields = ["id", "change", "justification", "changed_by", "changed_at"]
        read_only_fields = fields


class PlanChangeInputSerializer(serializers.Serializer):
    site = _id(required=False, help_text="A site in the certification's scope.")
    element = serializers.CharField(
        required=False, max_length=10, help_text="An element's code, for example 2.1."
    )
    add = serializers.BooleanField(help_text="True adds to the plan, false removes from it.")
    justification = serializers.CharField(max_length=20_000)

    def validate(self, attrs):
        if ("site" in attrs) == ("element" in attrs):
            raise serializers.ValidationError(_("Name either a site or an element."))
        return attrs


# Visits and findings ---------------------------------------------------------------------


class SiteVisitSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = SiteVisit
        fields = [
            "id",
            "engagement",
            "site",
            "site_name",
            "visited_on",
            "hours",
            "staff_spoken_to",
            "customers_spoken_to",
            "observations",
            "recorded_at",
        ]
        read_only_fields = fields


class SiteVisitInputSerializer(serializers.Serializer):
    site = _id(help_text="A site in the engagement's plan.")
    visited_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=4, decimal_places=1)
    staff_spoken_to = serializers.IntegerField(
        min_value=0, max_value=32_767, required=False, default=0
    )
    customers_spoken_to = serializers.IntegerField(
        min_value=0, max_value=32_767, required=False, default=0
    )
    observations = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=50_000
    )


class SiteVisitCreateSerializer(SiteVisitInputSerializer):
    engagement = _id()


class FindingActionSerializer(serializers.ModelSerializer):
    element = serializers.CharField(source="finding.element.code", read_only=True)
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = FindingAction
        fields = [
            "id",
            "finding",
            "element",
            "description",
            "due_date",
            "status",
            "is_overdue",
            "response",
            "evidence",
            "responded_at",
            "verification_note",
            "verified_at",
        ]
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    element = serializers.CharField(source="element.code", read_only=True)
    action = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "engagement",
            "element",
            "rating",
            "site",
            "evidence_reviewed",
            "notes",
            "relied_on_self_assessment",
            "action",
            "version",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(FindingActionSerializer(allow_null=True))
    def get_action(self, finding) -> dict | None:
        # The view prefetches the actions the reader may see into `visible_actions`.
        action = getattr(finding, "visible_actions", None)
        return FindingActionSerializer(action).data if action else None


class FindingUpdateSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(
        choices=[("", "Not rated")] + RatingValue.choices, allow_blank=True
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=50_000)
    evidence_reviewed = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=50_000
    )
    relied_on_self_assessment = serializers.BooleanField(required=False, default=False)
    site = _id(required=False, allow_null=True, default=None)
    action = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=20_000,
        help_text="What the holder must do; needed for a partial or non-compliant rating.",
    )
    action_due = serializers.DateField(required=False, allow_null=True, default=None)
    version = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        help_text="The version you read; a newer one on the server answers 409.",
    )


class ActionResponseSerializer(serializers.Serializer):
    response = serializers.CharField(max_length=50_000)
    evidence = _ids(help_text="Evidence from the holder's library.")


class ActionVerifySerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=20_000,
        help_text="What more is needed (needed to reject).",
    )


# Decisions and certificates --------------------------------------------------------------


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = [
            "id",
            "engagement",
            "certificate",
            "certification_body",
            "holder",
            "kind",
            "reasons",
            "conditions",
            "decided_at",
            "supersedes",
        ]
        read_only_fields = fields


class DecisionInputSerializer(serializers.Serializer):
    engagement = _id(
        required=False,
        help_text="A reported engagement: certify, certify with conditions or refuse.",
    )
    certificate = _id(required=False, help_text="A certificate to suspend, withdraw or reinstate.")
    kind = serializers.ChoiceField(choices=Decision.Kind.choices)
    reasons = serializers.CharField(max_length=50_000)
    conditions = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=50_000
    )

    def validate(self, attrs):
        if ("engagement" in attrs) == ("certificate" in attrs):
            raise serializers.ValidationError(_("Name either an engagement or a certificate."))
        return attrs


class CertificateEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CertificateEvent
        fields = [
            "id",
            "kind",
            "happened_on",
            "status_after",
            "next_review_due",
            "decision",
            "note",
        ]
        read_only_fields = fields


class CertificateSerializer(serializers.ModelSerializer):
    standard = serializers.CharField(source="standard.version", read_only=True)
    units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    may_display_mark = serializers.BooleanField(read_only=True)
    events = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "holder",
            "holder_name",
            "certification_body",
            "application",
            "units",
            "main_site_address",
            "scope",
            "standard",
            "status",
            "may_display_mark",
            "original_issue_date",
            "issue_date",
            "next_review_due",
            "cycle_expires",
            "status_changed_on",
            "events",
        ]
        read_only_fields = fields

    @extend_schema_field(CertificateEventSerializer(many=True))
    def get_events(self, certificate) -> list[dict]:
        # The view prefetches the history the reader may see into `visible_events`.
        return CertificateEventSerializer(
            getattr(certificate, "visible_events", []), many=True
        ).data


# Regulators' reliance --------------------------------------------------------------------


class RegulatorConsentSerializer(serializers.ModelSerializer):
    regulator_name = serializers.CharField(source="regulator.name", read_only=True)

    class Meta:
        model = RegulatorConsent
        fields = ["id", "organisation", "regulator", "regulator_name", "given_at", "withdrawn_at"]
        read_only_fields = fields


class RegulatorConsentInputSerializer(serializers.Serializer):
    organisation = _id(
        required=False, help_text="A unit of your programme; your own organisation by default."
    )
    regulator = _id(help_text="A regulator or inspectorate of your sector.")


# What a relying regulator reads: outcomes, not the assessors' working ------------------


class RelianceEngagementSerializer(EngagementSerializer):
    """A decided assessment as a regulator reads it: no team, days, plan or application."""

    class Meta(EngagementSerializer.Meta):
        fields = [
            "id",
            "holder",
            "holder_name",
            "certification_body",
            "kind",
            "status",
            "cycle",
            "standard",
            "starts_on",
            "ends_on",
            "summary",
            "strengths",
            "reported_at",
        ]
        read_only_fields = fields


class RelianceFindingActionSerializer(FindingActionSerializer):
    """An open action as a regulator reads it: not the holder's response or evidence, nor
    the assessor's note."""

    class Meta(FindingActionSerializer.Meta):
        fields = ["id", "finding", "element", "description", "due_date", "status", "is_overdue"]
        read_only_fields = fields


class RelianceFindingSerializer(FindingSerializer):
    """A decided finding as a regulator reads it: the rating and any open action, never
    the assessor's notes or the evidence they reviewed."""

    class Meta(FindingSerializer.Meta):
        fields = ["id", "engagement", "element", "rating", "action"]
        read_only_fields = fields

    @extend_schema_field(RelianceFindingActionSerializer(allow_null=True))
    def get_action(self, finding) -> dict | None:
        action = getattr(finding, "visible_actions", None)
        return RelianceFindingActionSerializer(action).data if action else None
