"""The certification API: thin viewsets that read through the tenancy policy and change
data only through `services` and `decisions`. This module holds bodies, their assessors,
applications and regulators' consents; `api_engagements` the assessments themselves.

Objects named in a request body (an application, an assessor, evidence) are looked up
among those the active membership may see; an unknown or foreign one is a 400 on that
field, the same answer either way. Objects named in the address are 404 unless visible.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from common.api import MembershipScopedMixin, id_filterset
from organisations.models import Membership, Organisation, RegulatorConsent, Sector
from organisations.policy import is_regulator

from . import selectors, services
from .models import Application, AssessorProfile, BodyProfile, ConflictDeclaration, Engagement
from .serializers import (
    AccreditationSerializer,
    ApplicationAnswerSerializer,
    ApplicationInputSerializer,
    ApplicationSerializer,
    AssessorProfileCreateSerializer,
    AssessorProfileInputSerializer,
    AssessorProfileSerializer,
    BodyProfileSerializer,
    BodyProfileUpdateSerializer,
    ConflictDeclarationInputSerializer,
    ConflictDeclarationSerializer,
    RegulatorConsentInputSerializer,
    RegulatorConsentSerializer,
)


def scoped_one(queryset, pk, field: str, message: str):
    """The object `pk` of `queryset` (already scoped), or a 400 on `field`."""
    item = queryset.filter(pk=pk).first() if pk else None
    if item is None:
        raise ValidationError({field: message})
    return item


def scoped_many(queryset, pks, field: str, message: str) -> list:
    """Every object of `pks` in `queryset` (already scoped), or a 400 on `field`."""
    items = list(queryset.filter(pk__in=pks))
    if len(items) != len(set(pks)):
        raise ValidationError({field: message})
    return items


class RelianceSerializerMixin:
    """A viewset whose rows a relying regulator reads through a serializer of its own,
    `reliance_serializer_class`, that leaves out the assessors' working."""

    reliance_serializer_class = None

    def get_serializer_class(self):
        if is_regulator(getattr(self.request, "membership", None)):
            return self.reliance_serializer_class
        return super().get_serializer_class()


def _own_organisation(request, pk):
    """The organisation named in the body (one the member may see), else their own."""
    if not pk:
        return request.membership.organisation
    return scoped_one(
        Organisation.objects.visible_to(request.membership),
        pk,
        "organisation",
        _("No such organisation of yours."),
    )


def site_in_scope(engagement: Engagement, pk, field: str = "site"):
    """A site of the holder (or its units in scope), read through the engagement the
    member already sees: a body reads no applicant's sites otherwise."""
    sites = {site.pk: site for site in selectors.sites_in_scope(engagement.application)}
    if pk not in sites:
        raise ValidationError({field: _("That site is not in the scope of this certification.")})
    return sites[pk]


def _day_rate_for(membership):
    """Whose day rate the member may read: the scheme unit every body's (None), a body
    member their own body's, anyone else none."""
    if membership is None:
        return ()
    if membership.organisation.kind == Organisation.Kind.SCHEME_UNIT:
        return None
    return {membership.organisation_id}


# Certification bodies, assessors, conflicts ----------------------------------------------


@extend_schema(
    parameters=[
        OpenApiParameter(
            "organisation",
            int,
            OpenApiParameter.PATH,
            description="The certification body's organisation id.",
        )
    ]
)
class CertificationBodyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The public directory of certification bodies and their accreditation. Addressed
    by the body's organisation id; the day rate shows to the body and the scheme unit."""

    queryset = BodyProfile.objects.select_related("organisation").order_by("organisation__name")
    serializer_class = BodyProfileSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    # Through the organisation's own key, which answers an out-of-range id as not found.
    lookup_field = "organisation__pk"
    lookup_url_kwarg = "organisation"
    filterset_fields = ["accreditation_status"]
    # A handful of bodies hold a franchise at any time: one page, as for sectors.
    pagination_class = None

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["day_rate_for"] = _day_rate_for(getattr(self.request, "membership", None))
        return context

    @extend_schema(request=BodyProfileUpdateSerializer, responses={200: BodyProfileSerializer})
    def partial_update(self, request, organisation=None, format=None):
        """A certification manager sets the body's assessor day rate."""
        profile = self.get_object()
        data = BodyProfileUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = services.body_profile_update(
            membership=request.membership,
            body=profile.organisation,
            day_rate=data.validated_data["day_rate"],
        )
        return Response(self.get_serializer(profile).data)

    @extend_schema(request=AccreditationSerializer, responses={200: BodyProfileSerializer})
    @action(detail=True, methods=["post"])
    def accreditation(self, request, organisation=None, format=None):
        """A scheme administrator records the body's accreditation as the accreditation
        service gave it."""
        profile = self.get_object()
        data = AccreditationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = services.body_accreditation_set(
            membership=request.membership, body=profile.organisation, **data.validated_data
        )
        return Response(self.get_serializer(profile).data)


class AssessorProfileViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Competence records of the body's assessors: the sectors each may assess."""

    queryset = (
        AssessorProfile.objects.select_related("membership__user")
        .prefetch_related("sectors")
        .order_by("membership__user__email")
    )
    serializer_class = AssessorProfileSerializer
    permission_classes = [permissions.IsAuthenticated]

    def _save(self, request, assessor, data):
        sectors = list(Sector.objects.filter(slug__in=data["sectors"]))
        if len(sectors) != len(set(data["sectors"])):
            raise ValidationError({"sectors": _("Choose sectors from the list.")})
        profile = services.assessor_profile_save(
            membership=request.membership,
            assessor=assessor,
            sectors=sectors,
            trained_on=data["trained_on"],
            notes=data["notes"],
        )
        return self.get_queryset().get(pk=profile.pk)

    @extend_schema(
        request=AssessorProfileCreateSerializer, responses={201: AssessorProfileSerializer}
    )
    def create(self, request, *args, **kwargs):
        """A certification manager records (or replaces) an assessor's competence."""
        data = AssessorProfileCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessor = scoped_one(
            Membership.objects.visible_to(request.membership),
            data.validated_data["assessor"],
            "assessor",
            _("No such member of your body."),
        )
        profile = self._save(request, assessor, data.validated_data)
        return Response(AssessorProfileSerializer(profile).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AssessorProfileInputSerializer, responses={200: AssessorProfileSerializer}
    )
    def update(self, request, pk=None, format=None):
        profile = self.get_object()
        data = AssessorProfileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = self._save(request, profile.membership, data.validated_data)
        return Response(AssessorProfileSerializer(profile).data)


class ConflictDeclarationViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Interests the body's assessors declared in applicant organisations."""

    queryset = ConflictDeclaration.objects.select_related("organisation")
    serializer_class = ConflictDeclarationSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(ConflictDeclaration, ids=["assessor"], fields=["kind"])

    @extend_schema(
        request=ConflictDeclarationInputSerializer, responses={201: ConflictDeclarationSerializer}
    )
    def create(self, request, *args, **kwargs):
        """Declare an interest: yours, or (as a manager) one of your assessors'."""
        data = ConflictDeclarationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        assessor = request.membership
        if values.get("assessor"):
            assessor = scoped_one(
                Membership.objects.visible_to(request.membership),
                values["assessor"],
                "assessor",
                _("No such member of your body."),
            )
        # As on the declaration page: organisations that applied to the body, and units.
        organisation = scoped_one(
            selectors.conflict_candidates(request.membership.organisation_id),
            values["organisation"],
            "organisation",
            _("Choose an organisation that applied to your body, or one of its units."),
        )
        declaration = services.conflict_declare(
            membership=request.membership,
            assessor=assessor,
            organisation=organisation,
            kind=values["kind"],
            details=values["details"],
            ended_on=values["ended_on"],
        )
        return Response(
            ConflictDeclarationSerializer(declaration).data, status=status.HTTP_201_CREATED
        )


# Applications ----------------------------------------------------------------------------


class ApplicationViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Applications for certification: the applicant's own, and those sent to a body."""

    queryset = Application.objects.select_related(
        "applicant", "certification_body"
    ).prefetch_related("units")
    serializer_class = ApplicationSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(
        Application, ids=["applicant", "certification_body"], fields=["status"]
    )

    def _answer(self, request, *, accept: bool):
        """Accept or decline: the body's certification manager answers once."""
        application = self.get_object()
        data = ApplicationAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.application_answer(
            membership=request.membership,
            application=application,
            accept=accept,
            note=data.validated_data["note"],
        )
        return self._fresh(application)

    def _fresh(self, application):
        return Response(ApplicationSerializer(self.get_queryset().get(pk=application.pk)).data)

    @extend_schema(request=ApplicationInputSerializer, responses={201: ApplicationSerializer})
    def create(self, request, *args, **kwargs):
        """An applicant's administrator applies to an accredited certification body."""
        data = ApplicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        applicant = _own_organisation(request, values.get("organisation"))
        body = scoped_one(
            Organisation.objects.filter(kind=Organisation.Kind.CERTIFICATION_BODY),
            values["certification_body"],
            "certification_body",
            _("Choose a certification body."),
        )
        units = scoped_many(
            Organisation.objects.visible_to(request.membership),
            values["units"],
            "units",
            _("Choose units of your own programme."),
        )
        application = services.application_submit(
            membership=request.membership,
            applicant=applicant,
            certification_body=body,
            units=units,
            scope_note=values["scope_note"],
        )
        return Response(
            ApplicationSerializer(self.get_queryset().get(pk=application.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ApplicationAnswerSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None, format=None):
        """The body's certification manager accepts the application."""
        return self._answer(request, accept=True)

    @extend_schema(request=ApplicationAnswerSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None, format=None):
        """The body's certification manager declines the application, saying why."""
        return self._answer(request, accept=False)

    @extend_schema(request=None, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None, format=None):
        """The applicant withdraws an application still waiting for an answer."""
        application = self.get_object()
        services.application_withdraw(membership=request.membership, application=application)
        return self._fresh(application)


# Regulators' reliance --------------------------------------------------------------------


class RegulatorConsentViewSet(
    MembershipScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """An applicant's consents that regulators of its sector may rely on its outcomes; a
    regulator reads those given to it."""

    queryset = RegulatorConsent.objects.select_related("regulator")
    serializer_class = RegulatorConsentSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = id_filterset(RegulatorConsent, ids=["organisation", "regulator"])

    @extend_schema(
        request=RegulatorConsentInputSerializer, responses={201: RegulatorConsentSerializer}
    )
    def create(self, request, *args, **kwargs):
        """An applicant's administrator consents (a live consent is answered as it is)."""
        data = RegulatorConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = _own_organisation(request, data.validated_data.get("organisation"))
        regulator = scoped_one(
            Organisation.objects.filter(kind=Organisation.Kind.REGULATOR),
            data.validated_data["regulator"],
            "regulator",
            _("Choose a regulator or inspectorate."),
        )
        consent = services.consent_give(
            membership=request.membership, organisation=organisation, regulator=regulator
        )
        return Response(RegulatorConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RegulatorConsentSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None, format=None):
        """Withdraw the consent: the regulator no longer reads the outcomes."""
        consent = self.get_object()
        services.consent_withdraw(membership=request.membership, consent=consent)
        consent.refresh_from_db()
        return Response(RegulatorConsentSerializer(consent).data)
