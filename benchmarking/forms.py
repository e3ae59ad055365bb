from django import forms
from django.utils.translation import gettext_lazy as _

from organisations.forms import GDSFormMixin
from organisations.models import Sector


class PeerGroupForm(GDSFormMixin, forms.Form):
    """A peer group's name and the services it is for; its sector when it is set up."""

    submit_label = _("Save peer group")

    sector = forms.ModelChoiceField(
        label=_("Sector"),
        queryset=Sector.objects.all(),
        empty_label=_("Choose a sector"),
        help_text=_("Only organisations of this sector can join the group."),
        error_messages={"required": _("Choose the sector the peer group belongs to.")},
    )
    name = forms.CharField(
        label=_("Name of the peer group"),
        max_length=120,
        help_text=_("For example, Mobile libraries."),
        error_messages={
            "required": _("Enter the name of the peer group."),
            "max_length": _("The name of the peer group must be 120 characters or fewer."),
        },
    )
    description = forms.CharField(
        label=_("Which services it is for (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Say what the services have in common: the service, channel or customers."),
        error_messages={"max_length": _("The description must be 2000 characters or fewer.")},
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # A group's sector stays: its members and figures belong to it.
            del self.fields["sector"]
