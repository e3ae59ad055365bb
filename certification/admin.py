"""The scheme unit records certification bodies' accreditation here; everything the
bodies decide is shown read-only, since decisions and history are never edited."""

from django.contrib import admin

from . import services
from .models import BodyProfile, Certificate, CertificateEvent, Decision


@admin.register(BodyProfile)
class BodyProfileAdmin(admin.ModelAdmin):
    list_display = [
        "organisation",
        "accreditation_reference",
        "accreditation_status",
        "accreditation_expires",
        "accreditation_lost_on",
        "day_rate",
    ]
    list_filter = ["accreditation_status"]
    readonly_fields = ["accreditation_lost_on"]

    def get_readonly_fields(self, request, obj=None):
        # The day rate is the body's own to set, on its page.
        return [*self.readonly_fields, "day_rate"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Accreditation goes through the service, which records when it was lost.
        services.body_accreditation_set(
            membership=request.membership,
            body=obj.organisation,
            status=obj.accreditation_status,
            expires=obj.accreditation_expires,
            reference=obj.accreditation_reference,
        )
        BodyProfile.objects.filter(pk=obj.pk).update(
            franchise_start=obj.franchise_start, franchise_end=obj.franchise_end
        )


class ReadOnlyMixin:
    """Rows that only a service writes: shown here, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class EventInline(admin.TabularInline):
    model = CertificateEvent
    extra = 0
    can_delete = False
    fields = ["happened_on", "kind", "status_after", "next_review_due", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["number", "holder_name", "certification_body", "status", "next_review_due"]
    list_filter = ["status", "certification_body"]
    search_fields = ["number", "holder_name"]
    inlines = [EventInline]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["holder", "kind", "certification_body", "decided_by", "decided_at"]
    list_filter = ["kind", "certification_body"]
