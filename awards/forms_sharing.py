"""Forms for beacons, case studies and events."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.forms import GDSFormMixin, date_field, whole_number_input
from organisations.models import Organisation
from standard.models import Criterion, Element

from .models import AwardCycle, Event

TEXT = forms.Textarea(attrs={"rows": 4})
LONG_TEXT = forms.Textarea(attrs={"rows": 12})


class CriterionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, criterion):
        return f"{criterion.number}. {criterion.title}"


class ElementChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, element):
        return f"{element.code} {element.title}"


# Beacons ------------------------------------------------------------------------------


class BeaconForm(GDSFormMixin, forms.Form):
    submit_label = _("Designate beacon")

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        help_text=_("Holders of a valid certificate and award winners."),
        error_messages={"required": _("Choose the organisation.")},
    )
    criterion = CriterionChoiceField(
        label=_("Criterion"),
        queryset=Criterion.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the criterion.")},
    )
    starts_on = date_field(_("From (optional)"), _("the first day"), required=False)
    ends_on = date_field(_("Until (optional)"), _("the last day"), required=False)
    reason = forms.CharField(
        label=_("Why this organisation is a beacon"),
        widget=TEXT,
        max_length=4000,
        help_text=_("Shown on the public list of beacons."),
        error_messages={"required": _("Say why this organisation is a beacon.")},
    )

    def __init__(self, *args, organisations, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["criterion"].queryset = criteria
        self.fields["starts_on"].help_text = _("Leave empty to start today. For example, 1 4 2026.")
        self.fields["ends_on"].help_text = _("Leave empty for two years from the first day.")


class EndForm(GDSFormMixin, forms.Form):
    submit_label = _("End the designation")

    reason = forms.CharField(
        label=_("Why it ends early"),
        widget=TEXT,
        max_length=2000,
        error_messages={"required": _("Say why the designation ends early.")},
    )


# Case studies -------------------------------------------------------------------------


class CaseStudyForm(GDSFormMixin, forms.Form):
    submit_label = _("Save draft")

    criterion = CriterionChoiceField(
        label=_("Which criterion is it about?"),
        queryset=Criterion.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the criterion.")},
    )
    elements = ElementChoiceField(
        label=_("Elements it shows (optional)"),
        queryset=Element.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only elements of the criterion chosen above. The standard's page of each "
            "element links to the case study once it is published."
        ),
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, error_messages={"required": _("Enter a title.")}
    )
    summary = forms.CharField(
        label=_("Summary"),
        widget=TEXT,
        max_length=2000,
        help_text=_("Two or three sentences: shown in the library's list."),
        error_messages={"required": _("Enter a summary.")},
    )
    body = forms.CharField(
        label=_("What you did and what changed"),
        widget=LONG_TEXT,
        max_length=30000,
        error_messages={"required": _("Say what you did and what changed.")},
    )
    contact = forms.CharField(
        label=_("Who to contact (optional)"),
        max_length=200,
        required=False,
        help_text=_("A role or team and a work email address, shown to the public."),
    )

    def __init__(self, *args, standard, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].queryset = standard.criteria.order_by("number")
        self.fields["elements"].queryset = Element.objects.filter(
            criterion__standard=standard
        ).order_by("criterion__number", "position")

    def clean(self):
        data = super().clean()
        criterion, elements = data.get("criterion"), data.get("elements")
        if criterion and elements and any(e.criterion_id != criterion.pk for e in elements):
            self.add_error("elements", _("Choose elements of the criterion chosen above."))
        return data


class ReviewForm(GDSFormMixin, forms.Form):
    submit_label = _("Send decision")

    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            ("approve", _("Approve and publish in the library")),
            ("return", _("Return to the author for changes")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose approve or return.")},
    )
    note = forms.CharField(
        label=_("Note to the author"),
        required=False,
        widget=TEXT,
        max_length=4000,
        help_text=_("Needed to return it: say what to change."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not data.get("note", "").strip():
            self.add_error("note", _("Tell the author what to change."))
        return data


# Events -------------------------------------------------------------------------------


class EventForm(GDSFormMixin, forms.Form):
    submit_label = _("Save event")

    kind = forms.ChoiceField(
        label=_("Kind of event"),
        choices=Event.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of event.")},
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, error_messages={"required": _("Enter a title.")}
    )
    description = forms.CharField(
        label=_("Description"),
        widget=TEXT,
        max_length=8000,
        error_messages={"required": _("Describe the event.")},
    )
    day = date_field(_("Date"), _("the date"))
    time = forms.TimeField(
        label=_("Start time"),
        input_formats=["%H:%M", "%H.%M"],
        help_text=_("On the 24-hour clock, for example 14:30."),
        error_messages={
            "required": _("Enter the start time."),
            "invalid": _("Enter the start time as hours and minutes, for example 14:30."),
        },
    )
    location = forms.CharField(
        label=_("Where"),
        max_length=200,
        help_text=_("An address, or 'Online' for a webinar."),
        error_messages={"required": _("Say where the event takes place.")},
    )
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        max_value=100000,
        widget=whole_number_input(10),
        error_messages={
            "required": _("Enter the number of places."),
            "invalid": _("The number of places must be a whole number."),
            "min_value": _("An event needs at least one place."),
        },
    )
    host = forms.ModelChoiceField(
        label=_("Host organisation (optional)"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("For example a beacon sharing its practice."),
    )
    cycle = forms.ModelChoiceField(
        label=_("Award cycle (optional)"),
        queryset=AwardCycle.objects.all(),
        required=False,
        help_text=_("For an award ceremony: the year whose awards it presents."),
    )

    def __init__(self, *args, hosts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = hosts

    @staticmethod
    def initial_for(event: Event) -> dict:
        local = timezone.localtime(event.starts_at)
        return {
            "kind": event.kind,
            "title": event.title,
            "description": event.description,
            "day": local.date(),
            "time": local.time().strftime("%H:%M"),
            "location": event.location,
            "capacity": event.capacity,
            "host": event.host_id,
            "cycle": event.cycle_id,
        }

    def starts_at(self) -> datetime.datetime:
        data = self.cleaned_data
        return timezone.make_aware(datetime.datetime.combine(data["day"], data["time"]))

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("time") and self.starts_at() <= timezone.now():
            self.add_error("day", ValidationError(_("The event must start in the future.")))
        return data


class RegistrationForm(GDSFormMixin, forms.Form):
    submit_label = _("Register")

    name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        error_messages={"required": _("Enter your full name.")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("We send the confirmation here, with a link to cancel."),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address in the correct format, like name@example.com."),
        },
    )
    organisation_name = forms.CharField(
        label=_("Organisation (optional)"), max_length=200, required=False
    )
    access_needs = forms.CharField(
        label=_("Access needs (optional)"),
        required=False,
        widget=TEXT,
        max_length=2000,
        help_text=_("Anything we should arrange so that you can take part."),
    )
