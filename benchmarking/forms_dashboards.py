"""The filters every scheme dashboard shares: sector, region, legal form and period. A
GET form: the filters live in the address, so a filtered page can be bookmarked and its
CSV link carries the same filters."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.models import Organisation, Region, Sector

# The first year the dashboards offer: the review's table of March 2005.
FIRST_YEAR = 2005

FIELD_NAMES = ("sector", "region", "legal_form", "period")


@dataclass(frozen=True)
class DashboardFilters:
    """What a dashboard shows: a blank filter (None or '') means all."""

    sector: Sector | None = None
    region: str = ""
    legal_form: str = ""
    year: int | None = None

    @property
    def is_filtered(self) -> bool:
        return bool(self.sector or self.region or self.legal_form or self.year)

    def params(self, **extra: str) -> str:
        """The filters and `extra` as a query string (without '?'), for links that keep
        the filters."""
        values = {
            "sector": self.sector.slug if self.sector else "",
            "region": self.region,
            "legal_form": self.legal_form,
            "period": str(self.year or ""),
        }
        values.update(extra)
        return urlencode({name: value for name, value in values.items() if value})


def _period_choices():
    this_year = timezone.localdate().year
    years = [(str(year), str(year)) for year in range(this_year, FIRST_YEAR - 1, -1)]
    return [("", _("All years")), *years]


class DashboardFilterForm(forms.Form):
    """Bound to `request.GET`. A page that does not filter by some of these passes
    `fields=` with the names it does use."""

    sector = forms.ModelChoiceField(
        label=_("Sector"),
        queryset=Sector.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All sectors"),
        error_messages={"invalid_choice": _("Choose a sector from the list.")},
    )
    region = forms.ChoiceField(
        label=_("Region"),
        choices=[("", _("All regions")), *Region.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose a region from the list.")},
    )
    legal_form = forms.ChoiceField(
        label=_("Legal form"),
        choices=[("", _("All legal forms")), *Organisation.LegalForm.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose a legal form from the list.")},
    )
    period = forms.ChoiceField(
        label=_("Period"),
        choices=_period_choices,
        required=False,
        error_messages={"invalid_choice": _("Choose a year from the list, or all years.")},
    )

    def __init__(self, data=None, *, fields=FIELD_NAMES, **kwargs):
        # An unfiltered page is valid: an empty query string means "all".
        super().__init__(data if data is not None else {}, **kwargs)
        for name in set(FIELD_NAMES) - set(fields):
            del self.fields[name]
        for field in self.fields.values():
            field.widget.attrs["class"] = "govuk-select govuk-!-width-full"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] += " govuk-select--error"
                attrs["aria-describedby"] = f"{self[name].id_for_label}-error"

    @property
    def filters(self) -> DashboardFilters:
        """The filters chosen; all blank while the form has errors, so a page never
        shows figures for a filter it could not read."""
        if not self.is_valid():
            return DashboardFilters()
        data = self.cleaned_data
        period = data.get("period")
        return DashboardFilters(
            sector=data.get("sector"),
            region=data.get("region", ""),
            legal_form=data.get("legal_form", ""),
            year=int(period) if period else None,
        )
