import datetime

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Size, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.functional import cached_property, lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import ROLES_BY_KIND, Organisation, Site


class GDSFormMixin:
    """Renders a form with GOV.UK Design System markup and one submit button."""

    submit_label = _("Continue")

    @cached_property
    def helper(self):
        # Built when first used, so a form may drop fields in its own __init__ first.
        helper = FormHelper(self)
        # The service validates; the browser's own bubbles would bypass the error summary.
        helper.attrs = {"novalidate": ""}
        helper.label_size = Size.SMALL
        helper.legend_size = Size.SMALL
        helper.add_input(Submit("submit", self.submit_label))
        return helper


def _format(template, **values):
    return str(template) % {name: str(value) for name, value in values.items()}


# A translated message with values put in when it is shown, in the reader's language.
lazy_format = lazy(_format, str)


class GDSDateField(DateInputField):
    """The GOV.UK date input (day, month, year), with messages in our words.

    `messages` holds `missing` (nothing entered, for a required date), `incomplete` (a
    part missing), `not_number` (with %(part)s: day, month or year) and `invalid`."""

    def __init__(self, *, messages: dict, **kwargs):
        kwargs["require_all_fields"] = False
        super().__init__(**kwargs)
        self.messages = messages
        self.error_messages.update(
            required=messages.get("missing", messages["incomplete"]),
            incomplete=messages["incomplete"],
        )
        for part, name in zip(self.fields, (_("day"), _("month"), _("year")), strict=True):
            part.required = False
            part.error_messages["incomplete"] = messages["incomplete"]
            part.validators = [
                RegexValidator(r"^[0-9]+$", lazy_format(messages["not_number"], part=name))
            ]

    def compress(self, data_list):
        day, month, year = data_list
        if not (day or month or year):
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        if not (day and month and year):
            raise ValidationError(self.messages["incomplete"], code="incomplete")
        try:
            return datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            raise ValidationError(self.messages["invalid"], code="invalid") from None


def date_field(label, what, required=True):
    """A GOV.UK date input; `what` names the date in messages ("the start of the period")."""
    return GDSDateField(
        label=label,
        required=required,
        help_text=_("For example, 31 3 2026."),
        messages={
            "missing": lazy_format(_("Enter %(what)s."), what=what),
            "incomplete": lazy_format(
                _("%(what)s must include a day, month and year."), what=capfirst(what)
            ),
            "not_number": lazy_format(
                _("The %(part)s of %(what)s must be a number."), part="%(part)s", what=what
            ),
            "invalid": lazy_format(_("%(what)s must be a real date."), what=capfirst(what)),
        },
    )


def whole_number_input(width: int = 4) -> forms.TextInput:
    """The GOV.UK input for a whole number, `width` characters wide (2, 3, 4, 5, 10 or 20):
    a text input (rendered as `govuk-input`, with the error style) that brings up the
    numeric keypad, as the Design System advises, rather than a browser number input."""
    return forms.TextInput(
        attrs={
            "class": f"govuk-input--width-{width}",
            "inputmode": "numeric",
            "spellcheck": "false",
        }
    )


class OrganisationRegisterForm(GDSFormMixin, forms.ModelForm):
    submit_label = _("Register organisation")

    class Meta:
        model = Organisation
        fields = ["name", "sector", "region", "legal_form", "employee_count"]
        widgets = {"employee_count": whole_number_input(10)}
        help_texts = {
            "name": _("The name customers know you by."),
            "employee_count": _("Everyone who works for the organisation, roughly."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].required = True
        self.fields["region"].required = True


class OrganisationForm(GDSFormMixin, forms.ModelForm):
    submit_label = _("Save changes")

    class Meta:
        model = Organisation
        fields = ["name", "sector", "region", "legal_form", "employee_count"]
        widgets = {"employee_count": whole_number_input(10)}


class UnitForm(GDSFormMixin, forms.ModelForm):
    submit_label = _("Add unit")

    class Meta:
        model = Organisation
        fields = ["name", "region", "employee_count"]
        labels = {"name": _("Name of the unit")}


class SiteForm(GDSFormMixin, forms.ModelForm):
    submit_label = _("Save site")

    class Meta:
        model = Site
        fields = ["name", "address", "postcode", "region", "employee_count", "is_central_function"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Site.objects.filter(organisation=self.instance.organisation, name__iexact=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This organisation already has a site with that name."))
        return name


def _role_choices(organisation):
    return [(role.value, role.label) for role in ROLES_BY_KIND[organisation.kind]]


class InvitationForm(GDSFormMixin, forms.Form):
    submit_label = _("Send invitation")

    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), widget=forms.RadioSelect)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(organisation)


class MembershipRoleForm(GDSFormMixin, forms.Form):
    submit_label = _("Change role")

    role = forms.ChoiceField(label=_("Role"), widget=forms.RadioSelect)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(organisation)


class SwitchForm(forms.Form):
    membership = forms.IntegerField()


def apply_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
