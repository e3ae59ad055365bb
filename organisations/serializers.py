from rest_framework import serializers

from .models import Membership, Organisation, Sector, Site


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["slug", "name", "description", "workforce"]


class OrganisationSerializer(serializers.ModelSerializer):
    sector = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "kind",
            "sector",
            "region",
            "legal_form",
            "employee_count",
            "parent",
        ]


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = [
            "id",
            "organisation",
            "name",
            "address",
            "postcode",
            "region",
            "employee_count",
            "is_central_function",
        ]
        read_only_fields = ["organisation"]


class SiteCreateSerializer(SiteSerializer):
    class Meta(SiteSerializer.Meta):
        read_only_fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        membership = getattr(request, "membership", None)
        self.fields["organisation"].queryset = Organisation.objects.visible_to(membership)


class MembershipSerializer(serializers.ModelSerializer):
    organisation = OrganisationSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organisation", "role"]


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    active_membership = MembershipSerializer(allow_null=True)
    memberships = MembershipSerializer(many=True)
