from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.forms import GDSFormMixin, date_field, whole_number_input
from organisations.models import Sector
from standard.models import Criterion
from standard.selectors import current_standard

from .models import Category


class CycleForm(GDSFormMixin, forms.Form):
    submit_label = _("Save cycle")

    year = forms.IntegerField(
        label=_("Year"),
        min_value=2000,
        max_value=2100,
        widget=whole_number_input(4),
        error_messages={
            "required": _("Enter the year of the awards."),
            "invalid": _("The year must be a number, like 2027."),
            "min_value": _("Enter a year from 2000 to 2100."),
            "max_value": _("Enter a year from 2000 to 2100."),
        },
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={"required": _("Enter a title, like Customer Voice Awards 2027.")},
    )
    nominations_open = date_field(_("Nominations open"), _("the day nominations open"))
    nominations_close = date_field(_("Nominations close"), _("the day nominations close"))
    judging_ends = date_field(_("Judging ends"), _("the day judging ends"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"year": timezone.localdate().year + 1})
        super().__init__(*args, **kwargs)


class JudgingCriterionForm(GDSFormMixin, forms.Form):
    submit_label = _("Save criterion")

    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        error_messages={"required": _("Enter a title for the criterion.")},
    )
    description = forms.CharField(
        label=_("What judges look for"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what judges look for.")},
    )
    weight = forms.IntegerField(
        label=_("Weight"),
        min_value=1,
        max_value=10,
        initial=1,
        widget=whole_number_input(2),
        help_text=_("How much this criterion counts against the others, from 1 to 10."),
        error_messages={
            "required": _("Enter a weight."),
            "invalid": _("The weight must be a whole number."),
            "min_value": _("The weight must be from 1 to 10."),
            "max_value": _("The weight must be from 1 to 10."),
        },
    )
    max_score = forms.IntegerField(
        label=_("Highest score"),
        min_value=1,
        max_value=100,
        initial=5,
        widget=whole_number_input(3),
        error_messages={
            "required": _("Enter the highest score a judge may give."),
            "invalid": _("The highest score must be a whole number."),
            "min_value": _("The highest score must be from 1 to 100."),
            "max_value": _("The highest score must be from 1 to 100."),
        },
    )


class CategoryForm(GDSFormMixin, forms.Form):
    submit_label = _("Add category")

    criterion = forms.ModelChoiceField(
        label=_("Criterion"),
        queryset=Criterion.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose a criterion.")},
    )
    sector = forms.ModelChoiceField(
        label=_("Sector"),
        queryset=Sector.objects.order_by("name"),
        error_messages={"required": _("Choose a sector.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Category.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose best or most improved.")},
    )
    level = forms.ChoiceField(
        label=_("Level"),
        choices=Category.Level.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who the award is for.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        standard = current_standard()
        self.fields["criterion"].queryset = (
            standard.criteria.order_by("number") if standard else Criterion.objects.none()
        )


class UsualCategoriesForm(GDSFormMixin, forms.Form):
    submit_label = _("Create the categories")

    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"),
        queryset=Sector.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "For each sector: best and most improved organisation on every criterion of the "
            "current standard. Categories the cycle already has stay as they are."
        ),
        error_messages={"required": _("Choose at least one sector.")},
    )


class PutForwardForm(forms.Form):
    """Rendered by hand in the shortlist table: one checkbox per candidate."""

    candidates = forms.ModelMultipleChoiceField(
        queryset=None,
        error_messages={
            "required": _("Choose at least one candidate to put forward."),
            "invalid_choice": _("Choose candidates from the shortlist."),
            "invalid_pk_value": _("Choose candidates from the shortlist."),
        },
    )

    def __init__(self, *args, category, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidates"].queryset = category.candidates.all()
