from django.shortcuts import get_object_or_404, redirect, render

from common.hooks import page_parts

from .forms import CompareForm
from .models import Criterion, Level
from .selectors import (
    compare_versions,
    current_standard,
    element_detail,
    public_standards,
    standard_with_criteria,
)
from .signals import element_page_parts


def index(request):
    standard = current_standard()
    if standard is None:
        return render(request, "standard/empty.html")
    return redirect("standard:version", standard.version)


def version(request, version):
    standard = standard_with_criteria(version)
    context = {
        "standard": standard,
        "versions": public_standards(),
        "current": current_standard(),
        "element_count": sum(len(c.elements.all()) for c in standard.criteria.all()),
    }
    return render(request, "standard/version.html", context)


def criterion(request, version, slug):
    criterion = get_object_or_404(
        Criterion.objects.select_related("standard").prefetch_related("elements", "levels"),
        standard__in=public_standards(),
        standard__version=version,
        slug=slug,
    )
    levels = {d.level: d.description for d in criterion.levels.all()}
    context = {
        "criterion": criterion,
        "standard": criterion.standard,
        "levels": [(level, levels.get(level.value, "")) for level in Level],
    }
    return render(request, "standard/criterion.html", context)


def element(request, version, code):
    element = element_detail(version, code)
    guidance = list(element.sector_guidance.all())
    chosen = request.GET.get("sector", "")
    shown = [g for g in guidance if g.sector.slug == chosen] if chosen else guidance
    context = {
        "element": element,
        "criterion": element.criterion,
        "standard": element.criterion.standard,
        "sector_guidance": shown,
        "sectors": [g.sector for g in guidance],
        "chosen_sector": chosen,
        **page_parts(element_page_parts, element=element),
    }
    return render(request, "standard/element.html", context)


def compare(request):
    form = CompareForm(request.GET or None)
    rows = None
    if form.is_valid():
        versions = {s.version: s for s in public_standards()}
        old, new = versions[form.cleaned_data["old"]], versions[form.cleaned_data["new"]]
        rows = compare_versions(old, new)
    context = {"form": form, "rows": rows}
    if rows is not None:
        changed = [r for r in rows if r.change != "unchanged"]
        context.update(old=old, new=new, changed=changed, unchanged=len(rows) - len(changed))
    return render(request, "standard/compare.html", context)
