"""Award cycles, categories and shortlists, read-only here: they are set up on the
scheme unit's award pages, whose services keep the cycle's rules (dates in order,
nothing published changes)."""

from django.contrib import admin

from certification.admin import ReadOnlyAdmin, ReadOnlyMixin

from .models import AwardCycle, Candidate, Category, JudgingCriterion


class JudgingCriterionInline(ReadOnlyMixin, admin.TabularInline):
    model = JudgingCriterion
    fields = ["position", "title", "weight", "max_score"]
    extra = 0


@admin.register(AwardCycle)
class AwardCycleAdmin(ReadOnlyAdmin):
    list_display = ["year", "title", "nominations_open", "nominations_close", "judging_ends"]
    inlines = [JudgingCriterionInline]


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "criterion", "sector", "kind", "level"]
    list_filter = ["cycle", "kind", "level", "sector"]


@admin.register(Candidate)
class CandidateAdmin(ReadOnlyAdmin):
    list_display = ["category", "rank", "organisation", "score", "computed_at"]
    list_filter = ["category__cycle"]
