from django.contrib import admin

from .models import Criterion, Element, Standard


class ReadOnlyWhenPublished:
    """Published and retired versions are frozen: the admin shows them read-only."""

    def _locked(self, obj):
        if obj is None:
            return False
        standard = obj if isinstance(obj, Standard) else obj._owning_standard()
        return standard.is_locked

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._locked(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._locked(obj)


@admin.register(Standard)
class StandardAdmin(ReadOnlyWhenPublished, admin.ModelAdmin):
    list_display = ["version", "title", "status", "published_on"]
    readonly_fields = ["content_hash"]

    def has_add_permission(self, request):
        # Versions come from their data file (manage.py load_standard), never typed in.
        return False


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyWhenPublished, admin.ModelAdmin):
    list_display = ["__str__", "standard", "driver"]
    list_filter = ["standard"]

    def has_add_permission(self, request):
        return False


@admin.register(Element)
class ElementAdmin(ReadOnlyWhenPublished, admin.ModelAdmin):
    list_display = ["code", "title", "criterion"]
    list_filter = ["criterion__standard"]
    search_fields = ["code", "title"]

    def has_add_permission(self, request):
        return False
