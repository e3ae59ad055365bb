"""Forms of nominations, the nominee's consent, panels, conflicts, scores and results."""

from django import forms
from django.utils.translation import gettext_lazy as _

from organisations.forms import GDSFormMixin, whole_number_input

from .models import AwardCycle, Category, Result


class _CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, category):
        return f"{category.cycle.year}: {category}"


class _CategoriesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, category):
        return str(category)


class NominationForm(GDSFormMixin, forms.Form):
    submit_label = _("Send the nomination")

    category = _CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a category.")},
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation the team or person works for"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the organisation.")},
    )
    nominee_name = forms.CharField(
        label=_("Team or person nominated"),
        max_length=200,
        error_messages={"required": _("Enter the name of the team or person.")},
    )
    nominee_email = forms.EmailField(
        label=_("Nominee's email address"),
        help_text=_("We email them to ask for their consent; the nomination goes ahead only then."),
        error_messages={
            "required": _("Enter the nominee's email address."),
            "invalid": _("Enter an email address in the correct format, like name@example.com."),
        },
    )
    statement = forms.CharField(
        label=_("Why they deserve the award"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Say why they deserve the award.")},
    )
    evidence = forms.CharField(
        label=_("Evidence (optional)"),
        required=False,
        help_text=_("What shows it: results, feedback from customers, changes made."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, categories, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["organisation"].queryset = organisations


class ConsentForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Do you agree to be nominated?"),
        choices=[
            ("consent", _("Yes, I agree to be nominated")),
            ("refuse", _("No, I do not want to be nominated")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you agree to be nominated.")},
    )


class PanelForm(GDSFormMixin, forms.Form):
    submit_label = _("Create panel")

    cycle = forms.ModelChoiceField(
        label=_("Award cycle"),
        queryset=AwardCycle.objects.filter(published_at__isnull=True),
        error_messages={"required": _("Choose the award cycle.")},
    )
    name = forms.CharField(
        label=_("Name of the panel"),
        max_length=120,
        error_messages={"required": _("Enter the name of the panel.")},
    )


class PanelCategoriesForm(GDSFormMixin, forms.Form):
    submit_label = _("Save categories")

    categories = _CategoriesField(
        label=_("Categories this panel judges"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, panel, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = panel.cycle.categories.select_related(
            "criterion", "sector"
        )
        if not self.is_bound:
            self.initial["categories"] = list(panel.categories.values_list("pk", flat=True))


class JudgeForm(GDSFormMixin, forms.Form):
    submit_label = _("Add judge")

    email = forms.EmailField(
        label=_("Email address of the judge"),
        help_text=_("Someone who already uses Customer Voice."),
        error_messages={
            "required": _("Enter the judge's email address."),
            "invalid": _("Enter an email address in the correct format, like name@example.com."),
        },
    )
    chair = forms.BooleanField(label=_("Chairs the panel"), required=False)


class ConflictForm(GDSFormMixin, forms.Form):
    submit_label = _("Declare the conflict")

    reason = forms.CharField(
        label=_("Why you have a conflict of interest"),
        help_text=_(
            "For example, you work for the organisation, advised it recently, or know the "
            "person nominated. Once declared, you will not see or score this entry again."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say why you have a conflict of interest.")},
    )


class ScoreForm(GDSFormMixin, forms.Form):
    """A score and a comment for each of the cycle's judging criteria."""

    submit_label = _("Save scores")

    def __init__(self, *args, criteria, scores, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            given = scores.get(criterion.pk)
            self.fields[f"criterion_{criterion.pk}"] = forms.IntegerField(
                label=criterion.title,
                help_text=_("%(description)s Score from 0 to %(highest)s.")
                % {"description": criterion.description, "highest": criterion.max_score},
                min_value=0,
                max_value=criterion.max_score,
                initial=given.score if given else None,
                widget=whole_number_input(3),
                error_messages={
                    "required": _("Give a score for %(title)s.") % {"title": criterion.title},
                    "invalid": _("The score must be a whole number."),
                    "min_value": _("The score must be 0 or more."),
                    "max_value": _("The score must be %(highest)s or less.")
                    % {"highest": criterion.max_score},
                },
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment on %(title)s (optional)") % {"title": criterion.title},
                required=False,
                initial=given.comment if given else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def scores(self) -> dict[int, tuple[int, str]]:
        data = self.cleaned_data
        return {
            c.pk: (data[f"criterion_{c.pk}"], data.get(f"comment_{c.pk}", ""))
            for c in self.criteria
        }


class ResultForm(GDSFormMixin, forms.Form):
    submit_label = _("Record the result")

    place = forms.ChoiceField(
        label=_("Result"),
        choices=Result.Place.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose winner or highly commended.")},
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        help_text=_("Published with the result."),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Give the reasons for the result.")},
    )
