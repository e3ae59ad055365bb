from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import RatingValue
from organisations.forms import GDSFormMixin, date_field, whole_number_input
from organisations.models import Organisation

from .models import ConflictDeclaration, Decision, Engagement

JUSTIFICATION_HELP = _("Recorded with the plan and shown in the report.")


class KeepDraftMixin:
    """What is typed is kept in the browser until it is sent (static/js/keep-draft.js):
    forms filled in at a site must survive a lost connection."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.attrs.update(
            {
                "data-keep-draft": "",
                "data-msg-restored": _(
                    "What you typed here earlier, and had not sent, has been filled back in."
                ),
                "data-msg-offline": _(
                    "You seem to be offline, so nothing was sent. What you typed is kept on "
                    "this device: send it again when the connection returns."
                ),
            }
        )


class ApplicationForm(GDSFormMixin, forms.Form):
    submit_label = _("Send application")

    certification_body = forms.ModelChoiceField(
        label=_("Which certification body should assess you?"),
        queryset=Organisation.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose a certification body.")},
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Units in scope"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to have the whole organisation certified."),
    )
    scope_note = forms.CharField(
        label=_("Anything the body should know about the scope (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, bodies, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certification_body"].queryset = bodies
        self.fields["units"].queryset = units
        if not units.exists():
            del self.fields["units"]


class AnswerForm(GDSFormMixin, forms.Form):
    submit_label = _("Send answer")

    answer = forms.ChoiceField(
        label=_("Will you take on this application?"),
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose accept or decline.")},
    )
    note = forms.CharField(
        label=_("Reason (needed to decline)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class EngagementForm(GDSFormMixin, forms.Form):
    submit_label = _("Save and compute the plan")

    kind = forms.ChoiceField(
        label=_("Kind of assessment"),
        choices=Engagement.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of assessment.")},
    )
    starts_on = date_field(_("First day on site"), _("the first day"), required=False)
    ends_on = date_field(_("Last day on site"), _("the last day"), required=False)
    assessor_days = forms.DecimalField(
        label=_("Assessor days"),
        min_value=0,
        max_value=999,
        decimal_places=1,
        help_text=_("Days charged at your day rate, for example 2.5."),
        error_messages={
            "required": _("Enter the assessor days."),
            "invalid": _("Assessor days must be a number, such as 2.5."),
        },
    )
    self_assessment = forms.ModelChoiceField(
        label=_("Self-assessment to rely on (optional)"),
        queryset=None,
        required=False,
        help_text=_("Only versions the organisation shared with you are listed."),
    )

    def __init__(self, *args, shared, with_kind=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["self_assessment"].queryset = shared
        if not with_kind:
            del self.fields["kind"]
            self.helper.inputs[0].value = _("Save changes")


class TeamForm(GDSFormMixin, forms.Form):
    submit_label = _("Save the team")

    lead = forms.ModelChoiceField(
        label=_("Lead assessor"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose the lead assessor.")},
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Other assessors on the team"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = people
        self.fields["members"].queryset = people
        label = lambda m: f"{m.user} ({m.get_role_display()})"  # noqa: E731
        self.fields["lead"].label_from_instance = label
        self.fields["members"].label_from_instance = label


class PlanChangeForm(GDSFormMixin, forms.Form):
    submit_label = _("Change the plan")

    what = forms.ChoiceField(
        label=_("What do you want to change?"),
        choices=[
            ("add_site", _("Add a site")),
            ("remove_site", _("Remove a site")),
            ("add_element", _("Add an element")),
            ("remove_element", _("Remove an element")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what to change.")},
    )
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False)
    element = forms.ModelChoiceField(label=_("Element"), queryset=None, required=False)
    justification = forms.CharField(
        label=_("Why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=JUSTIFICATION_HELP,
        error_messages={"required": _("Say why the plan changes.")},
        max_length=2000,
    )

    def __init__(self, *args, sites, elements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["element"].queryset = elements
        self.fields["element"].label_from_instance = lambda e: f"{e.code} {e.title}"

    def clean(self):
        data = super().clean()
        what = data.get("what", "")
        if what.endswith("_site") and not data.get("site"):
            self.add_error("site", _("Choose the site."))
        if what.endswith("_element") and not data.get("element"):
            self.add_error("element", _("Choose the element."))
        return data


class VisitForm(KeepDraftMixin, GDSFormMixin, forms.Form):
    submit_label = _("Save the visit")

    site = forms.ModelChoiceField(
        label=_("Site"), queryset=None, error_messages={"required": _("Choose the site.")}
    )
    visited_on = date_field(_("Date of the visit"), _("the date of the visit"))
    hours = forms.DecimalField(
        label=_("Hours on site"),
        min_value=0.5,
        max_value=24,
        decimal_places=1,
        error_messages={
            "required": _("Enter the hours on site."),
            "invalid": _("Hours must be a number, such as 6.5."),
            "min_value": _("Enter the hours on site, from 0.5 to 24."),
            "max_value": _("Enter the hours on site, from 0.5 to 24."),
        },
    )
    staff_spoken_to = forms.IntegerField(
        label=_("Front-line staff spoken to"),
        min_value=0,
        max_value=10_000,
        initial=0,
        error_messages={"invalid": _("Enter a whole number of staff, such as 6.")},
        widget=whole_number_input(4),
    )
    customers_spoken_to = forms.IntegerField(
        label=_("Customers spoken to"),
        min_value=0,
        max_value=10_000,
        initial=0,
        error_messages={"invalid": _("Enter a whole number of customers, such as 12.")},
        widget=whole_number_input(4),
    )
    observations = forms.CharField(
        label=_("Observations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
    )

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class FindingForm(forms.Form):
    """Rendered by hand in the finding page; autosaved by script."""

    rating = forms.ChoiceField(
        label=_("Finding"),
        choices=[("", _("Not decided yet"))] + RatingValue.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("What you found"), required=False, widget=forms.Textarea, max_length=20_000
    )
    evidence_reviewed = forms.CharField(
        label=_("Evidence reviewed"), required=False, widget=forms.Textarea, max_length=20_000
    )
    relied_on_self_assessment = forms.BooleanField(
        label=_("I relied on the organisation's self-assessment for this element"),
        required=False,
    )
    site = forms.ModelChoiceField(label=_("Site where it was seen"), queryset=None, required=False)
    required_action = forms.CharField(
        label=_("What the organisation must do"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    action_due = date_field(_("Action due by"), _("the action's due date"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites


class RespondForm(KeepDraftMixin, GDSFormMixin, forms.Form):
    submit_label = _("Send to the assessor")

    response = forms.CharField(
        label=_("What you did to close the gap"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Say what was done to close the gap.")},
        max_length=20_000,
    )
    evidence = forms.ModelMultipleChoiceField(
        label=_("Evidence from your library"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence


class VerifyForm(GDSFormMixin, forms.Form):
    submit_label = _("Record your verification")

    verdict = forms.ChoiceField(
        label=_("Does this close the gap?"),
        choices=[("accept", _("Yes, accept and close it")), ("reject", _("No, more is needed"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose accept or reject.")},
    )
    note = forms.CharField(
        label=_("Note to the organisation (needed to reject)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class ReportForm(KeepDraftMixin, GDSFormMixin, forms.Form):
    submit_label = _("Report for decision")

    summary = forms.CharField(
        label=_("Summary of the assessment"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write a summary of the assessment.")},
        max_length=20_000,
    )
    strengths = forms.CharField(
        label=_("Strengths"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
    )


class DecisionForm(GDSFormMixin, forms.Form):
    submit_label = _("Record the decision")

    kind = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a decision.")},
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Recorded with your name and the time; a decision cannot be edited later."),
        error_messages={"required": _("Give the reasons for the decision.")},
        max_length=20_000,
    )
    conditions = forms.CharField(
        label=_("Conditions (for certify with conditions)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, Decision.Kind(k).label) for k in kinds]
        if Decision.Kind.CERTIFY_WITH_CONDITIONS not in kinds:
            del self.fields["conditions"]


class ConflictForm(GDSFormMixin, forms.Form):
    submit_label = _("Declare")

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        help_text=_("Organisations that have applied to your body, and their units."),
        error_messages={"required": _("Choose the organisation.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of interest"),
        choices=ConflictDeclaration.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of interest.")},
    )
    details = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Describe the interest.")},
        max_length=5000,
    )
    ended_on = date_field(_("When it ended (optional)"), _("the date it ended"), required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class AssessorForm(GDSFormMixin, forms.Form):
    submit_label = _("Save competence record")

    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors this person may assess"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    trained_on = date_field(
        _("Date of the latest assessor training"), _("the training date"), required=False
    )
    notes = forms.CharField(
        label=_("Competence notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args, sectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sectors"].queryset = sectors


class DayRateForm(GDSFormMixin, forms.Form):
    submit_label = _("Save day rate")

    day_rate = forms.DecimalField(
        label=_("Assessor day rate (£)"),
        min_value=1,
        max_value=99_999,
        decimal_places=2,
        error_messages={
            "required": _("Enter the day rate."),
            "invalid": _("The day rate must be an amount, such as 650.00."),
        },
    )
