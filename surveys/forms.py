from crispy_forms_gds.layout import Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from organisations.forms import GDSFormMixin, date_field, lazy_format, whole_number_input

from .models import Channel, Mode, SamplingApproach, SurveyQuestion
from .services import SUGGESTED_GROUPS, SurveyInput


def _count_messages(what):
    message = lazy_format(_("%(what)s must be a whole number, such as 2400."), what=what)
    return {"invalid": message, "min_value": message, "max_value": message}


class SurveyForm(GDSFormMixin, forms.Form):
    submit_label = _("Save survey")

    title = forms.CharField(
        label=_("Name of the survey"),
        max_length=200,
        help_text=_("For example, Customer satisfaction survey 2026."),
        error_messages={
            "required": _("Enter the name of the survey."),
            "max_length": _("The name of the survey must be 200 characters or fewer."),
        },
    )
    period_start = date_field(
        _("Start of the period the survey covers"), _("the start of the period")
    )
    period_end = date_field(_("End of the period the survey covers"), _("the end of the period"))
    channels = forms.MultipleChoiceField(
        label=_("Which channels does the survey cover?"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one channel the survey covers.")},
    )
    includes_importance = forms.BooleanField(
        label=_("We also ask customers how important each driver is to them"), required=False
    )
    population = forms.IntegerField(
        label=_("How many customers are in the population (optional)"),
        min_value=1,
        max_value=2_000_000_000,
        required=False,
        help_text=_("Everyone the survey is meant to represent. It narrows the margin of error."),
        error_messages=_count_messages(_("The number of customers in the population")),
        widget=whole_number_input(10),
    )
    sampling_approach = forms.ChoiceField(
        label=_("How were customers chosen?"),
        choices=SamplingApproach.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how customers were chosen.")},
    )
    mode = forms.ChoiceField(
        label=_("How did customers answer?"),
        choices=Mode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how customers answered.")},
    )
    fieldwork_start = date_field(
        _("Fieldwork started (optional)"), _("the start of fieldwork"), required=False
    )
    fieldwork_end = date_field(_("Fieldwork ended"), _("the end of fieldwork"), required=False)
    invited_count = forms.IntegerField(
        label=_("How many customers were invited"),
        min_value=1,
        max_value=2_000_000_000,
        required=False,
        help_text=_("Needed to work out the response rate."),
        error_messages=_count_messages(_("The number of customers invited")),
        widget=whole_number_input(10),
    )
    core_wording_confirmed = forms.BooleanField(
        label=_(
            "We asked the core questions in the standard's wording and on its five-point scale"
        ),
        required=False,
    )
    groups = forms.MultipleChoiceField(
        label=_("Which customer groups do you record?"),
        choices=[(code, _(label)) for code, (label, _values) in SUGGESTED_GROUPS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("You can add other groups of your own on the next page."),
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # Groups are managed on the questions page once the survey exists.
            del self.fields["groups"]
        names = list(self.fields)
        self.helper.layout = Layout(
            Fieldset(*[n for n in names[:5]], legend=_("The survey")),
            Fieldset(*[n for n in names[5:11]], legend=_("The method")),
            *names[11:],
        )

    def to_input(self) -> SurveyInput:
        data = self.cleaned_data
        return SurveyInput(
            title=data["title"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            channels=data["channels"],
            sampling_approach=data["sampling_approach"],
            mode=data["mode"],
            includes_importance=data["includes_importance"],
            population=data["population"],
            fieldwork_start=data["fieldwork_start"],
            fieldwork_end=data["fieldwork_end"],
            invited_count=data["invited_count"],
            core_wording_confirmed=data["core_wording_confirmed"],
            groups=data.get("groups", []),
        )

    @classmethod
    def initial_from(cls, survey):
        return {
            name: getattr(survey, name)
            for name in (
                "title",
                "period_start",
                "period_end",
                "channels",
                "includes_importance",
                "population",
                "sampling_approach",
                "mode",
                "fieldwork_start",
                "fieldwork_end",
                "invited_count",
                "core_wording_confirmed",
            )
        }


class QuestionForm(GDSFormMixin, forms.Form):
    submit_label = _("Add question")

    wording = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(
        label=_("Answer type"), choices=SurveyQuestion.Kind.choices, widget=forms.RadioSelect
    )


class GroupForm(GDSFormMixin, forms.Form):
    submit_label = _("Add customer group")

    label = forms.CharField(label=_("Name"), max_length=100, help_text=_("For example, Tenure."))
    values = forms.CharField(
        label=_("Possible answers"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One on each line."),
    )


class UploadForm(GDSFormMixin, forms.Form):
    submit_label = _("Upload and check")

    file = forms.FileField(
        label=_("Results file"),
        help_text=_("A CSV file or an Excel workbook (.xlsx) with one row per respondent."),
    )


class MappingForm(GDSFormMixin, forms.Form):
    """One select per survey field, choosing the file column that holds it."""

    submit_label = _("Check and store the results")

    def __init__(self, *args, fields, columns, initial_mapping, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Not in this file"))] + [(c, c) for c in columns]
        for field in fields:
            self.fields[field.key] = forms.ChoiceField(
                label=field.label,
                choices=choices,
                required=False,
                initial=initial_mapping.get(field.key, ""),
                help_text=_("Required") if field.required else None,
            )

    def mapping(self) -> dict:
        return {key: column for key, column in self.cleaned_data.items() if column}
