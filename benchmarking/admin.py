"""Peer groups are set up here or on their page, through the same service; every figure
is worked out by the refresh, so it is shown read-only."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from certification.admin import ReadOnlyAdmin

from . import services
from .models import (
    DashboardFigure,
    OrganisationScore,
    PeerGroup,
    PeerGroupMember,
    Refresh,
    SectorFigure,
)


class MemberInline(admin.TabularInline):
    """Organisations join and leave a group themselves, on the peer groups page."""

    model = PeerGroupMember
    extra = 0
    can_delete = False
    fields = ["organisation", "joined_by", "joined_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PeerGroupAdminForm(forms.ModelForm):
    class Meta:
        model = PeerGroup
        fields = ["sector", "name", "description"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            services.peer_group_check(
                PeerGroup(
                    pk=self.instance.pk,
                    sector=cleaned.get("sector") or self.instance.sector,
                    name=cleaned["name"],
                    description=cleaned.get("description", ""),
                )
            )
        return cleaned


@admin.register(PeerGroup)
class PeerGroupAdmin(admin.ModelAdmin):
    form = PeerGroupAdminForm
    list_display = ["name", "sector", "created_at"]
    list_filter = ["sector"]
    search_fields = ["name"]
    fields = ["sector", "name", "description"]
    inlines = [MemberInline]

    def get_readonly_fields(self, request, obj=None):
        # A group's sector stays: its members and figures belong to it.
        return ["sector"] if obj else []

    def save_model(self, request, obj, form, change):
        values = {"name": obj.name, "description": obj.description}
        if change:
            services.peer_group_update(membership=request.membership, peer_group=obj, **values)
        else:
            created = services.peer_group_create(
                membership=request.membership, sector=obj.sector, **values
            )
            obj.pk = created.pk


@admin.register(OrganisationScore)
class OrganisationScoreAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "year", "measure", "score", "count", "holder"]
    list_filter = ["year", "measure", "holder", "sector"]
    search_fields = ["organisation__name"]
    list_select_related = ["organisation"]


@admin.register(SectorFigure)
class SectorFigureAdmin(ReadOnlyAdmin):
    list_display = [
        "sector",
        "peer_group",
        "region",
        "legal_form",
        "year",
        "measure",
        "organisations",
        "suppressed",
        "median",
    ]
    list_filter = ["year", "measure", "suppressed", "sector"]
    list_select_related = ["sector", "peer_group"]


@admin.register(DashboardFigure)
class DashboardFigureAdmin(ReadOnlyAdmin):
    list_display = ["kind", "sector", "year", "computed_at"]
    list_filter = ["kind", "year"]


@admin.register(Refresh)
class RefreshAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "trigger", "sector", "finished_at", "failed"]
    list_filter = ["trigger"]

    @admin.display(boolean=True, description=_("failed"))
    def failed(self, obj):
        return bool(obj.failure)
