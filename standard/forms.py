from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import public_standards


class CompareForm(forms.Form):
    old = forms.ChoiceField(label=_("Earlier version"))
    new = forms.ChoiceField(label=_("Later version"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(s.version, s.title) for s in public_standards().order_by("version")]
        self.fields["old"].choices = choices
        self.fields["new"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("old") and data.get("old") == data.get("new"):
            raise forms.ValidationError(_("Choose two different versions to compare."))
        return data


class SectorFilterForm(forms.Form):
    sector = forms.SlugField(required=False)
