"""Forms of the organisation's side of the hosted survey: links, opening and invitations.

The customer's form is built from `hosted.hosted_questions` in its template, because the
service validates the answers."""

from django import forms
from django.utils.translation import gettext_lazy as _

from organisations.forms import GDSFormMixin, whole_number_input

from .hosted import MAX_INVITATIONS
from .models import Channel, Survey


class LinkForm(GDSFormMixin, forms.Form):
    submit_label = _("Add link")

    channel = forms.ChoiceField(label=_("Channel"), widget=forms.RadioSelect)
    site = forms.ModelChoiceField(
        label=_("Site (optional)"),
        queryset=None,
        required=False,
        empty_label=_("No particular site"),
        help_text=_("Choose a site to see its customers' answers separately."),
    )

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            (value, label) for value, label in Channel.choices if value in survey.channels
        ]
        self.fields["site"].queryset = survey.organisation.sites.order_by("name")


class HostedSettingsForm(GDSFormMixin, forms.Form):
    submit_label = _("Save")

    open = forms.BooleanField(label=_("Take answers on the hosted form"), required=False)
    requires_token = forms.BooleanField(
        label=_("Only customers with a personal invitation link can answer"),
        required=False,
        help_text=_("The general link and its QR code then stop taking answers."),
    )


class InvitationsForm(GDSFormMixin, forms.Form):
    submit_label = _("Create invitations")

    count = forms.IntegerField(
        label=_("How many personal invitation links do you need?"),
        min_value=1,
        max_value=MAX_INVITATIONS,
        help_text=_("Each link takes one answer. You can create up to 10,000 at a time."),
        error_messages={
            "required": _("Enter how many invitation links you need."),
            "invalid": _("Enter a whole number, like 500."),
            "min_value": _("Enter a number of invitations from 1 to 10,000."),
            "max_value": _("Enter a number of invitations from 1 to 10,000."),
        },
        widget=whole_number_input(5),
    )
