from django import forms
from django.utils.translation import gettext_lazy as _

from organisations.forms import GDSFormMixin
from organisations.models import Organisation

from .models import Action, RatingValue


class StartForm(GDSFormMixin, forms.Form):
    submit_label = _("Start self-assessment")

    organisation = forms.ModelChoiceField(
        label=_("Which part of the organisation is assessing itself?"),
        queryset=Organisation.objects.none(),
        empty_label=None,
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class RatingForm(forms.Form):
    """Rendered by hand in the element page (radios with hints); autosaved by script."""

    value = forms.ChoiceField(
        label=_("Rating"),
        choices=[("", _("Not rated yet"))] + RatingValue.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    narrative = forms.CharField(
        label=_("How you meet this element"),
        required=False,
        widget=forms.Textarea,
        max_length=20_000,
    )
    evidence = forms.ModelMultipleChoiceField(
        label=_("Evidence"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_corporate = forms.BooleanField(
        label=_("This element is run centrally for all our units"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your review"),
        choices=[
            ("agree", _("I agree with this rating")),
            ("challenge", _("I challenge this rating")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea, max_length=5000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)


class ActionForm(GDSFormMixin, forms.ModelForm):
    submit_label = _("Save action")

    class Meta:
        model = Action
        fields = ["description", "owner", "due_date", "status"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "status": forms.RadioSelect,
        }
        help_texts = {"owner": _("The person or team responsible.")}


class ShareForm(GDSFormMixin, forms.Form):
    submit_label = _("Share self-assessment")

    certification_body = forms.ModelChoiceField(
        label=_("Certification body"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.CERTIFICATION_BODY),
    )
    purpose = forms.CharField(
        label=_("For which assessment"),
        max_length=200,
        help_text=_("For example: initial assessment, spring 2027."),
    )


class CommitmentForm(GDSFormMixin, forms.Form):
    submit_label = _("Publish our commitment")

    statement = forms.CharField(
        label=_("What your organisation commits to"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("This appears on the public register next to your organisation's name."),
    )
